"""A small in-memory test double of the Hugging Face Hub's HTTP API, served on 127.0.0.1.

It speaks the endpoints a push, a tag, a branch and a download use (see ../shared/notes/huggingface-hub-2.4.md):
enough to push revisions and load them back with ``from_pretrained``. Writes need ``Bearer hf_valid...``.
``fail_next`` makes the next matching request fail (an HTTP status, "drop" to close the connection, or "echo"
for a 500 whose message repeats the Authorization header); ``fail_always`` makes every matching request fail so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

VALID_TOKEN_PREFIX = "hf_valid"


@dataclass
class Repo:
    private: bool = False
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)  # sha -> files
    refs: dict[str, str] = field(default_factory=dict)  # branch / tag / refs/pr/N -> sha
    messages: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)  # Space variables
    secrets: dict[str, str] = field(default_factory=dict)  # Space secrets
    sdk: str | None = None

    def resolve(self, revision: str) -> str | None:
        if revision in self.refs:
            return self.refs[revision]
        return revision if revision in self.commits else None


class HubStub:
    def __init__(self, port: int = 0) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str]] = []
        self.fail_next: dict[str, int | str] = {}  # path regex -> status, "drop" or "echo"
        self.fail_always: dict[str, int | str] = {}  # the same, for every matching request
        self.authorizations: list[str] = []  # the Authorization header of each request
        self.yaml_errors: list[str] = []  # what /api/validate-yaml reports about a card
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HubStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        repo = self.repos[repo_id]
        return repo.commits[repo.resolve(revision)]

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _send(self, status: int, body: bytes | dict = b"", headers: dict | None = None) -> None:
                data = json.dumps(body).encode() if isinstance(body, dict) else body
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if isinstance(body, dict):
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")  # no kept-alive connection outlives this stub
                self.close_connection = True
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _error(self, status: int, code: str, message: str) -> None:
                self._send(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

            def _authorized(self) -> bool:
                auth = self.headers.get("Authorization", "")
                if auth.startswith(f"Bearer {VALID_TOKEN_PREFIX}"):
                    return True
                self._send(401, {"error": "Invalid credentials in Authorization header"})
                return False

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _injected_fault(self) -> bool:
                with stub._lock:
                    pattern = next((p for p in stub.fail_next if re.search(p, self.path)), None)
                    always = next((p for p in stub.fail_always if re.search(p, self.path)), None)
                    if pattern is None and always is None:
                        return False
                    fault = stub.fail_next.pop(pattern) if pattern is not None else stub.fail_always[always]
                self._body()
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return True
                if fault == "echo":  # a careless server that repeats the request's credentials
                    self._send(500, {"error": f"internal error for {self.headers.get('Authorization')}"})
                    return True
                self._send(int(fault), {"error": "injected failure"})
                return True

            def do_HEAD(self) -> None:
                self._download()

            def do_GET(self) -> None:
                self._download()

            def _download(self) -> None:
                stub.requests.append((self.command, self.path))
                stub.authorizations.append(self.headers.get("Authorization", ""))
                if self._injected_fault():
                    return
                info = re.match(
                    r"^/api/(models|datasets)/([^/]+/[^/]+)/(revision|tree)/(.+)$", urlparse(self.path).path
                )
                if info:  # repo_info and list_repo_tree, as snapshot_download asks for them
                    kind, repo_id, what, revision = (unquote(g) for g in info.groups())
                    repo = stub.repos.get(("" if kind == "models" else f"{kind}/") + repo_id)
                    sha = repo.resolve(revision) if repo else None
                    if sha is None:
                        return self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
                    files = repo.commits[sha]
                    if what == "tree":
                        tree = [
                            {"type": "file", "path": name, "size": len(data), "oid": hashlib.sha1(data).hexdigest()}
                            for name, data in sorted(files.items())
                        ]
                        return self._send(200, json.dumps(tree).encode(), {"Content-Type": "application/json"})
                    siblings = [{"rfilename": name} for name in sorted(files)]
                    return self._send(200, {"id": repo_id, "sha": sha, "siblings": siblings, "private": repo.private})
                match = re.match(
                    r"^/(?:api/)?((?:datasets/)?[^/]+/[^/]+)/resolve/([^/]+)/(.+)$", urlparse(self.path).path
                )
                if not match:
                    return self._error(404, "EntryNotFound", "not found")
                repo_id, revision, path = (unquote(g) for g in match.groups())
                repo = stub.repos.get(repo_id)
                if repo is None:
                    return self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
                sha = repo.resolve(revision)
                if sha is None:
                    return self._error(404, "RevisionNotFound", f"Revision {revision} not found")
                files = repo.commits[sha]
                if path not in files:
                    return self._error(404, "EntryNotFound", f"{path} not found")
                data = files[path]
                etag = '"' + hashlib.sha1(data).hexdigest() + '"'
                self._send(200, data, {"X-Repo-Commit": sha, "ETag": etag})

            def do_POST(self) -> None:
                stub.requests.append((self.command, self.path))
                stub.authorizations.append(self.headers.get("Authorization", ""))
                if self._injected_fault():
                    return
                url = urlparse(self.path)
                path, query = url.path, parse_qs(url.query)
                if path == "/api/validate-yaml":
                    self._body()
                    errors = [{"message": m} for m in stub.yaml_errors]
                    return self._send(400 if errors else 200, {"errors": errors, "warnings": []})
                if not self._authorized():
                    self._body()
                    return None
                if path == "/api/repos/create":
                    body = json.loads(self._body())
                    repo_id = f"{body.get('organization') or 'user'}/{body['name']}"
                    prefix = {"space": "spaces/", "dataset": "datasets/"}.get(body.get("type"), "")
                    key = prefix + repo_id
                    if key in stub.repos:
                        return self._send(409, {"error": "exists", "url": f"{stub.url}/{key}"})
                    stub.repos[key] = Repo(private=bool(body.get("private")), sdk=body.get("sdk"))
                    return self._send(200, {"url": f"{stub.url}/{key}"})
                match = re.match(r"^/api/spaces/([^/]+/[^/]+)/(variables|secrets)$", path)
                if match:
                    repo = stub.repos.get("spaces/" + unquote(match.group(1)))
                    body = json.loads(self._body())
                    if repo is None:
                        return self._error(404, "RepoNotFound", "Space not found")
                    kept = repo.variables if match.group(2) == "variables" else repo.secrets
                    kept[body["key"]] = body["value"]
                    return self._send(200, {k: {"value": v} for k, v in kept.items()})
                match = re.match(
                    r"^/api/(models|spaces|datasets)/([^/]+/[^/]+)/(preupload|commit|tag|branch)/(.+)$", path
                )
                if not match:
                    self._body()
                    return self._error(404, "EntryNotFound", "unknown endpoint")
                kind, repo_id, action, revision = (
                    match.group(1),
                    unquote(match.group(2)),
                    match.group(3),
                    unquote(match.group(4)),
                )
                repo_id = ("" if kind == "models" else f"{kind}/") + repo_id
                repo = stub.repos.get(repo_id)
                if repo is None:
                    self._body()
                    return self._error(404, "RepoNotFound", f"Repository {repo_id} not found")
                if action == "preupload":
                    files = json.loads(self._body())["files"]
                    return self._send(
                        200,
                        {
                            "files": [
                                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                                for f in files
                            ]
                        },
                    )
                if action == "commit":
                    return self._commit(repo, repo_id, revision, query.get("create_pr", ["0"])[0] in ("1", "true"))
                body = json.loads(self._body() or b"{}")
                if action == "tag":
                    sha = repo.resolve(revision)
                    if sha is None:
                        return self._error(404, "RevisionNotFound", f"Revision {revision} not found")
                    if body["tag"] in repo.refs:
                        return self._send(409, {"error": f"Tag {body['tag']} already exists"})
                    repo.refs[body["tag"]] = sha
                    return self._send(200, {})
                source = repo.resolve(body.get("startingPoint") or "main")
                if revision in repo.refs:
                    return self._send(409, {"error": f"Branch {revision} already exists"})
                if source is None:
                    return self._error(404, "RevisionNotFound", "starting point not found")
                repo.refs[revision] = source
                return self._send(200, {})

            def _commit(self, repo: Repo, repo_id: str, revision: str, create_pr: bool) -> None:
                lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
                parent = repo.resolve(revision)
                if parent is None and revision != "main":
                    return self._error(404, "RevisionNotFound", f"Revision {revision} not found")
                files = dict(repo.commits[parent]) if parent else {}
                header = {}
                for line in lines:
                    if line["key"] == "header":
                        header = line["value"]
                    elif line["key"] == "file":
                        files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
                    elif line["key"] == "deletedFile":
                        files.pop(line["value"]["path"], None)
                sha = hashlib.sha1(
                    json.dumps([parent, sorted((k, hashlib.sha1(v).hexdigest()) for k, v in files.items())]).encode()
                    + str(len(repo.commits)).encode()
                ).hexdigest()
                repo.commits[sha] = files
                repo.messages[sha] = header.get("summary", "")
                pr_url = None
                if create_pr:
                    number = 1 + sum(ref.startswith("refs/pr/") for ref in repo.refs)
                    repo.refs[f"refs/pr/{number}"] = sha
                    pr_url = f"{stub.url}/{repo_id}/discussions/{number}"
                else:
                    repo.refs[revision] = sha
                return self._send(
                    200,
                    {
                        "commitUrl": f"{stub.url}/{repo_id}/commit/{sha}",
                        "commitOid": sha,
                        "pullRequestUrl": pr_url,
                    },
                )

        return Handler

"""Write folders and files so that a reader, or a run killed at any instant, never sees them half-written.

A folder is built in a hidden sibling (``.NAME.tmp-PID-*``) and renamed into place; a file is written beside its
target and renamed over it. Staging folders and files a killed run left are removed by the next.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def staged_directory(target: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; on success it replaces ``target``.

    On any exception (Ctrl-C included) the temporary folder is removed and ``target`` is untouched. After a
    SIGKILL, ``target`` is the previous complete folder (absent if there was none) or, killed in the instant
    between the swap's two renames, set aside; the next call tidies up and puts it back.
    """
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    try:
        yield staging
        apply_umask(staging)
        replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_directory(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``: the previous ``target`` is renamed aside (``.NAME.old-PID-*``), ``new`` renamed
    into place, then the old one removed. Renames within one folder are atomic everywhere; a run killed between
    the two leaves the previous folder aside, and the next call of ``remove_abandoned_staging`` puts it back."""
    if not target.exists():
        new.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def remove_abandoned_staging(target: Path) -> None:
    """Remove ``.NAME.tmp-PID-*`` / ``.NAME.old-PID-*`` siblings (folders or files) whose process is gone.

    An ``.old`` folder is put back first if ``target`` itself is missing: the run died between two renames.
    """
    for path in sorted(target.parent.glob(f".{target.name}.*-*-*")):
        kind, _, rest = path.name[len(target.name) + 2 :].partition("-")
        pid = rest.split("-", 1)[0]
        if kind not in ("tmp", "old") or not pid.isdigit() or process_alive(int(pid)):
            continue
        if kind == "old" and not target.exists():
            path.rename(target)
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def write_file(target: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Call ``write(path)`` on a temporary file beside ``target``, then rename it over ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_staging(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent)
    os.close(fd)
    try:
        write(Path(name))
        apply_umask(Path(name))
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def move_files_into(staging: Path, target: Path) -> None:
    """Replace files in ``target`` with those of ``staging``, each by an atomic rename."""
    apply_umask(staging)
    for path in sorted(staging.iterdir()):
        os.replace(path, target / path.name)


def apply_umask(path: Path) -> None:
    """Give a staged file, or a folder and everything in it, the usual permissions (temporary ones are owner-only)."""
    umask = current_umask()
    for item in [path, *path.rglob("*")] if path.is_dir() else [path]:
        item.chmod((0o777 if item.is_dir() else 0o666) & ~umask)


def current_umask() -> int:
    """The process umask (read once per call: reading it means setting it for an instant)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask

"""The corrections review (issue 37): decisions on disk, automatic flags, what training reads, the per-digit gate."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from review_corpus import write_corpus

from mnist_hub import DEFAULT_MODEL, load_model
from mnist_hub.corrections import read_corrections
from serving.store import CorrectionStore
from training import review as review_script
from training.decisions import (
    ACCEPT,
    AUTOMATIC,
    FLAG,
    REJECT,
    REVIEW_FILE,
    Decision,
    read_decisions,
    record_decisions,
    status,
)
from training.extra_data import load_extra_data
from training.flags import BURST_COUNT, flag_corrections, reference_opinions
from training.gate import gate_verdict, regressions


@pytest.fixture(scope="module")
def corpus(mnist_test, tmp_path_factory) -> tuple[Path, dict[str, set[str]]]:
    folder = tmp_path_factory.mktemp("corrections")
    return folder, write_corpus(folder, *mnist_test)


def test_decisions_are_appended_read_back_and_a_persons_decision_outlives_a_later_flag(tmp_path):
    record_decisions(tmp_path, [Decision("a/1.png", FLAG, AUTOMATIC, "t1", "doubted")])
    record_decisions(
        tmp_path, [Decision("a/1.png", REJECT, "ann", "t2", "a 7"), Decision("a/2.png", ACCEPT, "ann", "t2")]
    )
    record_decisions(tmp_path, [Decision("a/1.png", FLAG, AUTOMATIC, "t3", "doubted again")])
    with open(tmp_path / REVIEW_FILE, "a") as f:
        f.write('{"file_name": "a/3.png", "decis')  # a crash mid-line
    record_decisions(tmp_path, [Decision("a/4.png", ACCEPT, "bob", "t4")])
    standing = read_decisions(tmp_path)
    assert standing["a/1.png"] == Decision("a/1.png", REJECT, "ann", "t2", "a 7")
    assert [status(standing, n) for n in ("a/1.png", "a/2.png", "a/3.png", "a/4.png")] == [
        "rejected",
        "accepted",
        "unreviewed",
        "accepted",
    ], "the line after the torn one is whole"
    record_decisions(tmp_path, [Decision("a/1.png", ACCEPT, "bob", "t5", "it is a 1 after all")])
    assert status(read_decisions(tmp_path), "a/1.png") == "accepted", "a person may change a person's decision"


@pytest.mark.parametrize(
    "line",
    ["[1, 2]", '{"file_name": 3, "decision": "accept"}', '{"file_name": "x.png", "decision": "trust me"}', "{"],
)
def test_review_lines_from_anyone_are_read_as_untrusted(tmp_path, line):
    (tmp_path / REVIEW_FILE).write_text(line + "\n")
    assert read_decisions(tmp_path) == {}


def test_the_automatic_pass_flags_the_flood_the_false_refusal_and_the_repeat_but_not_the_honest(corpus):
    folder, kinds = corpus
    corrections = read_corrections(folder)
    reasons = flag_corrections(corrections, reference_opinions(load_model(), corrections))
    flagged = {c.file_name: r for c, r in zip(corrections, reasons, strict=True) if r}
    assert kinds["flood"] <= set(flagged)
    flood_reasons = " ".join(" ".join(flagged[name]) for name in kinds["flood"])
    assert "the reference reads 7" in flood_reasons and "12 of 12 doubted" in flood_reasons
    assert f"burst ({BURST_COUNT}+" in flood_reasons
    (false_refusal,) = kinds["not a digit"]
    assert "reference reads a sure 3" in flagged[false_refusal][0]
    (repeat,) = kinds["repeat"]
    assert flagged[repeat] == [f"nearly the same picture as {min(kinds['honest'])}"]
    assert not kinds["honest"] & set(flagged), "no honest correction is flagged"


def test_review_flags_once_rejects_a_sender_in_one_action_and_a_second_review_starts_where_the_first_stopped(corpus):
    folder, kinds = corpus
    (folder / REVIEW_FILE).unlink(missing_ok=True)
    review = review_script.load_review(str(folder), str(DEFAULT_MODEL), "ann")
    assert review.flag_new() == len(kinds["flood"]) + 2
    assert review.flag_new() == 0, "flagged once"
    groups = dict(review.groups("sender", "flagged"))
    assert groups["flooder"] == len(kinds["flood"])
    assert review.decide(review.members("sender", "flooder", "all"), REJECT, "a flood") == len(kinds["flood"])
    assert dict(review.groups("label", "all"))["1"] >= len(kinds["flood"])
    second = review_script.load_review(str(folder), str(DEFAULT_MODEL), "bob")
    assert second.flag_new() == 0
    counts = second.counts()
    assert counts["rejected"] == len(kinds["flood"]) and counts["flagged"] == 2
    assert counts["unreviewed"] == len(kinds["honest"])
    assert second.reject_flagged() == 2
    lines = [json.loads(line) for line in (folder / REVIEW_FILE).read_text().splitlines()]
    last = lines[-1]
    assert last["decision"] == REJECT and last["reviewer"] == "bob" and last["reason"].startswith("flagged: ")
    assert last["time"].endswith("+00:00")


def test_training_reads_accepted_corrections_only_unless_told_and_never_rejected_ones(corpus, capsys):
    folder, kinds = corpus
    (folder / REVIEW_FILE).unlink(missing_ok=True)
    with pytest.raises(ValueError, match=r"none of the 30 corrections .* is accepted yet: review them"):
        load_extra_data(str(folder))
    review = review_script.load_review(str(folder), str(DEFAULT_MODEL), "ann")
    review.flag_new()
    accepted = review.members("label", "1", "not reviewed")
    assert accepted, "honest 1s, not the flood's (flagged)"
    review.decide(accepted, ACCEPT)
    review.decide(review.members("sender", "flooder", "all")[:3], REJECT)
    capsys.readouterr()
    extra = load_extra_data(str(folder))
    assert len(extra.train_labels) + len(extra.held_out) == len(accepted)
    assert extra.review == {
        "accepted": len(accepted),
        "rejected": 3,
        "flagged": len(kinds["flood"]) - 3 + 2,
        "unreviewed": len(kinds["honest"]) - len(accepted),
        "unreviewed_used": False,
    }
    assert "Left out until reviewed" in capsys.readouterr().out
    everything = load_extra_data(str(folder), unreviewed=True)
    used = len(everything.train_labels) + len(everything.train_outliers) + len(everything.held_out)
    assert used == 30 - 3, "--unreviewed takes every correction but the rejected ones"
    out = capsys.readouterr().out
    assert "training on them too: --unreviewed" in out and "Flagged corrections trained on: " in out
    assert "the reference reads 7" in out


def test_the_review_command_rejects_what_is_flagged_and_accepts_the_rest(corpus, capsys):
    folder, kinds = corpus
    (folder / REVIEW_FILE).unlink(missing_ok=True)
    code = review_script.main([str(folder), "--reference", str(DEFAULT_MODEL), "--reject-flagged", "--reviewer", "ci"])
    assert code == 0
    standing = read_decisions(folder)
    rejected = {name for name, d in standing.items() if d.decision == REJECT}
    assert rejected == kinds["flood"] | kinds["not a digit"] | kinds["repeat"]
    assert {name for name, d in standing.items() if d.decision == ACCEPT} == kinds["honest"]
    assert f"Decisions are in {folder / REVIEW_FILE}" in capsys.readouterr().out


def test_the_review_says_in_one_line_what_is_missing(tmp_path, capsys):
    assert review_script.main([str(tmp_path / "nowhere"), "--reference", str(DEFAULT_MODEL)]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    (tmp_path / "empty").mkdir()
    assert review_script.main([str(tmp_path / "empty"), "--reference", str(DEFAULT_MODEL)]) == 2
    assert "holds no corrections" in capsys.readouterr().err
    store = CorrectionStore(tmp_path / "c", max_bytes=10**6)
    store.save(torch.zeros(1, 1, 28, 28), "1", "7", "m")
    assert review_script.main([str(tmp_path / "c"), "--reference", str(tmp_path / "no-model")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No reference model: ") and "--recipe reference" in err
    assert not (tmp_path / "c" / REVIEW_FILE).exists(), "nothing decided"


def figures(accuracy: list[float], refused: float = 0.01) -> dict:
    return {"MNIST test digits": {"accuracy": accuracy, "refused": refused}}


def test_the_gate_names_each_digit_that_fell_beyond_the_margin_and_a_rise_in_refusals():
    before = figures([0.99] * 10)
    after = figures([0.99] * 7 + [0.984, 0.99, 0.99], refused=0.02)
    assert regressions(before, figures([0.9951] * 10)) == []
    assert regressions(before, figures([0.99] * 7 + [0.9851, 0.99, 0.99])) == [], "0.49 points: within the margin"
    assert regressions(before, after) == [
        "digit 7 on MNIST test digits 99.00% -> 98.40%",
        "MNIST test digits refused 1.00% -> 2.00%",
    ]
    assert regressions(before, after, margin=1.5) == []
    counts = {"counts": {"MNIST test digits": 10_000}, "drawn_seed": 0}
    worse, said = gate_verdict({**counts, "sets": before}, {**counts, "sets": after})
    assert len(worse) == 2 and "2 regression(s)" in said
    assert gate_verdict(None, {**counts, "sets": after})[0] == []
    assert "skipped" in gate_verdict({**counts, "sets": before}, {"counts": {}, "drawn_seed": 0, "sets": after})[1]
    assert gate_verdict({**counts, "sets": {"MNIST test digits": "?"}}, {**counts, "sets": after}) == (
        [],
        "Per-digit gate skipped: the per-digit figures of one of the two models cannot be read.",
    )


def test_a_dataset_repos_corrections_are_reviewed_locally_and_the_decisions_uploaded_beside_them(hub, corpus, tmp_path):
    from huggingface_hub import HfApi

    folder, kinds = corpus
    (folder / REVIEW_FILE).unlink(missing_ok=True)
    api = HfApi()
    api.create_repo("user/corrections", repo_type="dataset")
    api.upload_folder(repo_id="user/corrections", repo_type="dataset", folder_path=folder)
    workdir = tmp_path / "work"
    review = review_script.load_review("user/corrections", str(DEFAULT_MODEL), "ann", str(workdir))
    review.flag_new()
    review.reject_flagged()
    assert review.upload() == f"Uploaded {REVIEW_FILE} to user/corrections: {review.summary()}."
    uploaded = hub.files("datasets/user/corrections")
    assert uploaded[REVIEW_FILE] == (workdir / REVIEW_FILE).read_bytes()
    extra = load_extra_data("user/corrections", unreviewed=True)  # as training reads the repo
    assert extra.review["rejected"] == len(kinds["flood"]) + 2
    hub.fail_always[r"/commit/"] = 500
    assert review.upload().startswith("Not uploaded: The Hub refused the push (500")


def test_a_refused_piece_of_a_number_is_captioned_as_no_digit_in_the_demo():
    from mnist_hub.predict import Prediction
    from serving.readings import number_html

    seven = torch.zeros(10)
    seven[7] = 0.97
    doubtful = torch.full((10,), 0.1)
    doubtful[3] = 0.19
    image = torch.zeros(1, 1, 28, 28)
    pieces = [Prediction(seven, image, 0.97, True), Prediction(doubtful, image, 0.19, False)]
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", number_html(pieces))
    assert captions == ["7 (97.0%)", "? not a digit (19.0%)"]


def test_held_out_corrections_count_a_right_refusal_as_right(corpus):
    from mnist_hub.corrections import NOT_A_DIGIT_LABEL
    from mnist_hub.preprocessing import prepare_image
    from training.extra_data import ExtraData, held_out_figures
    from training.synthetic import STAR, draw

    folder, kinds = corpus
    honest = [c for c in read_corrections(folder) if c.file_name in kinds["honest"]][:3]
    star = (prepare_image(draw(STAR, width=12))[0, 0] * 255).round().to(torch.uint8).numpy()
    refused = replace(honest[0], image=star, label=NOT_A_DIGIT_LABEL, answer="4")
    empty = torch.zeros(0, 1, 28, 28)
    extra = ExtraData("c", None, empty, torch.zeros(0, dtype=torch.int64), empty, [*honest, refused])
    figures = held_out_figures(load_model(), extra)
    assert figures == {"count": 4, "accuracy_before": 0.0, "accuracy_after": 1.0}


def test_held_out_figures_without_held_out_corrections_say_none_were_measured():
    """The metrics' figures for a run whose corrections were too few to hold any out (mutmut: the keys were free)."""
    from training.extra_data import ExtraData, held_out_figures

    empty = torch.zeros(0, 1, 28, 28)
    extra = ExtraData("c", None, empty, torch.zeros(0, dtype=torch.int64), empty, [])
    assert held_out_figures(load_model(), extra) == {"count": 0, "accuracy_before": None, "accuracy_after": None}


def test_the_review_page_listens_on_this_machine_only_unless_told(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")  # as a demo's environment may say
    assert review_script.parse_args(["corrections/"]).host == "127.0.0.1"
    assert review_script.parse_args(["corrections/", "--host", "0.0.0.0"]).host == "0.0.0.0"

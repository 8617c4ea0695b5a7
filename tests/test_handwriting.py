"""Numbers in a person's hand (issue 36): handwriting fonts, a narrow 1, digits close together, on plain and ruled
paper. The pictures are ``training.handwriting``'s; the fonts are Debian's (``.ci/run`` installs them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnist_hub import load_model
from mnist_hub.numbers import number_text, predict_number
from training.handwriting import FONTS, MissingFonts, fonts, random_number, write_in_font


@pytest.fixture(scope="module")
def model():
    return load_model()


def faces(style: str):
    try:
        return fonts(style)
    except MissingFonts as err:
        pytest.skip(str(err))


def test_the_ci_installs_every_handwriting_font():
    """``.ci/run`` installs the packages ``training.handwriting.FONTS`` names, no fewer."""
    script = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    wanted = {package for style in FONTS.values() for package in style}
    assert wanted <= set(script.replace('"', " ").split())


@pytest.mark.parametrize("style", ["tuned", "held-out"])
def test_every_digit_of_a_handwriting_font_is_read(model, style):
    """One of each digit in each font: what a number's reading builds on (dkg's 8 reads as a 0: 3 of 140 may fail)."""
    rng = np.random.default_rng(360)
    wrong = [
        f"{face.stem} {digit}->{read}"
        for face in faces(style)
        for digit in "0123456789"
        if (read := number_text(predict_number(model, write_in_font(digit, face, rng)))) != digit
    ]
    assert len(wrong) <= 3, wrong


# Numbers written along a ruled line, the page cropped close (seeded pictures; main read each as one refused "?": the
# line, which ran past the ink by less than a tenth of its length, stayed in the ink and joined the digits).
ON_A_LINE = [
    ("BecauseWeConnect-Regular.otf", "4284", 138272788),
    ("BecauseWeLearn-Regular.otf", "65055", 4156972),
    ("BecauseWeLearn-Regular.otf", "79121", 678771659),
    ("BecauseWeLearn-Regular.otf", "1161", 456148054),
    ("BecauseWeLearn-Regular.otf", "7151", 909791478),
    ("dkg.ttf", "01295", 541611959),
]


@pytest.mark.parametrize(("font", "text", "seed"), ON_A_LINE, ids=[text for _, text, _ in ON_A_LINE])
def test_a_number_written_along_a_ruled_line_is_read_without_the_line(model, font, text, seed):
    face = next(f for f in faces("tuned") if f.name == font)
    picture = write_in_font(text, face, np.random.default_rng(seed), "ruled")
    assert number_text(predict_number(model, picture)) == text


@pytest.mark.parametrize("paper", ["plain", "ruled"])
def test_numbers_in_held_out_handwriting_fonts_are_mostly_read(model, paper):
    """Fonts the reader was never looked at with: a floor against regressions (benchmarks/stationery.py measures
    200 a row; issue 36's target, 95 %, is not met yet: see benchmarks/README.md)."""
    rng = np.random.default_rng(3636 + (paper == "ruled"))
    held = faces("held-out")
    wrong = []
    for _ in range(40):
        text = random_number(rng)
        picture = write_in_font(text, held[int(rng.integers(len(held)))], rng, paper)
        if (read := number_text(predict_number(model, picture))) != text:
            wrong.append(f"{text}->{read}")
    assert len(wrong) <= 16, wrong

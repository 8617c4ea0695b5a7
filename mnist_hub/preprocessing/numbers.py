"""Where a written number's digits may be: its pieces of ink, the cuts inside them, and the candidate digits.

The geometry of recognition-based segmentation (``mnist_hub.numbers`` reads the number): the ink is
over-segmented, and every run of adjacent pieces or parts is a candidate digit, prepared like MNIST, with the cost
of its shape apart from the digit it is read as (too wide, too low, spanning a gap).

Pieces are the connected pieces of ink, those overlapping horizontally by ``MERGE_OVERLAP`` taken together (the
two strokes of a 4 or a 5), specks dropped. A piece wide enough to hold two digits gets cut candidates inside it:
the paths from top to bottom crossing the least ink (seams), so digits that touch or overlap come apart where
they meet. A digit standing alone, the common case, is one candidate and costs nothing more.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from .fitting import prepare_ink
from .ink import EIGHT_NEIGHBOURS, bounding_box
from .pipeline import extract_ink
from .reading import ImageError, to_grey

SPLIT_SIDE = 320  # pieces, cuts and candidates are made on a copy at most this many pixels on a side
MERGE_OVERLAP = 0.5  # pieces overlapping horizontally by this share of the narrower are one piece
SPECK_SHARE = 0.1  # a piece lighter than this share of the heaviest is a speck or a dot, not part of the number
MAX_MARKS = 40  # a picture of more pieces than this is refused in one line: each piece costs candidates to score
SEAM_ROWS = 32  # cuts are traced on a copy of the piece this many rows high
CUT_FROM = 0.45  # a piece at least this share of the line's height wide may hold two digits: it gets cuts
CUT_MARGIN = 0.12  # no cut ends closer than this share of the piece's height to its sides
CUT_SPACING = 0.1  # cuts end at least this share of the height apart (the cheapest within that reach)
DRIFT = 0.6  # a cut moving sideways by a column costs as much as crossing 0.6 of a column of full ink
SAME_CUT = 2.5  # two cuts this close on average (rows of the traced copy) are one
RUN_WIDTH = 1.5  # candidates of several atoms are at most this share of the line's height wide...
RUN_PIECES = 3  # ...span at most this many pieces (a digit read: at most 2, benchmarks/README.md)...
RUN_ATOMS = 10  # ...and, but for pieces whole, at most this many atoms (a digit read among cuts: at most 8)
MAX_ATOMS = 48  # pieces are cut while the atoms stay within this; beyond, a piece is read whole
WIDE = 1.8  # a candidate wider than this share of the line's height is two digits or more (MNIST: <= 1.67)...
WIDE_COST = 3.0  # ...and costs this much more
SHORT = 0.4  # a candidate lower than this share of the line's height is a fragment...
SHORT_COST = 2.0  # ...and costs this much more
JOIN_COST = 1.0  # pieces apart are digits apart: one candidate of two pieces costs this much more...
GAP_COST = 10.0  # ...and this much per line height of blank gap between them


@dataclass
class Candidates:
    """The candidate digits of a written number: ``runs[k]`` = (first atom, end atom) of candidate ``k``, its box
    (top, bottom, left, right) in the ink read, its prepared input ``inputs[k]``, and the cost of its shape apart
    from the digit read (``costs``). Atoms are the pieces and the parts of pieces between cuts, left to right;
    ``alone[g]`` is the candidate that is piece ``g`` whole (when no piece is cut)."""

    atoms: int
    runs: list[tuple[int, int]]
    boxes: list[tuple[int, int, int, int]]
    inputs: torch.Tensor
    costs: np.ndarray
    alone: list[int]
    parts: np.ndarray  # whether each candidate begins or ends at a cut: only a sure digit may
    pieces: list[tuple[int, int]]  # the pieces each candidate spans: (first, end)


@dataclass
class Layout:
    """A written number's ink (white on black, cropped), the copy at most ``SPLIT_SIDE`` on a side it is read on
    (``factor`` times smaller), its connected pieces (``labels``) and the pieces of the number (``groups``)."""

    ink: np.ndarray
    coarse: np.ndarray
    factor: int
    labels: np.ndarray
    count: int  # connected pieces of ink
    groups: list[tuple[list[int], int, int]]

    @property
    def line(self) -> int:
        """The line's height on the copy: what widths, heights and gaps are measured against."""
        return self.coarse.shape[0]

    def cuttable(self, g: int) -> bool:
        """Whether piece ``g`` is wide enough to hold two digits: only such a piece gets cuts."""
        _, first, end = self.groups[g]
        return end - first >= CUT_FROM * self.line

    def candidates(self, cut: Collection[int] = ()) -> Candidates:
        """Every run of adjacent atoms no wider than ``RUN_WIDTH`` x the line, of at most ``RUN_ATOMS`` atoms and
        ``RUN_PIECES`` pieces (and each atom, and each piece whole), the pieces ``cut`` cut along their ``seams``:
        at most ``MAX_ATOMS`` x ``RUN_ATOMS`` candidates, whatever the picture."""
        if self.count == 1 and not cut:  # one piece read whole, the common case: the ink itself, nothing to label
            height, width = self.coarse.shape
            return Candidates(
                atoms=1,
                runs=[(0, 1)],
                boxes=[(0, self.ink.shape[0], 0, self.ink.shape[1])],
                inputs=prepare_ink(self.ink),
                costs=np.array([shape_cost(0, 1, height, width, [0], self.groups, self.line)]),
                alone=[0],
                parts=np.array([False]),
                pieces=[(0, 1)],
            )
        cut = [g for g in cut if self.cuttable(g)]
        atoms, group_of_atom = cut_atoms(self.labels, self.coarse, self.groups, cut)
        count = len(group_of_atom)
        boxes = ndimage.find_objects(atoms, max_label=count)
        runs, extents, costs, parts, spans = [], [], [], [], []
        for first in range(count):
            top, bottom, left, right = self.coarse.shape[0], 0, self.coarse.shape[1], 0
            for end in range(first + 1, count + 1):
                rows, columns = boxes[end - 1]
                top, bottom = min(top, rows.start), max(bottom, rows.stop)
                left, right = min(left, columns.start), max(right, columns.stop)
                starts_whole = first == 0 or group_of_atom[first - 1] != group_of_atom[first]
                ends_whole = end == count or group_of_atom[end] != group_of_atom[end - 1]
                one_piece = group_of_atom[first] == group_of_atom[end - 1]
                if group_of_atom[end - 1] - group_of_atom[first] >= RUN_PIECES:
                    break  # spans too many pieces: longer runs span more
                if end > first + 1 and right - left > RUN_WIDTH * self.line:
                    if not one_piece:
                        break  # wider runs only grow
                    if not (starts_whole and ends_whole):
                        continue  # a piece whole is always a candidate, however wide; its parts are not
                if end - first > RUN_ATOMS and not (starts_whole and ends_whole):
                    continue  # nor a run of more parts than a digit is made of
                runs.append((first, end))
                extents.append((top, bottom, left, right))
                parts.append(not (starts_whole and ends_whole))
                spans.append((group_of_atom[first], group_of_atom[end - 1] + 1))
                costs.append(shape_cost(first, end, bottom - top, right - left, group_of_atom, self.groups, self.line))
        if len(runs) == 1:  # one piece, the common case: the ink itself, no copy
            inputs = prepare_ink(self.ink)
        else:  # each candidate from the copy it was found on: its ink, as fine as fitting it into 28x28 needs
            inputs = torch.cat(
                [run_input(self.coarse, atoms, run, box) for run, box in zip(runs, extents, strict=True)]
            )
        shape = self.ink.shape
        scaled = [tuple(min(v * self.factor, shape[k // 2]) for k, v in enumerate(box)) for box in extents]
        alone = [] if cut else [runs.index((g, g + 1)) for g in range(len(self.groups))]  # uncut: atoms are pieces
        return Candidates(
            count, runs, scaled, inputs, np.asarray(costs), alone, np.asarray(parts, dtype=bool), pieces=spans
        )


def layout(image: Any, printed: bool = True) -> Layout | None:
    """The ink of ``image`` (anything ``prepare_image`` reads) and its pieces; None when it holds no ink."""
    grey = to_grey(image)
    ink = None if grey is None else extract_ink(grey, printed)
    if ink is None:
        return None
    factor = max(1, -(-max(ink.shape) // SPLIT_SIDE))
    coarse = ink
    if factor > 1:  # a max-pool keeps every stroke; labelling a large crop at full size would cost the most
        coarse = F.max_pool2d(torch.from_numpy(ink)[None, None], factor, ceil_mode=True)[0, 0].numpy()
    labels, count = ndimage.label(coarse > 0, structure=EIGHT_NEIGHBOURS)
    if count == 0:
        return None
    groups = pieces(labels, count, coarse)
    if len(groups) > MAX_MARKS:  # dots sprinkled on a canvas, noise inside a margin, a page of print
        raise ImageError(
            f"Too many separate marks to read as a number (more than {MAX_MARKS}): draw or upload one digit or "
            "one number."
        )
    return Layout(ink, coarse, factor, labels, count, groups)


def pieces(labels: np.ndarray, count: int, coarse: np.ndarray) -> list[tuple[list[int], int, int]]:
    """The pieces of ink left to right as (labels, first column, end column): connected pieces overlapping
    horizontally by ``MERGE_OVERLAP`` of the narrower taken together, specks beside them dropped."""
    if count == 1:  # the ink is cropped to its one piece
        return [([1], 0, coarse.shape[1])]
    mass = ndimage.sum_labels(coarse, labels, index=np.arange(1, count + 1))
    boxes = ndimage.find_objects(labels)
    groups: list[tuple[list[int], int, int]] = []
    for k in sorted(range(count), key=lambda k: boxes[k][1].start):
        start, stop = boxes[k][1].start, boxes[k][1].stop
        if groups:
            members, first, end = groups[-1]
            if min(stop, end) - max(start, first) >= MERGE_OVERLAP * min(stop - start, end - first):
                groups[-1] = ([*members, k + 1], min(start, first), max(stop, end))
                continue
        if mass[k] >= SPECK_SHARE * float(mass.max()):
            groups.append(([k + 1], start, stop))
    return groups


def cut_atoms(
    labels: np.ndarray,
    coarse: np.ndarray,
    groups: list[tuple[list[int], int, int]],
    cut: Collection[int],
) -> tuple[np.ndarray, list[int]]:
    """Each ink pixel's atom (1, 2, ... left to right; 0 elsewhere) and each atom's piece: the pieces ``cut`` are cut
    along their ``seams``, left to right while the atoms stay within ``MAX_ATOMS`` (the rest are read whole)."""
    atoms = np.zeros(coarse.shape, np.int32)
    group_of_atom: list[int] = []
    for g, (members, first, end) in enumerate(groups):
        inside = np.isin(labels[:, first:end], members)
        rows = np.flatnonzero(inside.any(axis=1))
        top, bottom = int(rows[0]), int(rows[-1]) + 1
        inside = inside[top:bottom]
        part = np.zeros(inside.shape, np.int32)
        if g in cut:
            columns = np.arange(end - first)[None, :]
            for seam in seams(np.where(inside, coarse[top:bottom, first:end], 0.0)):
                part += columns > seam[:, None]
        used = np.unique(part[inside])  # a cut may leave nothing between it and the next
        if len(group_of_atom) + len(used) + len(groups) - g - 1 > MAX_ATOMS:
            part[:], used = 0, np.zeros(1, part.dtype)  # read whole
        number = np.searchsorted(used, part) + len(group_of_atom) + 1
        atoms[top:bottom, first:end][inside] = number[inside]
        group_of_atom += [g] * len(used)
    return atoms, group_of_atom


def seams(ink: np.ndarray) -> list[np.ndarray]:
    """Cuts through a piece of ink: for each row, the column left of which the cut passes, from top to bottom.

    Two kinds, on a copy ``SEAM_ROWS`` high: the cheapest paths from top to bottom (seam carving's dynamic
    programming: crossing little ink, moving sideways at ``DRIFT`` a column), ending at the cheapest column within
    ``CUT_SPACING`` of the height; and straight vertical cuts at the minima of the ink's column profile (where a
    path would wander off). None closer than ``CUT_MARGIN`` of the height to the piece's sides."""
    height, width = ink.shape
    scale = SEAM_ROWS / height
    small = F.interpolate(
        torch.from_numpy(np.ascontiguousarray(ink, dtype=np.float32))[None, None],
        size=(SEAM_ROWS, max(1, round(width * scale))),
        mode="area",
    )[0, 0].numpy()
    rows, columns = small.shape
    margin, reach = round(CUT_MARGIN * rows), round(CUT_SPACING * rows)
    if columns <= 2 * margin:
        return []
    paths = cheapest_paths(small, margin, reach)
    straight = local_minima(small.sum(axis=0), margin, reach)
    if paths:  # a straight cut close to a path is that path
        straight = straight[(np.abs(straight[:, None, None] - np.array(paths)[None]).mean(axis=2) >= SAME_CUT).all(1)]
    kept: list[int] = []
    for x in straight.tolist():  # ascending: a straight cut close to the one kept before it is that one
        if not kept or x - kept[-1] >= SAME_CUT:
            kept.append(x)
    paths += [np.full(rows, x, np.int64) for x in kept]
    rows_here = np.minimum(np.arange(height) * rows // height, rows - 1)
    return [(path[rows_here] + 0.5) / scale for path in paths]


def local_minima(values: np.ndarray, margin: int, reach: int) -> np.ndarray:
    """Indexes of ``values`` at least ``margin`` from either end that are the lowest within ``reach`` of them."""
    inner = values[margin : values.size - margin]
    lowest = ndimage.minimum_filter1d(inner, 2 * reach + 1, mode="nearest")
    return np.flatnonzero(inner <= lowest) + margin


def cheapest_paths(small: np.ndarray, margin: int, reach: int) -> list[np.ndarray]:
    """The cheapest top-to-bottom paths through ``small`` (each row's column), one per local minimum of their
    cost at the bottom; paths that converge onto one are one."""
    rows, columns = small.shape
    cost = small.astype(np.float64)
    step = np.zeros((rows, columns), np.int64)  # each cell's column in the row above on its cheapest path
    index = np.arange(columns)
    for y in range(1, rows):
        above = np.pad(cost[y - 1], 1, constant_values=np.inf)
        choices = np.stack([above[:-2] + DRIFT, above[1:-1], above[2:] + DRIFT])
        best = choices.argmin(axis=0)
        step[y] = index + best - 1
        cost[y] += choices[best, index]
    paths: list[np.ndarray] = []
    for x in local_minima(cost[-1], margin, reach):
        path = np.empty(rows, np.int64)
        path[-1] = x
        for y in range(rows - 1, 0, -1):
            path[y - 1] = step[y, path[y]]
        if not paths or np.abs(path - paths[-1]).mean() >= SAME_CUT:
            paths.append(path)
    return paths


def shape_cost(
    first: int,
    end: int,
    height: int,
    width: int,
    group_of_atom: list[int],
    groups: list[tuple[list[int], int, int]],
    line: int,
) -> float:
    """What a candidate's shape costs whatever digit it is read as: too wide, too low, or spanning a gap."""
    cost = WIDE_COST if width > WIDE * line else 0.0
    if height < SHORT * line:
        cost += SHORT_COST
    for atom in range(first, end - 1):
        g, h = group_of_atom[atom], group_of_atom[atom + 1]
        if g != h:
            cost += JOIN_COST + GAP_COST * max(0, groups[h][1] - groups[g][2]) / line
    return cost


def run_input(ink: np.ndarray, atoms: np.ndarray, run: tuple[int, int], box: tuple[int, int, int, int]) -> torch.Tensor:
    """Candidate ``run``'s ink (atoms first+1 .. end) within its ``box``, cropped and prepared like MNIST."""
    top, bottom, left, right = box
    window = atoms[top:bottom, left:right]
    piece = np.where((window > run[0]) & (window <= run[1]), ink[top:bottom, left:right], 0.0)
    return prepare_ink(np.ascontiguousarray(piece[bounding_box(piece > 0)], dtype=np.float32))

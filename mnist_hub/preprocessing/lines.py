"""Printed lines: the lines of the paper people write on — ruled lines, a margin, a grid, a form's box — told
from the ink and taken out of it, so that the digit is what is left (issue 36).

A printed line is a long, thin, straight run of ink-coloured pixels, horizontal or vertical, found by a morphological
opening with a line as its structuring element (``scipy.ndimage``'s 1-D minimum then maximum filter: the runs of
at least ``LINE_SHARE`` of the picture's side), thin where the ink is no thicker across than ``MAX_THICKNESS``.
A run is paper when it runs from edge to edge (ruled, grid and margin lines) or meets the sides across it at its
corners (a box), and runs past the rest of the ink on both sides (``PAST``; a little is enough for two or more
parallel lines from edge to edge, ``RULED_PAST``: a page's screenshot may be cropped close to the number). A
digit's own straight strokes (a 1, the bar of a 7 or a 4, an underline) are none of these. Where a stroke crosses
or lies along a line, the stroke stays. Tuned on ``training.synthetic.on_paper``'s "tuned" style and the tuned
handwriting fonts (``training.handwriting``); benchmarks/stationery.py measures the held-out ones too.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

LINE_SHARE = 0.15  # a run at least this share of the picture's side long may be a printed line...
MIN_LINE = 16  # ...and at least this many pixels
MAX_THICKNESS = 0.03  # a printed line is at most this share of the picture's other side thick (at least 3 px)
EDGE = 0.02  # a ruled, grid or margin line runs to within this share of the picture's side from both edges
CORNER = 0.04  # a box's side ends within this share of the picture's side of the sides across it
THIN_SHARE = 0.3  # a printed line is thin along at least this share of its length (a number may sit along it)
SPECK = 0.05  # ink pieces under this share of the largest are left over from lines, not writing
PAST = 0.1  # a printed line runs past the rest of the ink by this share of its extent (2 px at least), both sides
RULED_PAST = 0.0  # ...or by 2 px, when two lines or more run from edge to edge the same way (ruled or squared paper)


def printed_lines(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Which pixels of an ink ``mask`` are printed lines, horizontal and vertical (None when there are none).

    Candidates are straight runs, thin along most of their length (``THIN_SHARE``); one is printed when it runs
    from edge to edge (ruled, grid and margin lines) or meets sides across it at both its ends (a box, a form's
    field), and runs past the rest of the ink on both sides. Only its thin stretches are taken: where a stroke lies
    along it (a 7's bar on a ruled line), the stroke stays. With no other ink, it takes two such lines (an empty
    page or grid); one alone may be a 1.
    """
    every = [straight_runs(mask, axis) for axis in (1, 0)]  # along rows, then along columns
    if not (every[0].any() or every[1].any()):
        return None
    thin = [thin_part(mask, every[k], axis) for k, axis in enumerate((1, 0))]
    rough = [rough_shape(thin[k], axis) for k, axis in enumerate((1, 0))]
    if not (rough[0][0] or rough[1][0] or (rough[0][1] and rough[1][1])):  # a drawing's strokes, most often
        return None
    crossing = every[0] & every[1]  # where two lines cross or meet (small), or a thick stroke's body (not)
    crossing = small_pieces(crossing, line_limit(mask, 0) + 1) if crossing.any() else crossing
    found = [(every[k], thin[k] | (crossing & beside(thin[k], axis))) for k, axis in enumerate((1, 0))]
    labelled = [ndimage.label(every)[0] for every, _ in found]
    pieces = [ndimage.find_objects(labels) for labels in labelled]
    slim = [
        thin_enough(labels, thin, own, axis)
        for labels, (_, thin), own, axis in zip(labelled, found, pieces, (1, 0), strict=True)
    ]
    shaped = [  # per piece (label 0 first, never): thin along its length, and edge to edge or framed
        flags
        & np.asarray([False, *(edge_to_edge(p, axis, mask.shape) or framed(p, axis, across, mask.shape) for p in own)])
        for flags, own, across, axis in zip(slim, pieces, pieces[::-1], (1, 0), strict=True)
    ]
    widths = [  # per piece (label 0 first): its pixels per unit of its length, how thick it is
        np.concatenate([[0.0], ndimage.sum_labels(runs, labels, np.arange(1, len(own) + 1))])
        / np.asarray([1, *(p[axis].stop - p[axis].start for p in own)])
        for labels, (runs, _), own, axis in zip(labelled, found, pieces, (1, 0), strict=True)
    ]
    combs = ladders(pieces, slim, widths, mask.shape)
    shaped = [flags | comb for flags, comb in zip(shaped, combs, strict=True)]
    if not (shaped[0].any() or shaped[1].any()):
        return None
    others = mask & ~(found[0][0] & found[1][0])  # not where runs cross: a box's corners, a grid's nodes
    for labels, (_, thin), flags in zip(labelled, found, shaped, strict=True):
        others &= ~(flags[labels] & thin)
    ink = ink_box(others)
    printed = []
    for flags, comb, own, axis in zip(shaped, combs, pieces, (1, 0), strict=True):
        parallel = ruled(flags, own, axis, mask.shape)
        # a ladder's sides and rungs hold what is written between them: they need not run past it
        printed.append(flags & (comb | np.asarray([False, *(past(p, axis, ink, parallel) for p in own)])))
    if ink is None and sum(int(p.sum()) for p in printed) < 2:
        return None
    kept = tuple(flags[labels] & thin for flags, labels, (_, thin) in zip(printed, labelled, found, strict=True))
    return (kept[0], kept[1]) if kept[0].any() or kept[1].any() else None


def straight_runs(mask: np.ndarray, axis: int) -> np.ndarray:
    """The straight runs of ``mask`` along ``axis`` (``runs``); only the band of rows (columns) that can hold one
    is searched."""
    length = line_length(mask, axis)
    found = np.zeros_like(mask)
    lines = np.flatnonzero(mask.sum(axis=axis) >= length)  # rows (columns) with that much ink at all
    if length > mask.shape[axis] or lines.size == 0:
        return found
    band = (slice(int(lines[0]), int(lines[-1]) + 1), slice(None))
    found[band if axis == 1 else band[::-1]] = runs(mask[band if axis == 1 else band[::-1]], axis, length)
    return found


def thin_part(mask: np.ndarray, found: np.ndarray, axis: int) -> np.ndarray:
    """Where the runs ``found`` along ``axis`` are no thicker across than a printed line (a stroke lying along or
    crossing a line, or a brush's stroke, is thicker), and not on the rim of something thicker. Only the band of
    the runs' rows (columns) and a line's thickness around them is looked at."""
    limit, thin = line_limit(mask, axis), np.zeros_like(found)
    lines = np.flatnonzero(found.any(axis=axis))
    if lines.size == 0:
        return thin
    side = slice(max(0, int(lines[0]) - limit - 1), min(mask.shape[1 - axis], int(lines[-1]) + limit + 2))
    band = (side, slice(None)) if axis == 1 else (slice(None), side)
    wide = ndimage.minimum_filter1d(mask[band].view(np.uint8), limit + 1, axis=1 - axis, mode="constant")
    wide = ndimage.maximum_filter1d(wide, limit + 1, axis=1 - axis, mode="constant")
    runs_here = found[band]
    rim = ndimage.maximum_filter1d(runs_here.view(np.uint8) & wide, 3, axis=1 - axis, mode="constant")
    thin[band] = runs_here & ~(wide | rim).astype(bool)  # the rim of a thick stroke is no line either
    return thin


def beside(thin: np.ndarray, axis: int) -> np.ndarray:
    """Pixels with thin line within a line's thickness of them along ``axis``: where it crosses another line or
    meets it at a box's corner (a stroke crossing it is given back by ``without_lines``)."""
    reach = line_limit(thin, axis) + 1
    return ndimage.maximum_filter1d(thin.view(np.uint8), 2 * reach + 1, axis=axis, mode="constant").astype(bool)


def small_pieces(mask: np.ndarray, side: int) -> np.ndarray:
    """The pieces of ``mask`` no larger than ``side`` either way: two thin lines' crossings, not a stroke's body."""
    labels, count = ndimage.label(mask)
    small = np.zeros(count + 1, dtype=bool)
    for k, piece in enumerate(ndimage.find_objects(labels), start=1):
        small[k] = all(s.stop - s.start <= side for s in piece)
    return small[labels]


def line_length(mask: np.ndarray, axis: int) -> int:
    """How long a run along ``axis`` must be to be a printed line, in pixels."""
    return max(MIN_LINE, round(LINE_SHARE * mask.shape[axis]))


def line_limit(mask: np.ndarray, axis: int) -> int:
    """How thick a printed line along ``axis`` may be, in pixels."""
    return max(3, round(MAX_THICKNESS * mask.shape[1 - axis]))


def rough_shape(thin: np.ndarray, axis: int) -> tuple[bool, bool]:
    """What the thin runs along ``axis`` may be, from their rows' (columns') counts alone, before anything is
    labelled: (a line from edge to edge, two sides of a box apart)."""
    lines = np.flatnonzero(thin.sum(axis=axis) >= THIN_SHARE * line_length(thin, axis))
    if lines.size == 0:
        return False, False
    reach = max(1, round(EDGE * thin.shape[axis]))
    ends = thin[lines] if axis == 1 else thin[:, lines].T
    to_edges = bool((ends[:, :reach].any(axis=1) & ends[:, -reach:].any(axis=1)).any())
    return to_edges, int(lines[-1]) - int(lines[0]) > line_limit(thin, axis)


def thin_enough(labels: np.ndarray, thin: np.ndarray, pieces: list, axis: int) -> np.ndarray:
    """Per label (0 first, never), whether the piece is thin along at least ``THIN_SHARE`` of its length."""
    flags = np.zeros(len(pieces) + 1, dtype=bool)
    for k, piece in enumerate(pieces, start=1):
        own = (labels[piece] == k) & thin[piece]
        length = piece[axis].stop - piece[axis].start
        flags[k] = np.count_nonzero(own.any(axis=1 - axis)) >= THIN_SHARE * length
    return flags


def ink_box(others: np.ndarray) -> tuple[slice, slice] | None:
    """The box of the ink that is not line, the crumbs lines leave at their ends and corners aside (pieces no
    larger than a line is thick, or under ``SPECK`` of the largest); None when nothing else is there."""
    labels, count = ndimage.label(others, structure=np.ones((3, 3), bool))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    crumb = line_limit(others, 0) ** 2
    keep = np.flatnonzero((sizes > crumb) & (sizes >= SPECK * sizes.max(initial=0))) + 1
    if keep.size == 0:
        return None
    boxes = [ndimage.find_objects(labels)[k - 1] for k in keep]
    return tuple(slice(min(b[a].start for b in boxes), max(b[a].stop for b in boxes)) for a in (0, 1))  # type: ignore[return-value]


def edge_to_edge(piece: tuple[slice, slice], axis: int, shape: tuple[int, int]) -> bool:
    along, reach = piece[axis], EDGE * shape[axis]
    return along.start <= reach and along.stop >= shape[axis] - reach


def framed(piece: tuple[slice, slice], axis: int, across: list, shape: tuple[int, int]) -> bool:
    """Whether both ends of ``piece`` (along ``axis``) meet an end of a piece ``across`` it: a side of a box, at
    its corners (a stroke between two ruled lines meets them along their length, not at their ends)."""
    reach = max(2.0, CORNER * max(shape))
    at = piece[1 - axis]  # where the piece lies across its own direction

    def corner(end: int) -> bool:
        return any(
            other[axis].start - reach <= end <= other[axis].stop - 1 + reach
            and (abs(at.start - other[1 - axis].start) <= reach or abs(at.stop - other[1 - axis].stop) <= reach)
            for other in across
        )

    return corner(piece[axis].start) and corner(piece[axis].stop - 1)


def ladders(
    pieces: list[list], slim: list[np.ndarray], widths: list[np.ndarray], shape: tuple[int, int]
) -> list[np.ndarray]:
    """Per piece (label 0 first, never; horizontal pieces, then vertical), whether it is part of a ladder: two
    parallel thin pieces, not from edge to edge, beginning and ending together, and two or more pieces across, no
    thicker than they are (``widths``), running from one to the other: a box's sides, a comb field's walls between
    its boxes, printed in one pen. Their corners need not meet: in a photo, perspective leaves a side or a corner
    out of the straight runs. Ruled lines are no ladder's sides (two 1s written between two ruled lines touching
    both are digits), nor are a digit's strokes, which seldom begin and end together (the 6 and the 1 of "611")."""
    flags = [np.zeros(len(own) + 1, dtype=bool) for own in pieces]
    reach = 2 + max(3, round(MAX_THICKNESS * min(shape)))  # a rung's end within a line's thickness of a side
    for k, axis in ((0, 1), (1, 0)):  # horizontal sides with vertical rungs, then vertical sides with horizontal ones
        sides = {n: p for n, p in enumerate(pieces[k], start=1) if slim[k][n] and not edge_to_edge(p, axis, shape)}
        spans: dict[tuple[int, int], list[int]] = {}
        for n, rung in enumerate(pieces[1 - k], start=1):
            if not slim[1 - k][n]:
                continue
            for first in meeting(sides, rung, rung[1 - axis].start, axis, reach):
                for last in meeting(sides, rung, rung[1 - axis].stop - 1, axis, reach):
                    width = 1.5 * max(widths[k][first], widths[k][last]) + 1
                    if first != last and widths[1 - k][n] <= width and alike(sides, first, last, axis, reach):
                        spans.setdefault((first, last), []).append(n)
        for (first, last), rungs in spans.items():
            if len(rungs) >= 2:
                flags[k][[first, last]] = True
                flags[1 - k][rungs] = True
    return flags


def alike(sides: dict, first: int, last: int, axis: int, reach: float) -> bool:
    """Whether two of the ``sides`` (labels ``first`` and ``last``) begin and end together along ``axis``, within
    ``reach``, as a box's or a comb field's opposite sides do (a digit's strokes seldom do)."""
    one, other = sides[first][axis], sides[last][axis]
    return abs(one.start - other.start) <= reach and abs(one.stop - other.stop) <= reach


def meeting(sides: dict, rung: tuple[slice, slice], end: int, axis: int, reach: float) -> list[int]:
    """The labels of the ``sides`` (along ``axis``) that the ``rung`` across them reaches at its ``end``."""
    at = rung[axis]  # where the rung lies along the sides
    return [
        n
        for n, side in sides.items()
        if side[1 - axis].start - reach <= end <= side[1 - axis].stop - 1 + reach
        and side[axis].start - reach <= at.start
        and at.stop <= side[axis].stop + reach
    ]


def ruled(flags: np.ndarray, pieces: list, axis: int, shape: tuple[int, int]) -> bool:
    """Whether two or more of the line-shaped ``pieces`` (``flags``, label 0 first) run from edge to edge along
    ``axis``: parallel lines, as ruled or squared paper has (a digit's straight strokes are one at most)."""
    return sum(bool(flags[k]) and edge_to_edge(p, axis, shape) for k, p in enumerate(pieces, start=1)) >= 2


def past(piece: tuple[slice, slice], axis: int, ink: tuple[slice, slice] | None, parallel: bool = False) -> bool:
    """Whether ``piece`` runs past the ``ink`` (its box) on both sides along ``axis`` (True without ink): by
    ``PAST`` of its extent, or by ``RULED_PAST`` when it is one of ``parallel`` lines (a number written across a
    notebook page's screenshot, cropped close, leaves little of its lines beside it)."""
    if ink is None:
        return True
    along, span = piece[axis], ink[axis]
    margin = max(2.0, (RULED_PAST if parallel else PAST) * (along.stop - along.start))
    return along.start <= span.start - margin and along.stop >= span.stop + margin


def runs(mask: np.ndarray, axis: int, length: int) -> np.ndarray:
    """The pixels of ``mask`` in straight runs along ``axis`` at least ``length`` long: an opening by a line."""
    eroded = ndimage.minimum_filter1d(mask.view(np.uint8), length, axis=axis, mode="nearest")  # runs on at edges
    return ndimage.maximum_filter1d(eroded, length, axis=axis, mode="nearest").astype(bool)


def without_lines(mask: np.ndarray, lines: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``mask`` without the printed ``lines`` (horizontal, vertical), but for where a stroke crosses one: a line's
    pixels with ink on both sides of it, across the line (a closing across its direction), stay. Crumbs the lines
    leave at their ends and corners (pieces touching them, no larger than a line is thick) go with them."""
    horizontal, vertical = lines
    every = horizontal | vertical
    rest = mask & ~every
    limit = line_limit(mask, 0)
    reach = limit + 2
    crossed = (horizontal & ndimage.binary_closing(rest, structure=np.ones((reach, 1), bool))) | (
        vertical & ndimage.binary_closing(rest, structure=np.ones((1, reach), bool))
    )
    kept = rest | crossed
    labels, count = ndimage.label(kept, structure=np.ones((3, 3), bool))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    touching = np.zeros(count + 1, dtype=bool)
    touching[labels[ndimage.binary_dilation(every, structure=np.ones((3, 3), bool)) & kept]] = True
    crumbs = touching & (sizes <= limit * limit)
    crumbs[0] = False
    return kept & ~crumbs[labels]

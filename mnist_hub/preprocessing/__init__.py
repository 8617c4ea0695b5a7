"""Turn pictures into what the network expects: (N, 1, 28, 28) float32 in [0, 1], white ink on black.

``prepare_image`` reproduces how MNIST itself was prepared (see the README): find the ink whatever its colour,
crop to it, fit it into a 20x20 box keeping the aspect ratio, and centre it by its centre of mass in 28x28.
Drawings and photos differ from MNIST in size, position, stroke width and polarity; this undoes all four. The
app, the evaluation scripts, the command line and the tests all use this one function. Its stages, a module each:

- ``pipeline``: ``prepare_image`` and ``extract_ink``, the stages below in order (this face only re-exports);
- ``reading``: any picture (file, bytes, PIL, numpy, Gradio's value) as one grey array, checked before decoding;
- ``ink``: a canvas's ink, read against its one paper level, and the helpers the other stages share;
- ``lines``: the paper's printed lines (ruled, squared, a margin, a form's box), taken out of a canvas's ink;
- ``photos``: a phone photo's ink, read against the paper's brightness estimated pixel by pixel;
- ``fitting``: cropped ink fitted into 28x28 as MNIST's digits were;
- ``numbers``: where a written number's digits may be (pieces, cuts, candidates), for ``mnist_hub.numbers``.
"""

from __future__ import annotations

from .fitting import mnist_to_tensor, prepare_ink, to_pixels
from .pipeline import extract_ink, prepare_image
from .reading import ImageError, check_image_file, to_grey

__all__ = [
    "ImageError",
    "check_image_file",
    "extract_ink",
    "mnist_to_tensor",
    "prepare_image",
    "prepare_ink",
    "to_grey",
    "to_pixels",
]

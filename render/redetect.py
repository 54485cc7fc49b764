"""MediaPipe Holistic on rendered frames: the landmarks a viewer's eye (and a tracker) finds in them."""

from __future__ import annotations

import numpy as np


def redetect(frames: np.ndarray, consecutive: bool = True) -> np.ndarray:
    """``(N, 543, 2)`` normalised landmarks (NaN where not found) of ``(N, H, W, 3)`` uint8 frames.

    ``consecutive`` frames of one video run in MediaPipe's tracking mode; unrelated frames (e.g.
    every 8th frame) in static-image mode, each detected afresh.
    """
    from motiongen.formats.holistic import HolisticExtractor, extract_frames

    if not len(frames):
        return np.zeros((0, 543, 2), np.float32)
    with HolisticExtractor(static_image_mode=not consecutive) as graph:
        found = extract_frames(list(frames), fps=30.0, expected_count=len(frames), extractor=graph)
    return found.landmarks[..., :2].astype(np.float32)

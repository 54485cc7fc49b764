"""MediaPipe on rendered frames: the landmarks a viewer's eye (and a tracker) finds in them.

Holistic (:func:`redetect`) gives every part, but looks for each hand where its pose puts the
wrist, so a badly drawn forearm hides a well drawn hand; the Hands solution
(:func:`redetect_hands`) searches the whole frame with its palm detector, so it tells whether a
hand is drawn, whatever the arm looks like.
"""

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


def redetect_hands(frames: np.ndarray, consecutive: bool = True, max_hands: int = 2) -> np.ndarray:
    """``(N, max_hands, 21, 2)`` normalised landmarks of the hands MediaPipe's Hands solution finds
    on ``(N, H, W, 3)`` uint8 frames (NaN in the slots of hands not found), in its tracking mode
    for ``consecutive`` frames of one video."""
    from mediapipe.python.solutions.hands import Hands

    found = np.full((len(frames), max_hands, 21, 2), np.nan, np.float32)
    with Hands(static_image_mode=not consecutive, max_num_hands=max_hands) as graph:
        for index, frame in enumerate(frames):
            hands = strongest_hands(graph.process(np.ascontiguousarray(frame)), max_hands)
            found[index, :len(hands)] = hands
    return found


def strongest_hands(result, max_hands: int) -> np.ndarray:
    """``(K, 21, 2)`` landmarks of at most ``max_hands`` hands of one MediaPipe Hands ``result``,
    the most confident first: in tracking mode it can return a tracked hand beside newly detected
    ones, more than ``max_num_hands``."""
    hands = result.multi_hand_landmarks or []
    scores = [entry.classification[0].score for entry in (result.multi_handedness or [])]
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")[:max_hands] if len(scores) == len(hands) \
        else np.arange(min(len(hands), max_hands))
    return np.array([[(point.x, point.y) for point in hands[slot].landmark] for slot in order], np.float32).reshape(-1, 21, 2)

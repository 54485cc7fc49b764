import subprocess
import sys

import numpy as np
import pytest

from motiongen.core import holistic_layout as layout


def test_part_ranges_tile_the_543_landmarks():
    covered = np.concatenate([np.arange(543)[layout.PART_SLICES[p]] for p in layout.PARTS])
    assert layout.LANDMARK_COUNT == 543
    np.testing.assert_array_equal(covered, np.arange(543))
    assert layout.PART_SLICES["face"] == slice(33, 501)
    assert layout.PART_SLICES["right_hand"] == slice(522, 543)


def test_names_match_mediapipe_enums():
    from mediapipe.python.solutions.hands import HandLandmark
    from mediapipe.python.solutions.pose import PoseLandmark

    assert layout.pose_names() == tuple(m.name.lower() for m in PoseLandmark)
    assert layout.hand_names() == tuple(m.name.lower() for m in HandLandmark)
    names = layout.landmark_names()
    assert len(names) == len(set(names)) == 543
    assert names[layout.landmark_index("pose.left_wrist")] == "pose.left_wrist"
    assert layout.landmark_index("left_hand.wrist") == 501
    assert layout.landmark_index("face.467") == 500
    with pytest.raises(KeyError, match="unknown holistic landmark"):
        layout.landmark_index("pose.tail")


def _as_set(edges: np.ndarray, offset: int) -> set[tuple[int, int]]:
    return {tuple(sorted((int(a) - offset, int(b) - offset))) for a, b in edges}


def _mp_set(connections) -> set[tuple[int, int]]:
    return {tuple(sorted(pair)) for pair in connections}


def test_connections_match_mediapipe_constants():
    from mediapipe.python.solutions import face_mesh_connections as face
    from mediapipe.python.solutions import hands_connections, pose

    assert _as_set(layout.connections("pose"), 0) == _mp_set(pose.POSE_CONNECTIONS)
    for hand in layout.HAND_PARTS:
        start = layout.PART_SLICES[hand].start
        assert _as_set(layout.connections(hand), start) == _mp_set(hands_connections.HAND_CONNECTIONS)
    for subset in layout.FACE_SUBSETS:
        expected = getattr(face, f"FACEMESH_{subset.upper()}")
        assert _as_set(layout.connections("face", subset), 33) == _mp_set(expected), subset
    with pytest.raises(KeyError, match="unknown face subset"):
        layout.connections("face", "irises")


def test_connections_stay_inside_their_part():
    for part in layout.PARTS:
        edges = layout.connections(part, "tesselation")
        part_slice = layout.PART_SLICES[part]
        assert edges.min() >= part_slice.start and edges.max() < part_slice.stop, part


def test_drawing_groups_split_the_pose_by_side():
    groups = layout.drawing_groups()
    pose_edges = np.concatenate([groups["pose_left"], groups["pose_right"], groups["pose_centre"]])
    assert _as_set(pose_edges, 0) == _as_set(layout.connections("pose"), 0)
    names = layout.pose_names()
    for a, b in groups["pose_left"]:
        assert names[a].startswith("left_") and names[b].startswith("left_")
    assert set(groups) >= {"left_hand", "right_hand", "lips", "face_oval", "left_eye", "right_eyebrow"}


def test_layout_module_imports_only_numpy_and_stdlib():
    probe = (
        "import sys, motiongen.core.holistic_layout as m; m.drawing_groups();"
        "bad = [n for n in ('mediapipe', 'torch', 'cv2', 'av', 'scipy') if n in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

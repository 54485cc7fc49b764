"""Generate ``motiongen/core/holistic_layout.json``: the MediaPipe Holistic landmark names and
connection lists, read from mediapipe's own constants (mediapipe 0.10.14).

``motiongen.core`` may import only numpy and the standard library, so the table is written once by
this script and loaded by :mod:`motiongen.core.holistic_layout`; ``tests/test_holistic_layout.py``
checks the stored table against the installed mediapipe.

Run from the repository root: ``python tools/make_holistic_layout.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from mediapipe.python.solutions import face_mesh_connections, hands_connections, pose
from mediapipe.python.solutions.hands import HandLandmark

OUT = Path(__file__).resolve().parent.parent / "motiongen" / "core" / "holistic_layout.json"

FACE_SETS = {
    "tesselation": face_mesh_connections.FACEMESH_TESSELATION,
    "contours": face_mesh_connections.FACEMESH_CONTOURS,
    "face_oval": face_mesh_connections.FACEMESH_FACE_OVAL,
    "lips": face_mesh_connections.FACEMESH_LIPS,
    "left_eye": face_mesh_connections.FACEMESH_LEFT_EYE,
    "right_eye": face_mesh_connections.FACEMESH_RIGHT_EYE,
    "left_eyebrow": face_mesh_connections.FACEMESH_LEFT_EYEBROW,
    "right_eyebrow": face_mesh_connections.FACEMESH_RIGHT_EYEBROW,
    "nose": face_mesh_connections.FACEMESH_NOSE,
}


def edges(connections) -> list[list[int]]:
    """A frozenset of (a, b) pairs as a sorted list of ``[min, max]`` pairs (stable file diffs)."""
    return sorted(sorted((int(a), int(b))) for a, b in connections)


def main() -> None:
    table = {
        "source": "mediapipe 0.10.14 solutions constants (PoseLandmark, HandLandmark, *_CONNECTIONS, FACEMESH_*)",
        "pose_names": [landmark.name.lower() for landmark in pose.PoseLandmark],
        "hand_names": [landmark.name.lower() for landmark in HandLandmark],
        "pose_connections": edges(pose.POSE_CONNECTIONS),
        "hand_connections": edges(hands_connections.HAND_CONNECTIONS),
        "face_connections": {name: edges(value) for name, value in FACE_SETS.items()},
    }
    OUT.write_text(json.dumps(table, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()

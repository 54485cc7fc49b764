"""BEAT skeleton joint → MediaPipe Holistic landmark table (the person's own left/right on both sides).

MediaPipe's pose "shoulder" is the top of the upper arm, which is the BEAT ``*Arm`` joint (the
``*Shoulder`` joint is the clavicle root, near the neck); the pose elbow/wrist are ``*ForeArm`` /
``*Hand``; pose pinky/index/thumb are the knuckles ``*HandPinky1`` / ``*HandIndex1`` /
``*HandThumb2``. Hand landmarks follow the finger chains (``*1`` = MCP knuckle ... ``*4`` = tip;
the thumb's ``Thumb1`` is its CMC joint). The pose landmarks of the head (nose, eyes, ears, mouth
corners) are not in the table: they move with the head like the face (see :mod:`.face`).
"""

from __future__ import annotations

_POSE_SIDE = {
    "shoulder": "Arm", "elbow": "ForeArm", "wrist": "Hand", "pinky": "HandPinky1", "index": "HandIndex1",
    "thumb": "HandThumb2", "hip": "UpLeg", "knee": "Leg", "ankle": "Foot", "heel": "Foot", "foot_index": "ToeBase",
}
_HAND = {
    "wrist": "Hand",
    "thumb_cmc": "HandThumb1", "thumb_mcp": "HandThumb2", "thumb_ip": "HandThumb3", "thumb_tip": "HandThumb4",
    "index_finger_mcp": "HandIndex1", "index_finger_pip": "HandIndex2", "index_finger_dip": "HandIndex3", "index_finger_tip": "HandIndex4",
    "middle_finger_mcp": "HandMiddle1", "middle_finger_pip": "HandMiddle2", "middle_finger_dip": "HandMiddle3", "middle_finger_tip": "HandMiddle4",
    "ring_finger_mcp": "HandRing1", "ring_finger_pip": "HandRing2", "ring_finger_dip": "HandRing3", "ring_finger_tip": "HandRing4",
    "pinky_mcp": "HandPinky1", "pinky_pip": "HandPinky2", "pinky_dip": "HandPinky3", "pinky_tip": "HandPinky4",
}
HEAD_JOINT = "Head"
HAND_LENGTH_JOINT = ("LeftHand", "LeftHandMiddle1")   # a hand's length: hand joint to middle knuckle
SHOULDER_JOINTS = ("LeftArm", "RightArm")


def beat_to_holistic() -> dict[str, str]:
    """``{"<part>.<landmark>": BEAT joint}`` for the 22 body pose landmarks and 2 x 21 hand landmarks."""
    table = {}
    for side, prefix in (("left", "Left"), ("right", "Right")):
        for name, joint in _POSE_SIDE.items():
            table[f"pose.{side}_{name}"] = prefix + joint
        for name, joint in _HAND.items():
            table[f"{side}_hand.{name}"] = prefix + joint
    return table

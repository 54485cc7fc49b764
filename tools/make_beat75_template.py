"""Generate ``motiongen/skeletons/beat75_template.bvh``: BEAT's 75-joint hierarchy with procedural
bone offsets and a relaxed standing rest pose (one frame, 30 fps).

Sources (no BEAT file is read or copied):
- joint names and their file order: ``motiongen/skeletons/joint_sets/beat75.yaml``;
- topology, channels and Euler order follow the BEAT v0.2.1 BVH layout: root with 6 channels
  (Xposition Yposition Zposition Xrotation Yrotation Zrotation), every other joint 3 rotation
  channels in XYZ order, Y up, the character facing +Z, T-pose at zero rotation (arms along +-X);
  fingers Middle/Ring/Index hang off the hand, Pinky off Ring, Thumb off Index; ``*4``, ``HeadEnd``
  and ``*ToeBaseEnd`` carry End Sites;
- bone lengths: segment lengths as fractions of body height H from D. A. Winter, *Biomechanics and
  Motor Control of Human Movement* (4th ed., 2009), Fig. 4.1 (after Drillis & Contini 1966), for
  H = 175 cm. Trunk, neck, hand and foot segments are subdivided evenly into BEAT's joints.

Run from the repository root: ``python tools/make_beat75_template.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motiongen.core.skeleton import Skeleton
from motiongen.formats.bvh import write_bvh
from motiongen.skeletons import load_joint_set

HEIGHT_CM = 175.0
OUT = Path(__file__).resolve().parent.parent / "motiongen" / "skeletons" / "beat75_template.bvh"

# Winter (2009) Fig. 4.1, fractions of H.
HIP_HEIGHT = 0.530          # greater trochanter above the floor
SHOULDER_HEIGHT = 0.818     # acromion
CHIN_HEIGHT = 0.870
SHOULDER_WIDTH = 0.259      # biacromial
HIP_WIDTH = 0.191           # bi-trochanteric
HIP_JOINT_SPACING = 0.52 * HIP_WIDTH  # hip joint centres lie inside the trochanters
UPPER_ARM, FOREARM, HAND = 0.186, 0.146, 0.108
THIGH, SHANK, ANKLE_HEIGHT, FOOT_LENGTH = 0.245, 0.246, 0.039, 0.152
HEAD_TOP = 1.0

# Fingers: lengths of the metacarpal and the three phalanges as fractions of the hand length
# (the thumb's metacarpal slot is unused: Thumb1 sits at the wrist), and the sideways (z,
# palm-forward) spread of each finger's wrist joint in cm.
FINGER_SEGMENTS = {
    "Middle": ((0.46, 0.24, 0.16, 0.10), 0.0),
    "Ring": ((0.43, 0.23, 0.15, 0.09), -0.9),
    "Pinky": ((0.36, 0.19, 0.12, 0.09), -0.9),
    "Index": ((0.45, 0.23, 0.14, 0.09), 0.9),
    "Thumb": ((0.0, 0.28, 0.19, 0.12), 0.9),
}

def parent_name(name: str) -> str | None:
    """BEAT's parent of each joint, from the naming scheme."""
    chain = {
        "Hips": None, "Spine": "Hips", "Spine1": "Spine", "Spine2": "Spine1", "Spine3": "Spine2",
        "Neck": "Spine3", "Neck1": "Neck", "Head": "Neck1", "HeadEnd": "Head",
    }
    if name in chain:
        return chain[name]
    side = "Right" if name.startswith("Right") else "Left"
    part = name[len(side):]
    limb = {
        "Shoulder": "Spine3", "Arm": f"{side}Shoulder", "ForeArm": f"{side}Arm", "Hand": f"{side}ForeArm",
        "UpLeg": "Hips", "Leg": f"{side}UpLeg", "Foot": f"{side}Leg", "ForeFoot": f"{side}Foot",
        "ToeBase": f"{side}ForeFoot", "ToeBaseEnd": f"{side}ToeBase",
        "HandMiddle1": f"{side}Hand", "HandRing": f"{side}Hand", "HandPinky": f"{side}HandRing",
        "HandIndex": f"{side}Hand", "HandThumb1": f"{side}HandIndex",
    }
    if part in limb:
        return limb[part]
    # HandRing1 -> HandRing, HandRing2 -> HandRing1, HandMiddle2 -> HandMiddle1, ...
    digit = int(part[-1])
    base = part[:-1]
    return f"{side}{base}" if digit == 1 else f"{side}{base}{digit - 1}"


def offset_of(name: str) -> np.ndarray:
    """Offset (cm) of a joint from its parent in the T-pose."""
    h = HEIGHT_CM
    spine_rise = (SHOULDER_HEIGHT - 0.05 - HIP_HEIGHT) * h  # hips -> base of the shoulder girdle
    neck_rise = (CHIN_HEIGHT - SHOULDER_HEIGHT + 0.03) * h
    fixed = {
        "Hips": (0, 0, 0),
        "Spine": (0, 0.12 * spine_rise, -0.02 * h), "Spine1": (0, 0.24 * spine_rise, -0.01 * h),
        "Spine2": (0, 0.24 * spine_rise, 0), "Spine3": (0, 0.25 * spine_rise, 0.01 * h),
        "Neck": (0, 0.15 * spine_rise, 0.01 * h), "Neck1": (0, 0.35 * neck_rise, 0),
        "Head": (0, 0.35 * neck_rise, 0), "HeadEnd": (0, (HEAD_TOP - CHIN_HEIGHT) * h, 0),
    }
    if name in fixed:
        return np.array(fixed[name], dtype=np.float64)
    side = -1.0 if name.startswith("Right") else 1.0
    part = name[5:] if side < 0 else name[4:]
    limb = {
        "Shoulder": (0, 0.12 * spine_rise, 0.03 * h),
        "Arm": (side * 0.5 * SHOULDER_WIDTH * h, 0, 0),
        "ForeArm": (side * UPPER_ARM * h, 0, 0),
        "Hand": (side * FOREARM * h, 0, 0),
        "UpLeg": (side * 0.5 * HIP_JOINT_SPACING * h, 0, 0),
        "Leg": (0, -THIGH * h, 0),
        "Foot": (0, -SHANK * h, 0),
        "ForeFoot": (0, -0.4 * ANKLE_HEIGHT * h, 0),
        "ToeBase": (0, -0.6 * ANKLE_HEIGHT * h, 0.35 * FOOT_LENGTH * h),
        "ToeBaseEnd": (0, 0, 0.45 * FOOT_LENGTH * h),
    }
    if part in limb:
        return np.array(limb[part], dtype=np.float64)
    finger = next(f for f in FINGER_SEGMENTS if part.startswith("Hand" + f))
    lengths, spread = FINGER_SEGMENTS[finger]
    digit = part[len("Hand" + finger):]
    if digit == "" or (finger == "Thumb" and digit == "1"):
        # Ring, Pinky, Index and Thumb1 sit at the wrist (BEAT chains them off a neighbour).
        return np.array([side * 0.3, -0.2 - 0.6 * (finger == "Thumb"), spread])
    length = lengths[int(digit) - 1] * HAND * h
    if finger == "Thumb":
        return np.array([side * 0.8 * length, -0.15 * length, 0.45 * length])
    return np.array([side * length, 0.0, 0.08 * spread * length])


def end_site_of(name: str) -> np.ndarray:
    """End Site offsets continue the bone direction with a short tip."""
    if name == "HeadEnd":
        return np.array([0.0, 0.05 * HEIGHT_CM, 0.0])
    if name.endswith("ToeBaseEnd"):
        return np.array([0.0, 0.0, 0.02 * HEIGHT_CM])
    side = -1.0 if name.startswith("Right") else 1.0
    return np.array([side * 0.008 * HEIGHT_CM, 0.0, 0.0])


def rest_pose(names: list[str]) -> np.ndarray:
    """(J, 3) XYZ degrees of a relaxed stance: arms down along the body, elbows slightly bent,
    fingers slightly curled."""
    euler = np.zeros((len(names), 3))
    for j, name in enumerate(names):
        side = -1.0 if name.startswith("Right") else 1.0
        if name.endswith("Arm") and "Fore" not in name:
            euler[j] = (0.0, 0.0, side * -75.0)
        elif name.endswith("ForeArm"):
            euler[j] = (0.0, side * -20.0, 0.0)
        elif "Hand" in name and name[-1] in "234":
            euler[j] = (0.0, 0.0, side * -12.0)
    return euler


def main() -> None:
    names = load_joint_set("beat75")
    index = {name: i for i, name in enumerate(names)}
    parents = np.array([-1 if parent_name(n) is None else index[parent_name(n)] for n in names])
    offsets = np.stack([offset_of(n) for n in names])
    leaves = set(range(len(names))) - set(parents.tolist())
    skeleton = Skeleton(
        names=names,
        parents=parents,
        offsets=offsets,
        channels=[("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")]
        + [("Xrotation", "Yrotation", "Zrotation")] * (len(names) - 1),
        rotation_orders=["XYZ"] * len(names),
        end_sites={j: end_site_of(names[j]) for j in sorted(leaves)},
    )
    hips_height = HIP_HEIGHT * HEIGHT_CM
    write_bvh(OUT, skeleton, rest_pose(names)[None], np.array([[0.0, hips_height, 0.0]]), frame_time=1 / 30,
              decimals=4)
    print(f"wrote {OUT} ({len(names)} joints)")


if __name__ == "__main__":
    main()

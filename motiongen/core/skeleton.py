"""Skeletons: a joint hierarchy (:class:`Skeleton`) and the rest pose generated motion is written
onto (:class:`SkeletonTemplate`), with plain-JSON conversion for motion formats, caches,
checkpoints and motion files.

Conventions (BEAT's BVH ones): offsets in the file's units (centimetres for BEAT), Euler angles in
degrees in each joint's own intrinsic order (``"ZXY"`` means ``R = R_Z @ R_X @ R_Y``), joints in
depth-first order so a parent precedes its children and the root is joint 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

POSITION_CHANNELS = {"Xposition": 0, "Yposition": 1, "Zposition": 2}


@dataclass
class Skeleton:
    """A BVH hierarchy.

    Attributes:
        names: joint names, ``J`` of them, in file order (root first).
        parents: ``(J,)`` int parent index per joint, ``-1`` for the root.
        offsets: ``(J, 3)`` float64 offset of each joint from its parent (file units, cm for BEAT).
        channels: per joint, its channel names in file order (e.g. ``("Xrotation", ...)``).
        rotation_orders: per joint, a 3-letter intrinsic Euler order. Axes with a rotation channel
            come first in channel order; axes without one follow in X, Y, Z order and always hold
            a zero angle.
        end_sites: ``{joint index: (3,) offset}`` for joints that end in an ``End Site``.
    """

    names: list[str]
    parents: np.ndarray
    offsets: np.ndarray
    channels: list[tuple[str, ...]]
    rotation_orders: list[str]
    end_sites: dict[int, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.parents = np.asarray(self.parents, dtype=np.int64)
        self.offsets = np.asarray(self.offsets, dtype=np.float64).reshape(-1, 3)
        count = len(self.names)
        if not (len(self.parents) == len(self.offsets) == len(self.channels) == count
                and len(self.rotation_orders) == count):
            raise ValueError("names, parents, offsets, channels and rotation_orders differ in length")
        if count and (self.parents[0] != -1 or np.any(self.parents[1:] < 0)
                      or np.any(self.parents[1:] >= np.arange(1, count))):
            raise ValueError("parents must list the root first (-1) and every parent before its children")

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def num_channels(self) -> int:
        return sum(len(channels) for channels in self.channels)

    def index_of(self, names) -> np.ndarray:
        """Indices ``(K,)`` of the given joint names; raises ``KeyError`` naming all missing ones."""
        lookup = {name: index for index, name in enumerate(self.names)}
        missing = [name for name in names if name not in lookup]
        if missing:
            raise KeyError(f"skeleton lacks {len(missing)} joint(s): {', '.join(missing)}")
        return np.array([lookup[name] for name in names], dtype=np.int64)

    def translated_joints(self) -> list[int]:
        """Indices of non-root joints that carry position channels."""
        return [j for j in range(1, self.num_joints)
                if any(name in POSITION_CHANNELS for name in self.channels[j])]


    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON description (lists, strings, floats)."""
        return {
            "names": list(self.names),
            "parents": [int(p) for p in self.parents],
            "offsets": self.offsets.tolist(),
            "channels": [list(c) for c in self.channels],
            "rotation_orders": list(self.rotation_orders),
            "end_sites": {str(j): [float(v) for v in offset] for j, offset in self.end_sites.items()},
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> "Skeleton":
        """Inverse of :meth:`to_dict` (raises ``KeyError``/``ValueError`` on a malformed payload)."""
        return cls(
            names=[str(n) for n in payload["names"]],
            parents=np.asarray(payload["parents"], dtype=np.int64),
            offsets=np.asarray(payload["offsets"], dtype=np.float64),
            channels=[tuple(str(c) for c in channels) for channels in payload["channels"]],
            rotation_orders=[str(o) for o in payload["rotation_orders"]],
            end_sites={int(j): np.asarray(v, dtype=np.float64) for j, v in payload["end_sites"].items()},
        )


@dataclass
class SkeletonTemplate:
    """The hierarchy and rest pose generated joint rotations are written onto.

    Attributes:
        skeleton: the full hierarchy (names, offsets in cm, channels, Euler orders).
        rest_euler_deg: ``(J, 3)`` degrees per joint in its own Euler order, for joints the model
            does not generate.
        rest_root_translation: ``(3,)`` root position in cm.
    """

    skeleton: Skeleton
    rest_euler_deg: np.ndarray
    rest_root_translation: np.ndarray

    def __post_init__(self) -> None:
        self.rest_euler_deg = np.asarray(self.rest_euler_deg, dtype=np.float64)
        self.rest_root_translation = np.asarray(self.rest_root_translation, dtype=np.float64).reshape(3)
        if self.rest_euler_deg.shape != (self.skeleton.num_joints, 3):
            raise ValueError(f"rest_euler_deg must be ({self.skeleton.num_joints}, 3), got {self.rest_euler_deg.shape}")

    @classmethod
    def from_motion(cls, motion, frame: int = 0) -> "SkeletonTemplate":
        """Frame ``frame`` of a read BVH (anything with ``skeleton``, ``euler_deg`` (F, J, 3) and
        ``root_translation`` (F, 3)) as the rest pose."""
        return cls(motion.skeleton, motion.euler_deg[frame], motion.root_translation[frame])

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON description (lists, strings, floats)."""
        return {
            "skeleton": self.skeleton.to_dict(),
            "rest_euler_deg": self.rest_euler_deg.tolist(),
            "rest_root_translation": self.rest_root_translation.tolist(),
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> "SkeletonTemplate":
        """Inverse of :meth:`to_dict`."""
        return cls(Skeleton.from_dict(payload["skeleton"]), np.asarray(payload["rest_euler_deg"], dtype=np.float64),
                   np.asarray(payload["rest_root_translation"], dtype=np.float64))

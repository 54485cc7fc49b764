"""Rotation conversions, vectorised over any leading shape ``(...)``.

Representations and units:

* Euler angles: ``(..., 3)`` **degrees**, with an ``order`` string naming the axis of each angle.
  The convention is BVH's: intrinsic rotations applied in the listed order, so for the channel
  list ``Xrotation Yrotation Zrotation`` (order ``"XYZ"``) the joint's local rotation is
  ``R = R_X(a0) @ R_Y(a1) @ R_Z(a2)`` and a child vector ``v`` maps to ``R @ v``. This equals
  scipy's upper-case (intrinsic) ``Rotation.from_euler("XYZ", ...)``. All six Tait-Bryan orders
  (``XYZ XZY YXZ YZX ZXY ZYX``) and the six proper Euler orders (``XYX XZX YXY YZY ZXZ ZYZ``)
  are accepted.
* Rotation matrices: ``(..., 3, 3)``, acting on column vectors.
* Axis-angle: ``(..., 3)`` **radians**, the rotation axis scaled by the angle in ``[0, pi]``.
* Quaternions: ``(..., 4)`` in ``(w, x, y, z)`` order, unit norm, returned with ``w >= 0``.
* 6D (Zhou et al., CVPR 2019): ``(..., 6)`` = the first two matrix columns concatenated,
  ``[R[:, 0], R[:, 1]]``; :func:`sixd_to_matrix` re-orthonormalises with Gram-Schmidt.

Why the hot paths are hand-written instead of ``scipy.spatial.transform.Rotation`` (measured
with scipy 1.17 / numpy 2.4 on 957 frames x 75 joints = 71 775 rotations, the BEAT sample file):
``from_euler`` takes 185 ms, ``from_matrix`` 58 ms and ``as_rotvec`` 55 ms. Reading a BVH would be
dominated by them. Euler -> quaternion, quaternion -> matrix and quaternion -> axis-angle are
small numba kernels (one pass, no temporaries; compiled on first use and cached on disk): Euler ->
quaternion takes 2.7 ms there against 6-15 ms for the best numpy version (in-place,
component-first), whose many full-size temporaries made it memory bound. The less frequent
conversions stay vectorised numpy.
Quaternion -> Euler (only used on export) is delegated to scipy's ``as_euler``, which is both
correct at gimbal lock and fast enough there.
"""

from __future__ import annotations

import math
import warnings

import numba
import numpy as np
from scipy.spatial.transform import Rotation

_AXES = "XYZ"
TAIT_BRYAN_ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
PROPER_EULER_ORDERS = ("XYX", "XZX", "YXY", "YZY", "ZXZ", "ZYZ")
EULER_ORDERS = TAIT_BRYAN_ORDERS + PROPER_EULER_ORDERS


def _float_array(x) -> np.ndarray:
    """``x`` as a float array (float32 stays float32, everything else becomes float64)."""
    x = np.asarray(x)
    return x.astype(np.result_type(x.dtype, np.float32), copy=False)


def _check_last(x: np.ndarray, size: int, what: str) -> None:
    if x.shape[-1:] != (size,):
        raise ValueError(f"{what} must have shape (..., {size}), got {x.shape}")


def _check_matrix(mat: np.ndarray) -> None:
    if mat.shape[-2:] != (3, 3):
        raise ValueError(f"rotation matrices must have shape (..., 3, 3), got {mat.shape}")


def check_order(order: str) -> str:
    """Validate an Euler order string (e.g. ``"XYZ"``, ``"ZXZ"``) and return it upper-cased."""
    upper = order.upper() if isinstance(order, str) else order
    if upper not in EULER_ORDERS:
        raise ValueError(
            f"unknown Euler order {order!r}; expected one of {', '.join(EULER_ORDERS)}"
        )
    return upper


def _rows(x: np.ndarray, size: int) -> np.ndarray:
    """``(..., size)`` -> C-contiguous ``(N, size)`` (a view when ``x`` already is contiguous)."""
    return np.ascontiguousarray(x.reshape(-1, size))


@numba.njit(cache=True, nogil=True)
def _euler_to_quaternion_kernel(angles, first, middle, other, sign, proper, out):
    """``angles (N, 3)`` degrees -> ``out (N, 4)`` (w, x, y, z) with ``w >= 0``."""
    quarter = math.pi / 720.0
    for n in range(angles.shape[0]):
        t1 = math.tan(angles[n, 0] * quarter)
        t2 = math.tan(angles[n, 1] * quarter)
        t3 = math.tan(angles[n, 2] * quarter)
        d1 = 1.0 / (1.0 + t1 * t1)
        d2 = 1.0 / (1.0 + t2 * t2)
        d3 = 1.0 / (1.0 + t3 * t3)
        c1, s1 = (1.0 - t1 * t1) * d1, 2.0 * t1 * d1  # cos, sin of the half angles
        c2, s2 = (1.0 - t2 * t2) * d2, 2.0 * t2 * d2
        c3, s3 = (1.0 - t3 * t3) * d3, 2.0 * t3 * d3
        if proper:  # first and last axis equal
            w = c2 * (c1 * c3 - s1 * s3)
            a = c2 * (s1 * c3 + c1 * s3)
            b = s2 * (c1 * c3 + s1 * s3)
            c = sign * s2 * (s1 * c3 - c1 * s3)
        else:  # Tait-Bryan
            w = c1 * c2 * c3 - sign * s1 * s2 * s3
            a = s1 * c2 * c3 + sign * c1 * s2 * s3
            b = c1 * s2 * c3 - sign * s1 * c2 * s3
            c = c1 * c2 * s3 + sign * s1 * s2 * c3
        flip = -1.0 if w < 0.0 else 1.0
        out[n, 0] = flip * w
        out[n, 1 + first] = flip * a
        out[n, 1 + middle] = flip * b
        out[n, 1 + other] = flip * c


def euler_to_quaternion(deg, order: str) -> np.ndarray:
    """Euler angles ``(..., 3)`` in degrees (intrinsic, BVH order) -> quaternions ``(..., 4)``.

    The quaternion is the Hamilton product ``q_a * q_b * q_c`` of the three elementary rotations,
    written out in closed form (``e_a x e_b = sign * e_other`` fixes the signs). Half-angle sines
    and cosines come from ``t = tan(angle / 4)``: ``cos = (1 - t^2) / (1 + t^2)``,
    ``sin = 2 t / (1 + t^2)``. These maps have derivatives bounded by 1 in ``t``'s relative error,
    so they are accurate to a few ulp for any angle, including multiples of 360 degrees where
    ``t`` is huge (the formulas then give exactly -1 and ~0), and they share tan's 720-degree
    period with the half angle, so no range reduction is needed.
    """
    order = check_order(order)
    deg = _float_array(deg)
    _check_last(deg, 3, "Euler angles")
    i, j, k = (_AXES.index(axis) for axis in order)
    other = 3 - i - j
    sign = 1.0 if (i, j) in ((0, 1), (1, 2), (2, 0)) else -1.0
    out = np.empty(deg.shape[:-1] + (4,), dtype=deg.dtype)
    _euler_to_quaternion_kernel(_rows(deg, 3), i, j, other, sign, i == k, out.reshape(-1, 4))
    return out


def _canonical(q: np.ndarray) -> np.ndarray:
    """Flip quaternions ``(..., 4)`` in place so that ``w >= 0`` (q and -q are the same rotation)."""
    q *= np.copysign(1.0, q[..., :1])
    return q


@numba.njit(cache=True, nogil=True)
def _quaternion_to_matrix_kernel(quat, out):
    """``quat (N, 4)`` (any non-zero norm) -> ``out (N, 3, 3)``."""
    for n in range(quat.shape[0]):
        w, x, y, z = quat[n, 0], quat[n, 1], quat[n, 2], quat[n, 3]
        scale = 2.0 / (w * w + x * x + y * y + z * z)
        xs, ys, zs = x * scale, y * scale, z * scale
        xx, yy, zz = x * xs, y * ys, z * zs
        xy, xz, yz = x * ys, x * zs, y * zs
        wx, wy, wz = w * xs, w * ys, w * zs
        out[n, 0, 0] = 1.0 - (yy + zz)
        out[n, 0, 1] = xy - wz
        out[n, 0, 2] = xz + wy
        out[n, 1, 0] = xy + wz
        out[n, 1, 1] = 1.0 - (xx + zz)
        out[n, 1, 2] = yz - wx
        out[n, 2, 0] = xz - wy
        out[n, 2, 1] = yz + wx
        out[n, 2, 2] = 1.0 - (xx + yy)


def quaternion_to_matrix(quat) -> np.ndarray:
    """Quaternions ``(..., 4)`` (w, x, y, z; any non-zero norm) -> rotation matrices ``(..., 3, 3)``."""
    quat = _float_array(quat)
    _check_last(quat, 4, "quaternions")
    out = np.empty(quat.shape[:-1] + (3, 3), dtype=quat.dtype)
    _quaternion_to_matrix_kernel(_rows(quat, 4), out.reshape(-1, 3, 3))
    return out


def matrix_to_quaternion(mat) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` -> unit quaternions ``(..., 4)`` with ``w >= 0``.

    Shepperd's method: of the four symmetric-matrix rows that are each proportional to the
    quaternion, the one with the largest diagonal term is normalised (stable for all angles,
    including 180 degrees). Input is assumed orthonormal.
    """
    mat = _float_array(mat)
    _check_matrix(mat)
    shape = mat.shape[:-2]
    entries = np.moveaxis(mat.reshape(-1, 3, 3), 0, -1)  # (3, 3, N) views of each entry
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = entries
    rows = np.empty((4, 4, entries.shape[-1]), dtype=mat.dtype)  # component-first
    rows[0, 0] = 1.0 + m00 + m11 + m22
    rows[1, 1] = 1.0 + m00 - m11 - m22
    rows[2, 2] = 1.0 - m00 + m11 - m22
    rows[3, 3] = 1.0 - m00 - m11 + m22
    rows[0, 1] = rows[1, 0] = m21 - m12
    rows[0, 2] = rows[2, 0] = m02 - m20
    rows[0, 3] = rows[3, 0] = m10 - m01
    rows[1, 2] = rows[2, 1] = m01 + m10
    rows[1, 3] = rows[3, 1] = m02 + m20
    rows[2, 3] = rows[3, 2] = m12 + m21
    best = np.argmax(np.diagonal(rows).T, axis=0)  # (N,) row with the largest diagonal term
    quat = np.take_along_axis(rows, best[None, None], axis=0)[0]  # (4, N)
    quat /= np.sqrt(np.einsum("in,in->n", quat, quat))
    quat *= np.copysign(1.0, quat[0])
    return np.moveaxis(quat, 0, -1).reshape(shape + (4,))


@numba.njit(cache=True, nogil=True)
def _quaternion_to_axis_angle_kernel(quat, out):
    """``quat (N, 4)`` -> ``out (N, 3)`` radians, angle in [0, pi]."""
    for n in range(quat.shape[0]):
        w, x, y, z = quat[n, 0], quat[n, 1], quat[n, 2], quat[n, 3]
        sin_half = math.sqrt(x * x + y * y + z * z)
        if sin_half < 1e-12:  # angle / sin(angle / 2) -> 2 / |w|: tiny rotations stay exact
            factor = 2.0 / max(abs(w), 1e-300)
        else:
            factor = 2.0 * math.atan2(sin_half, abs(w)) / sin_half
        if w < 0.0:
            factor = -factor
        out[n, 0] = x * factor
        out[n, 1] = y * factor
        out[n, 2] = z * factor


def quaternion_to_axis_angle(quat) -> np.ndarray:
    """Quaternions ``(..., 4)`` (w, x, y, z) -> axis-angle ``(..., 3)`` radians, angle in [0, pi]."""
    quat = _float_array(quat)
    _check_last(quat, 4, "quaternions")
    out = np.empty(quat.shape[:-1] + (3,), dtype=quat.dtype)
    _quaternion_to_axis_angle_kernel(_rows(quat, 4), out.reshape(-1, 3))
    return out


def axis_angle_to_quaternion(axis_angle) -> np.ndarray:
    """Axis-angle ``(..., 3)`` radians -> unit quaternions ``(..., 4)`` (w, x, y, z), ``w >= 0``."""
    axis_angle = _float_array(axis_angle)
    _check_last(axis_angle, 3, "axis-angle vectors")
    angle = np.sqrt(np.einsum("...i,...i->...", axis_angle, axis_angle))
    out = np.empty(axis_angle.shape[:-1] + (4,), dtype=axis_angle.dtype)
    out[..., 0] = np.cos(0.5 * angle)
    # sin(angle / 2) / angle, written with np.sinc (sin(pi x) / (pi x)) so angle = 0 is exact.
    out[..., 1:] = axis_angle * (0.5 * np.sinc(angle / (2.0 * np.pi)))[..., None]
    return _canonical(out)


def quaternion_to_euler(quat, order: str) -> np.ndarray:
    """Quaternions ``(..., 4)`` (w, x, y, z) -> Euler angles ``(..., 3)`` degrees (intrinsic).

    At gimbal lock only the sum (or difference) of the first and third angle is defined; the third
    is then set to zero (scipy's convention), which still reproduces the rotation exactly, so
    scipy's warning about it is silenced.
    """
    order = check_order(order)
    quat = _float_array(quat)
    _check_last(quat, 4, "quaternions")
    flat = quat.reshape(-1, 4)[:, [1, 2, 3, 0]]  # scipy wants scalar-last
    if flat.shape[0] == 0:
        return np.zeros(quat.shape[:-1] + (3,), dtype=quat.dtype)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Gimbal lock detected", category=UserWarning)
        euler = Rotation.from_quat(flat).as_euler(order, degrees=True)
    return euler.reshape(quat.shape[:-1] + (3,)).astype(quat.dtype, copy=False)


def euler_to_matrix(deg, order: str) -> np.ndarray:
    """Euler angles ``(..., 3)`` degrees (intrinsic, BVH order) -> rotation matrices ``(..., 3, 3)``."""
    return quaternion_to_matrix(euler_to_quaternion(deg, order))


def matrix_to_euler(mat, order: str) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` -> Euler angles ``(..., 3)`` degrees (intrinsic, BVH order)."""
    return quaternion_to_euler(matrix_to_quaternion(mat), order)


def axis_angle_to_matrix(axis_angle) -> np.ndarray:
    """Axis-angle ``(..., 3)`` radians -> rotation matrices ``(..., 3, 3)``."""
    return quaternion_to_matrix(axis_angle_to_quaternion(axis_angle))


def matrix_to_axis_angle(mat) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` -> axis-angle ``(..., 3)`` radians."""
    return quaternion_to_axis_angle(matrix_to_quaternion(mat))


def euler_to_axis_angle(deg, order: str) -> np.ndarray:
    """Euler angles ``(..., 3)`` degrees (intrinsic, BVH order) -> axis-angle ``(..., 3)`` radians."""
    return quaternion_to_axis_angle(euler_to_quaternion(deg, order))


def axis_angle_to_euler(axis_angle, order: str) -> np.ndarray:
    """Axis-angle ``(..., 3)`` radians -> Euler angles ``(..., 3)`` degrees (intrinsic, BVH order)."""
    return quaternion_to_euler(axis_angle_to_quaternion(axis_angle), order)


def matrix_to_6d(mat) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` -> 6D ``(..., 6)`` = ``[first column, second column]``."""
    mat = _float_array(mat)
    _check_matrix(mat)
    return np.concatenate([mat[..., :, 0], mat[..., :, 1]], axis=-1)


def sixd_to_matrix(sixd) -> np.ndarray:
    """6D ``(..., 6)`` (two columns, any scale) -> rotation matrices ``(..., 3, 3)`` via Gram-Schmidt."""
    sixd = _float_array(sixd)
    _check_last(sixd, 6, "6D rotations")
    first = sixd[..., :3] / np.linalg.norm(sixd[..., :3], axis=-1, keepdims=True)
    second = sixd[..., 3:] - np.sum(first * sixd[..., 3:], axis=-1, keepdims=True) * first
    second /= np.linalg.norm(second, axis=-1, keepdims=True)
    third = np.cross(first, second)
    return np.stack([first, second, third], axis=-1)


def quaternion_slerp(q0, q1, weight) -> np.ndarray:
    """Spherical linear interpolation between unit quaternions along the shorter arc.

    Args:
        q0, q1: ``(..., 4)`` quaternions (w, x, y, z), broadcastable.
        weight: interpolation weight(s) in [0, 1], broadcastable to ``(...)``; 0 gives ``q0``.

    Returns:
        ``(..., 4)`` unit quaternions with ``w >= 0``. Nearly identical inputs fall back to
        normalised linear interpolation, which is exact to float precision there.
    """
    q0 = _float_array(q0)
    q1 = _float_array(q1)
    weight = np.asarray(weight, dtype=q0.dtype)[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.minimum(np.abs(dot), 1.0)
    theta = np.arccos(dot)
    sin_theta = np.sin(theta)
    near = sin_theta < 1e-6
    safe = np.where(near, 1.0, sin_theta)
    w0 = np.where(near, 1.0 - weight, np.sin((1.0 - weight) * theta) / safe)
    w1 = np.where(near, weight, np.sin(weight * theta) / safe)
    out = w0 * q0 + w1 * q1
    out /= np.linalg.norm(out, axis=-1, keepdims=True)
    return _canonical(out)


def _order_groups(orders) -> dict[str, np.ndarray]:
    groups: dict[str, list[int]] = {}
    for index, order in enumerate(orders):
        groups.setdefault(check_order(order), []).append(index)
    return {order: np.array(indices) for order, indices in groups.items()}


def joints_euler_to_quaternion(deg, orders) -> np.ndarray:
    """Per-joint Euler angles ``(..., J, 3)`` degrees, joint ``j`` in ``orders[j]`` -> ``(..., J, 4)``."""
    deg = _float_array(deg)
    if deg.shape[-2:] != (len(orders), 3):
        raise ValueError(f"expected Euler angles of shape (..., {len(orders)}, 3), got {deg.shape}")
    groups = _order_groups(orders)
    if len(groups) == 1:
        return euler_to_quaternion(deg, next(iter(groups)))
    out = np.empty(deg.shape[:-1] + (4,), dtype=deg.dtype)
    for order, indices in groups.items():
        out[..., indices, :] = euler_to_quaternion(deg[..., indices, :], order)
    return out


def joints_quaternion_to_euler(quat, orders) -> np.ndarray:
    """Per-joint quaternions ``(..., J, 4)`` -> Euler angles ``(..., J, 3)`` degrees in ``orders[j]``."""
    quat = _float_array(quat)
    if quat.shape[-2:] != (len(orders), 4):
        raise ValueError(f"expected quaternions of shape (..., {len(orders)}, 4), got {quat.shape}")
    out = np.empty(quat.shape[:-1] + (3,), dtype=quat.dtype)
    for order, indices in _order_groups(orders).items():
        out[..., indices, :] = quaternion_to_euler(quat[..., indices, :], order)
    return out

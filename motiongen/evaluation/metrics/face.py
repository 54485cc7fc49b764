"""Face metrics on blendshape weight curves: MSE and LVD, over all or over the mouth channels.

* MSE — ``Σ (generated − ground truth)²`` over every frame and channel of the set divided by
  ``Σ T·C`` (PantoMatrix ``emage_evaltools/mertic.py`` ``MSEFace``: sums and counts pooled over takes).
* LVD — velocity error ``Σ_t Σ_c |Δgenerated − Δground truth|`` (Δ the frame-to-frame difference,
  T − 1 per take) divided by ``Σ T·C`` — T, not T − 1, as ``emage_evaltools`` ``LVDFace`` counts —
  pooled over every take of the set (weight units per frame).

EMAGE computes both on FLAME face-mesh vertices; here they run on ARKit blendshape weights (the
face representation of the UWP paper and DiffSHEG), so only the arithmetic is EMAGE's.
"""

from __future__ import annotations

import numpy as np

MOUTH_PREFIXES = ("jaw", "mouth")  # ARKit channel names of the lower face


def mouth_channels(channel_names: list[str]) -> np.ndarray:
    """Indices of the ARKit channels that move the mouth (names starting with ``jaw``/``mouth``)."""
    indices = [i for i, name in enumerate(channel_names) if name.startswith(MOUTH_PREFIXES)]
    if not indices:
        raise ValueError(f"no mouth channels (jaw*/mouth*) among {channel_names[:5]}...")
    return np.asarray(indices, dtype=np.int64)


def _pairs(generated, target) -> list[tuple[np.ndarray, np.ndarray]]:
    generated = [generated] if isinstance(generated, np.ndarray) and generated.ndim == 2 else list(generated)
    target = [target] if isinstance(target, np.ndarray) and target.ndim == 2 else list(target)
    if len(generated) != len(target) or not generated:
        raise ValueError(f"need as many generated as target takes (>= 1), got {len(generated)} and {len(target)}")
    pairs = []
    for g, t in zip(generated, target):
        g, t = np.asarray(g, np.float64), np.asarray(t, np.float64)
        if g.shape != t.shape or g.ndim != 2:
            raise ValueError(f"generated and target takes must be the same (F, C) shape, got {g.shape} and {t.shape}")
        pairs.append((g, t))
    return pairs


def face_mse(generated, target) -> float:
    """EMAGE ``MSEFace`` of takes ``[(F_i, C)]`` (or one ``(F, C)`` array each): pooled mean
    squared error of the weights."""
    pairs = _pairs(generated, target)
    return float(sum(((g - t) ** 2).sum() for g, t in pairs) / sum(g.size for g, _ in pairs))


def face_lvd(generated, target) -> float:
    """EMAGE ``LVDFace`` of takes ``[(F_i, C)]`` (or one array each): ``Σ |Δg − Δt| / Σ F_i·C``."""
    pairs = _pairs(generated, target)
    if any(len(g) < 2 for g, _ in pairs):
        raise ValueError("LVD needs at least two frames per take")
    return float(sum(np.abs(np.diff(g, axis=0) - np.diff(t, axis=0)).sum() for g, t in pairs)
                 / sum(g.size for g, _ in pairs))

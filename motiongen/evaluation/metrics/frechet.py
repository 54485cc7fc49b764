"""Fréchet distance between two feature sets (FGD for gestures, FD for faces).

Follows pytorch-fid's ``calculate_frechet_distance`` (also what BEAT/CaMN, EMAGE, DiffSHEG and
SAiD call): each set is summarised by its mean and its covariance with ``ddof=1``
(``np.cov(rowvar=False)``), and

    d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½)

with the matrix square root from ``scipy.linalg.sqrtm``. As in pytorch-fid, ``eps·I`` is added to
both covariances only when the square root of the product is not finite (singular product), an
imaginary part whose diagonal stays below 1e-3 is dropped, and a larger one is an error.
Differences: a too-large imaginary part raises :class:`ValueError` here too, but BEAT/EMAGE catch
it and report 1e10 — motiongen never reports a made-up number.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

IMAGINARY_TOLERANCE = 1e-3


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(C,)`` and covariance ``(C, C)`` (``ddof=1``) of ``features (N, C)``, N >= 2, float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < 2:
        raise ValueError(f"features must be (N >= 2, C), got shape {features.shape}")
    if not np.isfinite(features).all():
        raise ValueError("features contain NaN or infinite values")
    return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False, ddof=1))


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (same width C).

    Raises:
        ValueError: shapes differ, or the square root keeps an imaginary part above 1e-3.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise ValueError(f"mismatched statistics: means {mu1.shape} {mu2.shape}, covariances {sigma1.shape} {sigma2.shape}")
    diff = mu1 - mu2
    with warnings.catch_warnings():  # a singular product is handled below, as pytorch-fid's disp=False does
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0.0, atol=IMAGINARY_TOLERANCE):
            raise ValueError(f"matrix square root has an imaginary component of {np.max(np.abs(covmean.imag)):.3g}")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def frechet_distance_of_features(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """:func:`frechet_distance` between the Gaussians fitted to ``features_a (N, C)`` and ``features_b (M, C)``."""
    return frechet_distance(*feature_statistics(features_a), *feature_statistics(features_b))

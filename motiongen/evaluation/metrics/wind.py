"""WInD (Wasserstein Inception Distance) as SAiD computes it for blendshape features.

Each feature set is fitted with a Gaussian mixture (``sklearn.mixture.GaussianMixture``, full
covariances); the distance between two components is their Fréchet distance
(:func:`~motiongen.evaluation.metrics.frechet.frechet_distance`), and WInD is the cost of the
optimal transport between the two mixtures' weights:

    min Σ_jk π_jk d_jk   s.t.  Σ_k π_jk = w_j,  Σ_j π_jk = v_k,  π ≥ 0

SAiD (``said/metric/wind.py``, called by ``script/test_evaluate.py`` ``evalute_wind``) fits K = 5
components (``--wind_num_clusters``) and reports the mean over 10 repetitions, each refitting both
mixtures; :func:`wind` does the same. Differences: SAiD solves the transport with cvxopt/GLPK using
``≤`` marginals plus Σπ = 1 (the same optimum), here ``scipy.optimize.linprog`` (HiGHS) with
equality marginals; SAiD's fits are unseeded, here repetition r fits with ``random_state = seed + r``
so the number is reproducible.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from motiongen.evaluation.metrics.frechet import frechet_distance


def fit_mixture(features: np.ndarray, components: int, seed: int = 0):
    """``(weights (K,), means (K, C), covariances (K, C, C))`` of a K-component mixture fitted to
    ``features (N, C)``, N >= K."""
    from sklearn.mixture import GaussianMixture

    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[0] < max(components, 2):
        raise ValueError(f"need (N >= {max(components, 2)}, C) features for {components} components, got {features.shape}")
    mixture = GaussianMixture(n_components=components, covariance_type="full", random_state=seed).fit(features)
    return mixture.weights_, mixture.means_, mixture.covariances_


def transport_cost(weights_a: np.ndarray, weights_b: np.ndarray, cost: np.ndarray) -> float:
    """Optimal-transport cost between discrete weights ``(K,)`` and ``(L,)`` with ``cost (K, L)``."""
    k, l = cost.shape
    rows = np.kron(np.eye(k), np.ones((1, l)))  # Σ_k π_jk = w_j
    cols = np.kron(np.ones((1, k)), np.eye(l))  # Σ_j π_jk = v_k
    result = linprog(cost.reshape(-1), A_eq=np.vstack([rows, cols]),
                     b_eq=np.concatenate([weights_a / weights_a.sum(), weights_b / weights_b.sum()]),
                     bounds=(0, None), method="highs")
    if not result.success:
        raise ValueError(f"transport problem not solved: {result.message}")
    return float(result.fun)


SAID_COMPONENTS = 5  # script/test_evaluate.py --wind_num_clusters default
SAID_REPEATS = 10  # evalute_wind: for _ in range(10)


def wind(features_a: np.ndarray, features_b: np.ndarray, components: int = SAID_COMPONENTS,
         repeats: int = SAID_REPEATS, seed: int = 0) -> float:
    """Mean over ``repeats`` fits of the WInD between ``features_a (N, C)`` and ``features_b (M, C)``
    with ``components`` per mixture."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    scores = []
    for r in range(repeats):
        wa, ma, ca = fit_mixture(features_a, components, seed + r)
        wb, mb, cb = fit_mixture(features_b, components, seed + r)
        cost = np.array([[frechet_distance(ma[j], ca[j], mb[k], cb[k]) for k in range(len(wb))]
                         for j in range(len(wa))])
        scores.append(transport_cost(wa, wb, cost))
    return float(np.mean(scores))

"""The audio feature recipe: every number that decides what an audio feature row means.

A recipe is built from the Hydra group ``data/features`` (``conf/data/features/*.yaml``) plus the
motion frame rate, validated once (:class:`~motiongen.core.errors.ConfigError` naming the key), and then
passed around as a frozen dataclass. Its :meth:`AudioRecipe.to_dict` is what the cache manifest
records and hashes.

Block order of an audio feature row (the UWP paper's stack)::

    mfcc (n_mfcc) | log_mel (n_mels) | prosody (4) | wavlm (hidden size, uwp only) | onset (1)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

from motiongen.core.errors import ConfigError

PROSODY_NAMES: tuple[str, ...] = ("f0_hz", "f0_delta_hz_per_s", "energy_db", "energy_delta_db_per_s")
F0_METHODS: tuple[str, ...] = ("yin",)
WAVLM_DTYPES: tuple[str, ...] = ("float32", "float16", "bfloat16")
WAVLM_SAMPLE_RATE = 16000  # Hz: the rate every released WavLM was trained on


@dataclass(frozen=True)
class MelSpec:
    """A mel filterbank: ``n_mels`` bands between ``fmin`` and ``fmax`` Hz."""

    n_mels: int
    fmin: float
    fmax: float


@dataclass(frozen=True)
class ProsodySpec:
    """F0 (YIN, ``f0_min``..``f0_max`` Hz, voicing threshold) and energy settings."""

    f0_method: str
    f0_min: float
    f0_max: float
    yin_threshold: float
    energy_floor_db: float


@dataclass(frozen=True)
class OnsetSpec:
    """Onset detection on librosa's onset strength: hop/n_fft in samples, times in seconds."""

    hop_length: int
    n_fft: int
    n_mels: int
    delta: float
    pre_avg: float
    post_avg: float
    wait: float


@dataclass(frozen=True)
class WavLMSpec:
    """Which WavLM to run and how (see :mod:`motiongen.features.wavlm`)."""

    model: str
    local_files_only: bool
    layer: int
    normalize: bool
    chunk_seconds: float
    overlap_seconds: float
    device: str
    dtype: str


@dataclass(frozen=True)
class AudioRecipe:
    """Complete audio feature recipe.

    Attributes:
        name: recipe name (``spectral`` / ``uwp``).
        fps: motion frame rate; feature row k is centred on ``k / fps`` seconds.
        sample_rate: Hz the audio is resampled to.
        frame_length: analysis window in samples (Hann).
        mel: the log-mel block's filterbank; ``mel_amin`` its power floor.
        mfcc_mel: the filterbank the MFCCs are computed from; ``n_mfcc`` coefficients kept.
        prosody, onset: see :class:`ProsodySpec`, :class:`OnsetSpec`.
        wavlm: None for spectral-only recipes.
    """

    name: str
    fps: float
    sample_rate: int
    frame_length: int
    mel: MelSpec
    mel_amin: float
    mfcc_mel: MelSpec
    n_mfcc: int
    prosody: ProsodySpec
    onset: OnsetSpec
    wavlm: WavLMSpec | None

    def block_dims(self, wavlm_dim: int | None = None) -> dict[str, int]:
        """Width of each block in row order. ``wavlm_dim`` is the loaded model's hidden size
        (required when the recipe uses WavLM, because only the model knows it)."""
        dims = {"mfcc": self.n_mfcc, "log_mel": self.mel.n_mels, "prosody": len(PROSODY_NAMES)}
        if self.wavlm is not None:
            if wavlm_dim is None:
                raise ValueError("wavlm_dim is required for a recipe with WavLM features")
            dims["wavlm"] = int(wavlm_dim)
        dims["onset"] = 1
        return dims

    def layout(self, wavlm_dim: int | None = None) -> dict[str, tuple[int, int]]:
        """``{block: (start, stop)}`` column ranges of an audio feature row."""
        out, start = {}, 0
        for name, width in self.block_dims(wavlm_dim).items():
            out[name] = (start, start + width)
            start += width
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable form (recorded in the cache manifest)."""
        return asdict(self)


def _get(section: Mapping, key: str, where: str):
    if key not in section or section[key] is None:
        raise ConfigError(f"{where}.{key} is required (see conf/data/features/spectral.yaml)")
    return section[key]


def _positive(value, key: str, kind=float):
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a {kind.__name__}, got {value!r}") from None
    if value <= 0:
        raise ConfigError(f"{key} must be positive, got {value}")
    return value


def _mel(section: Mapping, where: str, sample_rate: int) -> MelSpec:
    spec = MelSpec(
        n_mels=_positive(_get(section, "n_mels", where), f"{where}.n_mels", int),
        fmin=float(_get(section, "fmin", where)),
        fmax=float(_get(section, "fmax", where)),
    )
    if not 0 <= spec.fmin < spec.fmax <= sample_rate / 2:
        raise ConfigError(
            f"{where}: need 0 <= fmin < fmax <= sample_rate/2 = {sample_rate / 2}, got fmin={spec.fmin}, fmax={spec.fmax}"
        )
    return spec


def _wavlm(section: Mapping | None, where: str) -> WavLMSpec | None:
    if section is None:
        return None
    spec = WavLMSpec(
        model=str(_get(section, "model", where)),
        local_files_only=bool(section.get("local_files_only", False)),
        layer=int(_get(section, "layer", where)),
        normalize=bool(section.get("normalize", True)),
        chunk_seconds=_positive(_get(section, "chunk_seconds", where), f"{where}.chunk_seconds"),
        overlap_seconds=float(_get(section, "overlap_seconds", where)),
        device=str(section.get("device", "cpu")),
        dtype=str(section.get("dtype", "float32")),
    )
    if spec.overlap_seconds < 0:
        raise ConfigError(f"{where}.overlap_seconds must be >= 0, got {spec.overlap_seconds}")
    if spec.dtype not in WAVLM_DTYPES:
        raise ConfigError(f"{where}.dtype must be one of {WAVLM_DTYPES}, got {spec.dtype!r}")
    return spec


def recipe_from_config(features: Mapping, fps: float, where: str = "data.features") -> AudioRecipe:
    """Build and validate an :class:`AudioRecipe` from the ``data.features`` config node.

    Args:
        features: the composed ``data.features`` mapping (OmegaConf DictConfig or dict).
        fps: motion frame rate (``data.motion_fps``).
        where: config path used in error messages.

    Raises:
        ConfigError: a missing or impossible value, naming its key.
    """
    fps = _positive(fps, "data.motion_fps")
    sample_rate = _positive(_get(features, "sample_rate", where), f"{where}.sample_rate", int)
    frame_length = _positive(_get(features, "frame_length", where), f"{where}.frame_length", int)
    if frame_length < sample_rate / fps:
        raise ConfigError(
            f"{where}.frame_length={frame_length} samples is shorter than one motion frame "
            f"({sample_rate / fps:.1f} samples): audio between frames would be ignored"
        )
    mel = _get(features, "mel", where)
    mfcc = _get(features, "mfcc", where)
    prosody = _get(features, "prosody", where)
    onset = _get(features, "onset", where)
    prosody_spec = ProsodySpec(
        f0_method=str(_get(prosody, "f0_method", f"{where}.prosody")),
        f0_min=_positive(_get(prosody, "f0_min", f"{where}.prosody"), f"{where}.prosody.f0_min"),
        f0_max=_positive(_get(prosody, "f0_max", f"{where}.prosody"), f"{where}.prosody.f0_max"),
        yin_threshold=_positive(_get(prosody, "yin_threshold", f"{where}.prosody"), f"{where}.prosody.yin_threshold"),
        energy_floor_db=float(_get(prosody, "energy_floor_db", f"{where}.prosody")),
    )
    if prosody_spec.f0_method not in F0_METHODS:
        raise ConfigError(f"{where}.prosody.f0_method must be one of {F0_METHODS}, got {prosody_spec.f0_method!r}")
    if not prosody_spec.f0_min < prosody_spec.f0_max < sample_rate / 2:
        raise ConfigError(f"{where}.prosody: need f0_min < f0_max < sample_rate/2")
    if 2 * sample_rate / prosody_spec.f0_min > frame_length:
        raise ConfigError(
            f"{where}.frame_length={frame_length} is too short for f0_min={prosody_spec.f0_min} Hz: YIN needs "
            f"two periods ({2 * sample_rate / prosody_spec.f0_min:.0f} samples)"
        )
    onset_where = f"{where}.onset"
    onset_spec = OnsetSpec(
        hop_length=_positive(_get(onset, "hop_length", onset_where), f"{onset_where}.hop_length", int),
        n_fft=_positive(_get(onset, "n_fft", onset_where), f"{onset_where}.n_fft", int),
        n_mels=_positive(_get(onset, "n_mels", onset_where), f"{onset_where}.n_mels", int),
        delta=float(_get(onset, "delta", onset_where)),
        pre_avg=float(_get(onset, "pre_avg", onset_where)),
        post_avg=float(_get(onset, "post_avg", onset_where)),
        wait=float(_get(onset, "wait", onset_where)),
    )
    n_mfcc = _positive(_get(mfcc, "n_mfcc", f"{where}.mfcc"), f"{where}.mfcc.n_mfcc", int)
    mfcc_mel = _mel(mfcc, f"{where}.mfcc", sample_rate)
    if n_mfcc > mfcc_mel.n_mels:
        raise ConfigError(f"{where}.mfcc.n_mfcc={n_mfcc} exceeds {where}.mfcc.n_mels={mfcc_mel.n_mels}")
    wavlm = _wavlm(features.get("wavlm"), f"{where}.wavlm")
    if wavlm is not None and sample_rate != WAVLM_SAMPLE_RATE:
        raise ConfigError(f"{where}.sample_rate must be {WAVLM_SAMPLE_RATE} when WavLM features are used, got {sample_rate}")
    return AudioRecipe(
        name=str(_get(features, "name", where)),
        fps=fps,
        sample_rate=sample_rate,
        frame_length=frame_length,
        mel=_mel(mel, f"{where}.mel", sample_rate),
        mel_amin=_positive(_get(mel, "amin", f"{where}.mel"), f"{where}.mel.amin"),
        mfcc_mel=mfcc_mel,
        n_mfcc=n_mfcc,
        prosody=prosody_spec,
        onset=onset_spec,
        wavlm=wavlm,
    )

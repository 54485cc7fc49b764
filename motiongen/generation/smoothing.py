"""A smoothing prior on generated body motion (ours): a Butterworth low-pass along time.

What is left of the arms' jitter after the velocity loss and the inertialized window joins
(``docs/sampling.md``) is frame-to-frame roughness of the network's own output; real gestures have
little energy above a few hertz. The body's channels (the skeletal blocks
:func:`~motiongen.generation.windows.inertialized_channels` selects: joint rotations, positions)
are low-passed along time with a Butterworth filter (:func:`scipy.signal.butter`, second-order
sections); the face's channels (ARKit weights, expression coefficients) are never filtered, since
the lips follow the speech within a frame or two.

* Offline (a finished take: ``generate``, ``evaluate``, the quickstart): zero-phase,
  :func:`scipy.signal.sosfiltfilt` (forward and backward, no delay) with odd-extension padding of
  the ends, capped at the take's length for short takes (:func:`smooth_take`).
* Streaming (``generate --stream``, ``motiongen live``): causal, :func:`scipy.signal.sosfilt` whose
  state is carried from chunk to chunk and starts at the steady state of the first frame
  (:func:`scipy.signal.sosfilt_zi`), so no frame waits for a later one (:class:`CausalSmoother`);
  the price is the filter's group delay (:func:`group_delay_frames`).

Filtering is linear and per channel with unit gain at 0 Hz, so it commutes with the per-channel
affine normalisation: it is applied to the normalised motion before it is turned into units.

Settings: one ``conf/smoothing`` file per choice builds a :class:`SmoothingSettings` with
``_target_``; the training experiment records its choice in the checkpoint's configuration
(``smoothing`` key; ``experiment=uwp_beat``: ``none``), generation uses the checkpoint's unless told
otherwise (:func:`checkpoint_smoothing`), and a checkpoint without the key gets ``none``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import MotionFormat
from motiongen.generation.windows import inertialized_channels

#: The smoothing choices (``conf/smoothing/<kind>.yaml``).
SMOOTHING_KINDS = ("none", "lowpass")


@dataclass(frozen=True)
class SmoothingSettings:
    """A low-pass prior on the body channels, or none.

    Attributes:
        kind: ``none`` (motion as sampled) or ``lowpass`` (Butterworth along time).
        cutoff_hz: -3 dB frequency of one pass of the filter, Hz; below the Nyquist frequency
            ``fps / 2`` of the model's motion (checked by :meth:`sos`). The zero-phase filter runs
            it twice, so its response there is -6 dB.
        order: Butterworth order of one pass (>= 1).
    """

    kind: str = "none"
    cutoff_hz: float = 6.0
    order: int = 2

    def __post_init__(self) -> None:
        if self.kind not in SMOOTHING_KINDS:
            raise ConfigError(f"smoothing.kind must be one of {', '.join(SMOOTHING_KINDS)}, got {self.kind!r}")
        if not self.cutoff_hz > 0:
            raise ConfigError(f"smoothing.cutoff_hz must be > 0 Hz, got {self.cutoff_hz}")
        if isinstance(self.order, bool) or int(self.order) != self.order or not 1 <= self.order <= 8:
            raise ConfigError(f"smoothing.order must be an integer in 1..8, got {self.order}")

    @property
    def enabled(self) -> bool:
        return self.kind != "none"

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "SmoothingSettings":
        """Build the settings a ``conf/smoothing`` node describes (``_target_`` this class); None: ``none``."""
        if config is None:
            return cls()
        from motiongen.config import instantiate_settings

        return instantiate_settings(config, cls, "smoothing")

    def describe(self) -> dict[str, Any]:
        """Plain-dict record (generation metadata)."""
        if not self.enabled:
            return {"kind": "none"}
        return {"kind": self.kind, "cutoff_hz": self.cutoff_hz, "order": self.order}

    def sos(self, fps: float) -> np.ndarray:
        """``(order_sections, 6)`` second-order sections of the low-pass at ``fps`` frames/s.

        Raises:
            ConfigError: ``cutoff_hz`` is not below the Nyquist frequency ``fps / 2``.
        """
        from scipy.signal import butter

        if self.cutoff_hz >= fps / 2:
            raise ConfigError(f"smoothing.cutoff_hz={self.cutoff_hz:g} must be below the Nyquist frequency "
                              f"{fps / 2:g} Hz of this model's {fps:g}-fps motion")
        return butter(int(self.order), self.cutoff_hz, btype="low", fs=fps, output="sos")

    def causal_sos(self, fps: float) -> np.ndarray:
        """The streaming filter: :meth:`sos` twice in cascade, so it has the magnitude response of the
        zero-phase filter (which runs it forward and backward) and twice one pass's delay. One causal
        pass at the same cutoff smooths less than the offline take is smoothed."""
        sos = self.sos(fps)
        return np.concatenate([sos, sos])


def checkpoint_smoothing(config: Mapping[str, Any], override: SmoothingSettings | None = None) -> SmoothingSettings:
    """The smoothing to generate with: ``override`` when given, else the one the training run recorded
    in the checkpoint's configuration ``config`` (its ``smoothing`` node), else ``none`` (checkpoints
    written before the setting existed)."""
    if override is not None:
        return override
    return SmoothingSettings.from_config(config.get("smoothing"))


def smoothing_override(config: Mapping[str, Any] | None) -> SmoothingSettings | None:
    """A command's ``smoothing`` node (``conf/generate.yaml`` and co.): None (no choice made: the
    checkpoint's) or the chosen :class:`SmoothingSettings`."""
    return None if config is None else SmoothingSettings.from_config(config)


def body_mask(fmt: MotionFormat) -> np.ndarray:
    """``(D,)`` bool: the channels the prior filters (the skeletal blocks; never the face)."""
    return inertialized_channels(fmt).numpy()


def smooth_take(motion: torch.Tensor, settings: SmoothingSettings, fmt: MotionFormat) -> torch.Tensor:
    """Zero-phase low-pass of a finished take ``(K, F, D)`` along its frames, body channels only.

    The ends are padded by odd extension (``2·x[0] - x[k]``: a ramp continues as a ramp) over
    scipy's default pad length, or ``F - 1`` frames for shorter takes. Returns a new tensor of
    ``motion``'s dtype; ``none`` (or ``F < 2``) returns ``motion`` itself.
    """
    from scipy.signal import sosfiltfilt

    frames = motion.shape[1]
    if not settings.enabled or frames < 2:
        return motion
    sos = settings.sos(fmt.fps)
    mask = body_mask(fmt)
    default_pad = 3 * (2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum())))
    values = motion.detach().cpu().double().numpy().copy()
    values[..., mask] = sosfiltfilt(sos, values[..., mask], axis=1, padtype="odd", padlen=min(default_pad, frames - 1))
    return torch.from_numpy(values).to(motion.dtype)


class CausalSmoother:
    """The low-pass run causally over a stream of chunks ``(K, L, D)``: each output frame depends on
    that frame and earlier ones only, and the filter's state carries over from chunk to chunk, so
    any split into chunks gives the frames of one :func:`scipy.signal.sosfilt` over the whole
    sequence. The state starts at the steady state of the first frame (a constant start passes
    unchanged). Body channels only (:func:`body_mask`)."""

    def __init__(self, settings: SmoothingSettings, fmt: MotionFormat):
        self.settings = settings
        self.sos = settings.causal_sos(fmt.fps) if settings.enabled else None
        self.mask = body_mask(fmt)
        self.state: np.ndarray | None = None  # (sections, K, 2, D_body)

    def __call__(self, chunk: torch.Tensor) -> torch.Tensor:
        from scipy.signal import sosfilt, sosfilt_zi

        if self.sos is None or chunk.shape[1] == 0:
            return chunk
        values = chunk.detach().cpu().double().numpy().copy()
        body = values[..., self.mask]
        if self.state is None:
            self.state = sosfilt_zi(self.sos)[:, None, :, None] * body[None, :, :1, :]
        values[..., self.mask], self.state = sosfilt(self.sos, body, axis=1, zi=self.state)
        return torch.from_numpy(values).to(chunk.dtype)


def group_delay_frames(settings: SmoothingSettings, fps: float) -> float:
    """The causal filter's group delay at 0 Hz, in frames: how far its output trails slow motion
    (``none``: 0). The zero-phase filter has none."""
    from scipy.signal import group_delay, sos2tf

    if not settings.enabled:
        return 0.0
    _, delay = group_delay(sos2tf(settings.causal_sos(fps)), w=[0.0])
    return float(delay[0])

"""Any-length generation from a fixed-length model: overlapping windows chained by their seeds.

The model generates windows of ``N`` frames (its training length) whose first ``S`` frames share
their time span with the ``S``-frame seed motion it is given. Window ``k`` covers frames
``[k·H, k·H + N)`` with hop ``H = N - S`` (shifted when the first window is shorter, see
:class:`WindowPlan`); its seed is the raw last ``S`` frames of window ``k - 1`` (for ``k = 0``:
the initial seed — the dataset mean pose or a user's motion). Where two
windows overlap, the finished motion crossfades from the earlier window into the later one with
raised-cosine weights, so velocities stay continuous at window borders.

Windows are produced lazily: :func:`stream_windows` yields each finished stretch of frames as
soon as the window that completes it has been sampled, which is what the streaming mode serves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from motiongen.core.errors import ConfigError

SampleWindow = Callable[[int, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class WindowPlan:
    """How ``total_frames`` of output are tiled by model windows.

    Attributes:
        total_frames: ``F``, frames wanted (at the model's fps).
        window_frames: ``N``, the model's window length in frames.
        seed_frames: ``S``, seed/overlap length in frames (``N >= 2S`` so overlaps never touch);
            0 (a model trained without seeds) allows a single window only, ``F <= N0``.
        first_window_frames: ``N0``, length of window 0 (default ``N``). A shorter first window
            (``2S <= N0 < N``) makes the first frames of a stream available sooner; the model's
            attention is relative (rotary, block-local), so it runs on any length.
    """

    total_frames: int
    window_frames: int
    seed_frames: int
    first_window_frames: int | None = None

    def __post_init__(self) -> None:
        if self.total_frames < 1:
            raise ConfigError(f"need at least one frame to generate, got {self.total_frames}")
        if self.seed_frames < 0 or self.window_frames < max(1, 2 * self.seed_frames):
            raise ConfigError(
                f"window of {self.window_frames} frames cannot chain {self.seed_frames}-frame seeds "
                "(need window_frames >= 2 * seed_frames >= 0)"
            )
        first = self.first_window
        if self.seed_frames == 0 and self.total_frames > first:
            raise ConfigError(
                f"a model without seed frames generates one window of at most {first} frames; "
                f"asked for {self.total_frames}"
            )
        if not max(1, 2 * self.seed_frames) <= first <= self.window_frames:
            raise ConfigError(
                f"first window of {first} frames must lie in [2 * seed_frames, window_frames] = "
                f"[{2 * self.seed_frames}, {self.window_frames}]"
            )

    @property
    def first_window(self) -> int:
        """``N0``, frames of window 0."""
        return self.window_frames if self.first_window_frames is None else self.first_window_frames

    @property
    def hop(self) -> int:
        """``H = N - S``: new frames each window after the first adds."""
        return self.window_frames - self.seed_frames

    @property
    def num_windows(self) -> int:
        """Windows needed so that ``N0 + (num_windows - 1)·H >= F`` (at least one)."""
        return 1 + max(0, math.ceil((self.total_frames - self.first_window) / self.hop))

    @property
    def padded_frames(self) -> int:
        """Frames the windows cover, ``N0 + (num_windows - 1)·H >= F``; conditions must be this long."""
        return self.first_window + (self.num_windows - 1) * self.hop

    def window_slice(self, index: int) -> slice:
        """Frame range of window ``index`` in the padded timeline: ``[0, N0)`` for the first, then
        ``[N0 - S + (index-1)·H, ... + N)``."""
        if index == 0:
            return slice(0, self.first_window)
        start = self.first_window - self.seed_frames + (index - 1) * self.hop
        return slice(start, start + self.window_frames)


def crossfade_weights(frames: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Raised-cosine ramp ``(frames,)`` strictly between 0 and 1: weight of the later window.

    w_i = (1 - cos(π (i+1) / (frames+1))) / 2, whose slope vanishes at both ends so the blend adds
    no velocity step where the overlap begins or ends.
    """
    steps = torch.arange(1, frames + 1, dtype=torch.float64) / (frames + 1)
    return (0.5 - 0.5 * torch.cos(math.pi * steps)).to(dtype)


@dataclass
class MotionChunk:
    """A finished stretch of generated motion.

    Attributes:
        start_frame: index of the chunk's first frame in the output timeline.
        motion: ``(B, L, D)`` frames ``[start_frame, start_frame + L)``, in the model's
            (normalised) feature space.
        window_index: the window whose sampling completed this chunk.
        seconds_since_start: wall time from the start of streaming until the chunk was ready.
    """

    start_frame: int
    motion: torch.Tensor
    window_index: int
    seconds_since_start: float


def stream_windows(sample_window: SampleWindow, plan: WindowPlan, initial_seed: torch.Tensor) -> Iterator[MotionChunk]:
    """Sample the windows of ``plan`` one after another and yield finished frames as they complete.

    Args:
        sample_window: ``sample_window(index, seed (B,S,D)) -> (B,L,D)`` samples window ``index``
            (conditioned on frames ``plan.window_slice(index)``, ``L`` of them) given its seed.
        plan: the tiling.
        initial_seed: ``(B, S, D)`` seed of the first window; it is also the "previous window"
            the first window crossfades from, so the output starts at this motion.

    Yields:
        :class:`MotionChunk` s that together cover frames ``[0, F)`` exactly once, in order:
        each window's frames but its last ``S`` (those wait for the crossfade with the next
        window), and the last window's remainder cropped to ``F``.
    """
    started = time.perf_counter()
    seed_frames = plan.seed_frames
    if initial_seed.dim() != 3 or initial_seed.shape[1] != seed_frames:
        raise ConfigError(f"initial seed must be (batch, {seed_frames}, features), got {tuple(initial_seed.shape)}")
    weights = crossfade_weights(seed_frames, initial_seed.dtype).to(initial_seed.device).reshape(1, -1, 1)
    pending = initial_seed
    for index in range(plan.num_windows):
        span = plan.window_slice(index)
        window = sample_window(index, pending)
        expected = (initial_seed.shape[0], span.stop - span.start, initial_seed.shape[2])
        if tuple(window.shape) != expected:
            raise ConfigError(f"window {index} came back {tuple(window.shape)}, expected {expected}")
        head = (1 - weights) * pending + weights * window[:, :seed_frames]
        last = index == plan.num_windows - 1
        tail_end = window.shape[1] if last else window.shape[1] - seed_frames
        finished = torch.cat([head, window[:, seed_frames:tail_end]], dim=1)
        finished = finished[:, : plan.total_frames - span.start]
        pending = window[:, -seed_frames:]
        yield MotionChunk(span.start, finished, index, time.perf_counter() - started)


def generate_windows(sample_window: SampleWindow, plan: WindowPlan, initial_seed: torch.Tensor) -> torch.Tensor:
    """All of :func:`stream_windows` joined: ``(B, F, D)``."""
    return torch.cat([chunk.motion for chunk in stream_windows(sample_window, plan, initial_seed)], dim=1)

"""Any-length generation from a fixed-length model: overlapping windows chained by their seeds.

The model generates windows of ``N`` frames (its training length) whose first ``S`` frames share
their time span with the ``S``-frame seed motion it is given. Window ``k`` covers frames
``[k·H, k·H + N)`` with hop ``H = N - S`` (shifted when the first window is shorter, see
:class:`WindowPlan`); its seed is the raw last ``S`` frames of window ``k - 1`` (for ``k = 0``:
the initial seed — the dataset mean pose or a user's motion). Where two windows overlap, the
finished motion joins them channel by channel in one of two ways (:func:`joined_window`):

* **inertialization** (:func:`join_offset`; skeletal channels, :func:`inertialized_channels`): the
  overlap keeps the earlier window's frames (the seed the later window was given), and the later
  window's frames from ``S`` on are shifted by an offset that starts at the position and velocity
  mismatch with the earlier frames' first-order continuation and decays to zero over ``2S`` frames with a
  quintic whose velocity and acceleration vanish at both ends. Position and velocity are
  continuous at every border, and the later window's first ``S`` frames — its imperfect
  re-generation of its seed, among the roughest frames of a window — are not used;
* **raised-cosine crossfade** of the overlap from the earlier window into the later one (every
  other channel: the face). Face channels follow the speech both windows hear, change direction
  within a few frames, and cannot be extrapolated from the earlier frames: inertialized, the
  quickstart's ``jawOpen`` r with the true jaw fell from 0.90 to 0.38.

Measured on the quickstart checkpoints (``docs/sampling.md``): with the arms crossfaded too, their
acceleration was 2.1x the ground truth's in the overlaps against 1.6x elsewhere.

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
from motiongen.core.motion_format import MotionFormat, Representation

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


#: Representations joined by inertialization; every other block is crossfaded.
INERTIALIZED = (Representation.AXIS_ANGLE, Representation.ROT6D, Representation.POSITION_3D)


def inertialized_channels(fmt: MotionFormat) -> torch.Tensor:
    """``(D,)`` bool over the format's channels: True for the skeletal blocks (:data:`INERTIALIZED`)."""
    mask = torch.zeros(fmt.width, dtype=torch.bool)
    for block in fmt.blocks:
        if block.representation in INERTIALIZED:
            mask[fmt.slices()[block.name]] = True
    return mask


def crossfade_weights(frames: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Raised-cosine ramp ``(frames,)`` strictly between 0 and 1: weight of the later window.

    w_i = (1 - cos(π (i+1) / (frames+1))) / 2, whose slope vanishes at both ends so the blend adds
    no velocity step where the overlap begins or ends.
    """
    steps = torch.arange(1, frames + 1, dtype=torch.float64) / (frames + 1)
    return (0.5 - 0.5 * torch.cos(math.pi * steps)).to(dtype)


#: Frames over which the later window's offset decays, per seed frame (``T = 2S``). Measured on the
#: quickstart checkpoints (3 seeds, the quickstart sentence, DPM-Solver++ 10): T = S/2, S, 2S, 3S
#: gave arm acceleration 1.96, 1.77, 1.66, 1.63x the corpus's (the crossfade 2.00x).
JOIN_FRAMES_PER_SEED_FRAME = 2


def join_offset(previous: torch.Tensor, window: torch.Tensor, frames: int) -> torch.Tensor:
    """Offset ``(B, T + 1, D)`` to add to ``window[:, S : S + T + 1]`` so it continues ``previous``.

    ``previous`` ``(B, S, D)`` are the finished frames just before ``window[:, S]`` (the window's
    seed); ``T = min(frames, L - S - 1)``. ``previous`` is continued one frame with its last velocity
    ``v = p[-1] - p[-2]``: the offset at frame ``S`` is the position mismatch with ``p[-1] + v``, its
    slope the mismatch of ``v`` with the window's velocity there, and it decays to zero with zero
    velocity and acceleration at both ends (quintic Hermite bases ``h0(s) = 1 - 10s³ + 15s⁴ - 6s⁵``
    for the position and ``T·(s - 6s³ + 8s⁴ - 3s⁵)`` for the velocity per frame, ``s = i / T``).
    A window that follows ``previous`` on a curve with second difference ``a`` is moved by about
    ``a`` at the border and up to ``0.4·T·a`` in between (a second-order continuation, exact for such
    windows, raised FGD more: ``docs/sampling.md``).

    Args:
        previous: ``(B, S, D)``, ``S >= 1`` (one frame: no velocity, the mismatch in position only).
        window: ``(B, L, D)`` with ``L > S``.
        frames: ``T`` wanted (>= 1).
    """
    seed_frames = previous.shape[1]
    span = min(frames, window.shape[1] - seed_frames - 1)
    velocity = previous[:, -1] - previous[:, -2] if seed_frames > 1 else torch.zeros_like(previous[:, -1])
    position = previous[:, -1] + velocity - window[:, seed_frames]
    if span < 1:
        return position.unsqueeze(1)
    slope = velocity - (window[:, seed_frames + 1] - window[:, seed_frames])
    s = (torch.arange(span + 1, dtype=torch.float64) / span).to(window.device).reshape(1, -1, 1)
    h0 = 1 - 10 * s**3 + 15 * s**4 - 6 * s**5
    h1 = span * (s - 6 * s**3 + 8 * s**4 - 3 * s**5)
    return (position.unsqueeze(1) * h0 + slope.unsqueeze(1) * h1).to(window.dtype)


def joined_window(previous: torch.Tensor, window: torch.Tensor, inertialized: torch.Tensor | None = None) -> torch.Tensor:
    """``window`` ``(B, L, D)`` joined to the finished frames ``previous`` ``(B, S, D)`` it overlaps.

    Channels where ``inertialized`` ``(D,)`` is True (all when None): the first ``S`` frames become
    ``previous`` and the rest are shifted by :func:`join_offset` over ``2S`` frames. The others: the
    first ``S`` frames crossfade from ``previous`` with :func:`crossfade_weights`. ``S = 0``: the
    window unchanged.
    """
    seed_frames = previous.shape[1]
    if seed_frames == 0:
        return window
    offset = join_offset(previous, window, JOIN_FRAMES_PER_SEED_FRAME * seed_frames)
    end = seed_frames + offset.shape[1]
    inertia = torch.cat([previous, window[:, seed_frames:end] + offset, window[:, end:]], dim=1)
    if inertialized is not None and not bool(inertialized.all()):
        weights = crossfade_weights(seed_frames, window.dtype).to(window.device).reshape(1, -1, 1)
        head = (1 - weights) * previous + weights * window[:, :seed_frames]
        crossfaded = torch.cat([head, window[:, seed_frames:]], dim=1)
        inertia = torch.where(inertialized.to(window.device), inertia, crossfaded)
    return inertia


def join_frames(plan: WindowPlan, index: int) -> slice:
    """Frames of the padded timeline the join of window ``index >= 1`` touches: its overlap with the
    previous window and the stretch its offset decays over."""
    start = plan.window_slice(index).start
    return slice(start, start + plan.seed_frames * (1 + JOIN_FRAMES_PER_SEED_FRAME) + 1)


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


def stream_windows(sample_window: SampleWindow, plan: WindowPlan, initial_seed: torch.Tensor,
                   inertialized: torch.Tensor | None = None) -> Iterator[MotionChunk]:
    """Sample the windows of ``plan`` one after another and yield finished frames as they complete.

    Args:
        sample_window: ``sample_window(index, seed (B,S,D)) -> (B,L,D)`` samples window ``index``
            (conditioned on frames ``plan.window_slice(index)``, ``L`` of them) given its seed.
        plan: the tiling.
        initial_seed: ``(B, S, D)`` seed of the first window; it is also the "previous window"
            the first window joins (:func:`joined_window`), so the output starts with this motion.
        inertialized: ``(D,)`` bool, channels joined by inertialization (the rest are crossfaded;
            None = all; :func:`inertialized_channels` of the model's format).

    Yields:
        :class:`MotionChunk` s that together cover frames ``[0, F)`` exactly once, in order:
        each joined window's frames but its last ``S`` (the next window's seed, served with the
        next window), and the last window's remainder cropped to ``F``. Each window is seeded with
        the finished frames it overlaps.
    """
    started = time.perf_counter()
    seed_frames = plan.seed_frames
    if initial_seed.dim() != 3 or initial_seed.shape[1] != seed_frames:
        raise ConfigError(f"initial seed must be (batch, {seed_frames}, features), got {tuple(initial_seed.shape)}")
    pending = initial_seed
    for index in range(plan.num_windows):
        span = plan.window_slice(index)
        window = sample_window(index, pending)
        expected = (initial_seed.shape[0], span.stop - span.start, initial_seed.shape[2])
        if tuple(window.shape) != expected:
            raise ConfigError(f"window {index} came back {tuple(window.shape)}, expected {expected}")
        window = joined_window(pending, window, inertialized)
        last = index == plan.num_windows - 1
        finished = window if last else window[:, : window.shape[1] - seed_frames]
        finished = finished[:, : plan.total_frames - span.start]
        pending = window[:, window.shape[1] - seed_frames :]
        yield MotionChunk(span.start, finished, index, time.perf_counter() - started)


def generate_windows(sample_window: SampleWindow, plan: WindowPlan, initial_seed: torch.Tensor,
                     inertialized: torch.Tensor | None = None) -> torch.Tensor:
    """All of :func:`stream_windows` joined: ``(B, F, D)``."""
    return torch.cat([chunk.motion for chunk in stream_windows(sample_window, plan, initial_seed, inertialized)], dim=1)

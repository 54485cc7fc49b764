"""Windowed any-length generation: tiling, seed chaining, inertialized joins, streaming.

The "model" here is analytic: a denoiser whose x0 prediction is a known smooth curve, so DDIM with
eta=0 returns that curve exactly and every output frame can be checked against a closed form.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from motiongen.diffusion.samplers import SamplerSettings, sample
from motiongen.diffusion.schedule import NoiseSchedule
from motiongen.core.errors import ConfigError
from motiongen.generation.windows import (
    JOIN_FRAMES_PER_SEED_FRAME,
    WindowPlan,
    crossfade_weights,
    generate_windows,
    inertialized_channels,
    join_frames,
    join_offset,
    joined_window,
    stream_windows,
)

N, S, D = 150, 30, 4


def global_curve(frames: np.ndarray) -> torch.Tensor:
    """A smooth (F, D) gesture-like curve: sinusoids of 1.3-2.7 s periods with per-feature phases."""
    periods = np.array([40.0, 55.0, 70.0, 81.0])
    phases = np.array([0.0, 1.0, 2.0, 3.0])
    return torch.from_numpy(np.sin(2 * math.pi * frames[:, None] / periods + phases)).float()


class AnalyticWindowModel:
    """Windows of the global curve, each shifted by its own constant error δ_k ~ N(0, 0.3²).

    This imitates windows that disagree about the pose (the worst case for borders: the model
    ignores its seed). Sampling goes through the real DDIM sampler with a denoiser whose x0
    prediction is that window, so the sampler returns it exactly.
    """

    def __init__(self, plan: WindowPlan, offset_seed: int = 0):
        self.plan = plan
        self.offsets = torch.from_numpy(np.random.default_rng(offset_seed).normal(0, 0.3, (plan.num_windows, D))).float()
        self.seeds_seen: list[torch.Tensor] = []
        self.schedule = NoiseSchedule("linear", 100)

    def window(self, index: int) -> torch.Tensor:
        frames = np.arange(self.plan.window_slice(index).start, self.plan.window_slice(index).stop)
        return global_curve(frames) + self.offsets[index]

    def __call__(self, index: int, seed: torch.Tensor) -> torch.Tensor:
        self.seeds_seen.append(seed.clone())
        target = self.window(index)
        denoise = lambda x_t, t, uncond: target.expand_as(x_t)  # noqa: E731 - exact x0 predictor
        settings = SamplerSettings(kind="ddim", steps=5, eta=0.0, guidance=1.0)
        return sample(denoise, self.schedule, (seed.shape[0], N, D), settings, torch.Generator().manual_seed(index))


def test_plan_tiles_twenty_seconds_into_five_windows():
    plan = WindowPlan(total_frames=600, window_frames=N, seed_frames=S)
    assert plan.hop == 120 and plan.num_windows == 5 and plan.padded_frames == 630
    assert plan.window_slice(4) == slice(480, 630)


@pytest.mark.parametrize("total", [1, 29, 30, 31, 150, 151, 270, 271, 600, 1234])
def test_chunks_cover_every_frame_once_in_order(total):
    plan = WindowPlan(total, N, S)
    model = AnalyticWindowModel(plan)
    chunks = list(stream_windows(model, plan, torch.zeros(2, S, D)))
    assert [c.window_index for c in chunks] == list(range(plan.num_windows))
    starts = [c.start_frame for c in chunks]
    lengths = [c.motion.shape[1] for c in chunks]
    assert starts == list(np.cumsum([0] + lengths[:-1]))
    assert sum(lengths) == total
    assert all(c.motion.shape[0] == 2 and c.motion.shape[2] == D for c in chunks)


def test_twenty_seconds_give_600_frames_matching_closed_form():
    plan = WindowPlan(600, N, S)
    model = AnalyticWindowModel(plan)
    seed = torch.full((1, S, D), 0.25)
    out = generate_windows(model, plan, seed)[0]
    assert out.shape == (600, D)
    previous = seed[0]
    for k in range(plan.num_windows):
        start = k * plan.hop
        joined = joined_window(previous[None], model.window(k)[None])[0]
        torch.testing.assert_close(out[start : start + S], previous)  # the overlap keeps the finished frames
        end = S * (1 + JOIN_FRAMES_PER_SEED_FRAME) + 1
        torch.testing.assert_close(out[start + end : min(start + plan.hop, 600)],
                                   model.window(k)[end : min(plan.hop, 600 - start)])  # after the join: the window itself
        previous = joined[plan.hop :]
    torch.testing.assert_close(out[-1], model.window(4)[119])


def test_each_seed_is_the_raw_end_of_the_previous_window():
    plan = WindowPlan(400, N, S)
    model = AnalyticWindowModel(plan)
    initial = torch.randn(1, S, D)
    generate_windows(model, plan, initial)
    torch.testing.assert_close(model.seeds_seen[0], initial)
    for k in range(1, plan.num_windows):  # the window's end is past its join: raw frames
        torch.testing.assert_close(model.seeds_seen[k][0], model.window(k - 1)[-S:])


def test_without_seed_frames_one_window_is_the_whole_motion():
    plan = WindowPlan(112, N, 0)
    assert plan.num_windows == 1
    model = AnalyticWindowModel(plan)
    out = generate_windows(model, plan, torch.zeros(1, 0, D))
    assert model.seeds_seen[0].shape == (1, 0, D)
    torch.testing.assert_close(out[0], model.window(0)[:112])
    with pytest.raises(ConfigError, match="without seed frames generates one window of at most 150 frames"):
        WindowPlan(151, N, 0)


def frame_speeds(motion: torch.Tensor) -> torch.Tensor:
    """(F-1,) Euclidean frame-to-frame speed of (F, D) motion; entry i is between frames i and i+1."""
    return (motion[1:] - motion[:-1]).norm(dim=-1)


def test_border_velocities_stay_within_in_window_velocities():
    plan = WindowPlan(1200, N, S)
    model = AnalyticWindowModel(plan, offset_seed=3)
    out = generate_windows(model, plan, model.window(0)[:S].unsqueeze(0))[0]
    in_window = torch.cat([frame_speeds(model.window(k)) for k in range(plan.num_windows)])
    speeds = frame_speeds(out)
    border_frames = np.concatenate([np.arange(k * plan.hop - 1, k * plan.hop + S) for k in range(1, plan.num_windows)])
    border = speeds[border_frames]
    upper = float(in_window.mean() + 4 * in_window.std())
    assert float(border.max()) <= upper
    assert abs(float(border.mean()) - float(in_window.mean())) <= float(in_window.std())
    # The same windows joined with hard cuts jump far outside that distribution: the check has teeth.
    hard_cut = torch.cat([model.window(k)[: plan.hop] for k in range(plan.num_windows)])
    cut_speeds = frame_speeds(hard_cut)[[k * plan.hop - 1 for k in range(1, plan.num_windows)]]
    assert float(cut_speeds.max()) > 2 * upper


def join_by_hand(windows: list[torch.Tensor], initial_seed: torch.Tensor, hop: int, total: int,
                 inertialized: torch.Tensor | None = None) -> torch.Tensor:
    """The expected output of full-length windows ``(B, N, D)`` sampled one by one, joined frame range by
    frame range: window k joined to the previous window's last S finished frames (to the initial
    seed for k = 0), then its own frames up to the next window's start."""
    previous_tail = initial_seed
    pieces = []
    for k, window in enumerate(windows):
        joined = joined_window(previous_tail, window, inertialized)
        pieces.append(joined[:, : N if k == len(windows) - 1 else hop])
        previous_tail = joined[:, hop:]
    return torch.cat(pieces, dim=1)[:, :total]


def test_streaming_is_lazy_and_equals_windows_sampled_one_by_one():
    plan = WindowPlan(500, N, S)
    model = AnalyticWindowModel(plan)
    seed = torch.randn(1, S, D, generator=torch.Generator().manual_seed(4))
    stream = stream_windows(model, plan, seed)
    first = next(stream)
    assert len(model.seeds_seen) == 1, "the first chunk must be served after one window"
    assert first.start_frame == 0 and first.motion.shape[1] == plan.hop and first.seconds_since_start >= 0
    rest = list(stream)
    streamed = torch.cat([first.motion] + [c.motion for c in rest], dim=1)

    by_hand = AnalyticWindowModel(plan)
    windows, window_seed = [], seed
    for k in range(4):  # 500 frames = 150 + 3 hops of 120 (+10 padding)
        windows.append(by_hand(k, window_seed))
        window_seed = windows[-1][:, -S:]
    assert plan.num_windows == 4
    torch.testing.assert_close(streamed, join_by_hand(windows, seed, plan.hop, 500))
    assert all(a.seconds_since_start <= b.seconds_since_start for a, b in zip([first] + rest, rest))


@pytest.mark.parametrize("total", [60, 61, 90, 181, 600])
def test_short_first_window_starts_sooner_and_still_covers_everything(total):
    plan = WindowPlan(total, N, S, first_window_frames=2 * S)
    assert plan.window_slice(0) == slice(0, 60) and plan.window_slice(1) == slice(30, 180)
    lengths = []

    def model(index, seed):
        span = plan.window_slice(index)
        lengths.append(span.stop - span.start)
        return global_curve(np.arange(span.start, span.stop)).expand(1, -1, -1)

    chunks = list(stream_windows(model, plan, global_curve(np.arange(S))[None]))
    assert lengths[0] == 60 and all(length == N for length in lengths[1:])
    assert chunks[0].motion.shape[1] == min(S, total) if plan.num_windows > 1 else chunks[0].motion.shape[1] == total
    out = torch.cat([c.motion for c in chunks], dim=1)[0]
    # every window is the same global curve: a join continues the previous frames' velocity, so it is
    # off by the curve's second difference a at the border and by its velocity error 2a, which the
    # velocity basis (peak 0.195·T) spreads over the T = 2S frames it decays over
    curve = global_curve(np.arange(total))
    second = float(global_curve(np.arange(300)).diff(n=2, dim=0).abs().max())
    torch.testing.assert_close(out, curve, atol=second * (1 + 2 * 0.195 * JOIN_FRAMES_PER_SEED_FRAME * S), rtol=0)


def test_join_offset_matches_position_and_velocity_then_vanishes():
    generator = torch.Generator().manual_seed(0)
    previous, window = torch.randn(2, S, D, generator=generator), torch.randn(2, N, D, generator=generator)
    offset = join_offset(previous, window, 2 * S)
    assert offset.shape == (2, 2 * S + 1, D)
    joined = window[:, S : S + 2 * S + 1] + offset
    velocity = previous[:, -1] - previous[:, -2]
    torch.testing.assert_close(joined[:, 0], previous[:, -1] + velocity)  # position and velocity continue
    torch.testing.assert_close(joined[:, 1] - joined[:, 0], velocity, atol=3e-2, rtol=0)
    torch.testing.assert_close(offset[:, -1], torch.zeros(2, D))  # zero at the end, with zero slope
    assert float((offset[:, -1] - offset[:, -2]).abs().max()) < 1e-3 * float(offset.abs().max())
    short = join_offset(previous, window[:, : S + 5], 2 * S)  # capped at the window's end
    assert short.shape == (2, 5, D)
    torch.testing.assert_close(joined_window(previous, window)[:, :S], previous)
    torch.testing.assert_close(joined_window(previous[:, :0], window), window)  # no seed frames: no join


def test_channels_not_inertialized_crossfade_the_overlap():
    generator = torch.Generator().manual_seed(1)
    previous, window = torch.randn(1, S, D, generator=generator), torch.randn(1, N, D, generator=generator)
    mask = torch.tensor([True, True, False, False])
    joined = joined_window(previous, window, mask)
    w = crossfade_weights(S).reshape(1, -1, 1)
    torch.testing.assert_close(joined[..., 2:], torch.cat([(1 - w) * previous + w * window[:, :S], window[:, S:]], 1)[..., 2:])
    torch.testing.assert_close(joined[..., :2], joined_window(previous, window)[..., :2])


def test_crossfade_weights_rise_strictly_inside_zero_one():
    w = crossfade_weights(30)
    assert w.shape == (30,) and float(w[0]) > 0 and float(w[-1]) < 1
    assert bool((w[1:] > w[:-1]).all())
    torch.testing.assert_close(w + w.flip(0), torch.ones(30))


class RoughSeedModel(AnalyticWindowModel):
    """Windows of the global curve with a per-window offset whose first S frames — the model's
    re-generation of its seed — carry frame-to-frame noise (RMS 0.05), as a trained model's do
    (tools/diagnose_jitter.py: the seed frames are the roughest of a window)."""

    def window(self, index: int) -> torch.Tensor:
        rough = torch.randn(S, D, generator=torch.Generator().manual_seed(100 + index)) * 0.05
        return super().window(index) + torch.cat([rough, torch.zeros(N - S, D)])


def test_border_acceleration_stays_within_in_window_acceleration():
    """The joined motion's second differences at and after every border stay within those of the
    windows' own frames after their seed: the rough seed re-generation is not blended in and the
    pose offset is spread over 2S frames. (The former raised-cosine crossfade of the overlap
    failed this: it blended in the rough frames.)"""
    plan = WindowPlan(1200, N, S)
    model = RoughSeedModel(plan, offset_seed=3)
    out = generate_windows(model, plan, model.window(0)[:S].unsqueeze(0))[0]
    accel = out.diff(n=2, dim=0).norm(dim=-1)  # entry i is centred on frame i + 1
    in_window = torch.cat([model.window(k)[S:].diff(n=2, dim=0).norm(dim=-1) for k in range(plan.num_windows)])
    for k in range(1, plan.num_windows):
        border = join_frames(plan, k)
        assert float(accel[border.start - 1 : border.stop - 1].max()) <= 1.2 * float(in_window.max())


@pytest.mark.parametrize(
    "total, window, seed, first", [(0, 150, 30, None), (100, 50, 30, None), (200, 150, 0, None), (100, 150, 30, 59), (100, 150, 30, 151)]
)
def test_bad_plans_raise_config_error(total, window, seed, first):
    with pytest.raises(ConfigError):
        WindowPlan(total, window, seed, first)


def test_wrong_seed_or_window_shape_raises():
    plan = WindowPlan(200, N, S)
    with pytest.raises(ConfigError, match="initial seed"):
        generate_windows(AnalyticWindowModel(plan), plan, torch.zeros(1, S - 1, D))
    with pytest.raises(ConfigError, match="window 0"):
        generate_windows(lambda index, seed: torch.zeros(1, N - 1, D), plan, torch.zeros(1, S, D))


# ----------------------------------------------------------------------------------------------
# The full pipeline (features → windows → sampler → denormalised motion) with a real UWPDenoiser
# (tiny, randomly initialised: these tests check plumbing, shapes and determinism, not quality).


@pytest.fixture(scope="module")
def tiny_assets():
    from motiongen.config import compose
    from motiongen.core.skeleton import Skeleton, SkeletonTemplate
    from motiongen.datasets.beat.format import beat_motion_format
    from motiongen.features.recipe import recipe_from_config
    from motiongen.features.words import WordTable
    from motiongen.generation.types import GenerationAssets
    from motiongen.model.denoiser import DenoiserConfig, UWPDenoiser

    features = compose("config", ["data/features=spectral"]).data.features
    recipe = recipe_from_config(features, 30.0)
    words = WordTable(["hello", "world"], np.random.default_rng(0).normal(size=(2, 8)), "test table")
    cfg = DenoiserConfig(blocks={"gesture": 6, "expression": 52}, frame_conditions={"audio": 109, "word": 9},
                         category_conditions={"speaker": 2, "emotion": 8}, seed_frames=S, latent_dim=32, feature_dim=16,
                         seed_dim=16, num_layers=1, num_heads=2, ff_dim=64, dropout=0.0, local_heads=2, window=15)
    torch.manual_seed(0)
    skeleton = Skeleton(["Hips", "Spine", "Neck"], [-1, 0, 1], np.zeros((3, 3)), [("Xrotation", "Yrotation", "Zrotation")] * 3,
                        ["XYZ"] * 3)
    stats = {"gesture": (np.full(6, 0.1, np.float32), np.full(6, 0.5, np.float32)),
             "expression": (np.full(52, 0.3, np.float32), np.full(52, 0.2, np.float32))}
    template = SkeletonTemplate(skeleton, np.zeros((3, 3)), np.zeros(3))
    fmt = beat_motion_format(30.0, ["Spine", "Neck"], template, 109, recipe.layout(None), 9, [2, 4]).with_statistics(stats)
    return GenerationAssets(model=UWPDenoiser(cfg), schedule=NoiseSchedule("linear", 100), motion_format=fmt,
                            window_frames=N, seed_frames=S, audio_recipe=recipe, word_vectors=words)


def speech(seconds: float, words=None):
    from motiongen.generation.types import SpeechInput

    t = np.arange(int(seconds * 16000)) / 16000
    wave = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 2 * t) > 0)).astype(np.float32)
    return SpeechInput(wave, 16000, words)


def request(seconds: float, words=None, **fields):
    from motiongen.generation.types import GenerationRequest

    fields.setdefault("sampler", SamplerSettings(steps=2))
    return GenerationRequest(speech=speech(seconds, words), **fields)


def test_twenty_second_speech_gives_600_frames_and_is_reproducible(tiny_assets):
    from motiongen.formats.textgrid import Interval
    from motiongen.generation.sampling import generate

    settings = SamplerSettings(kind="ddim", steps=3, eta=0.5, guidance=1.5)
    words = [Interval(0.0, 1.0, "hello"), Interval(1.0, 2.0, ""), Interval(2.0, 3.5, "world")]
    same = dict(sampler=settings, seed=5, num_samples=2, speaker=4, emotion=3)
    first = generate(tiny_assets, request(20.0, words, **same))
    assert first.blocks["gesture"].shape == (2, 600, 6) and first.blocks["expression"].shape == (2, 600, 52)
    assert first.metadata["windows"] == 5 and first.metadata["categories"] == {"speaker": "4", "emotion": "sadness"}
    assert first.metadata["word_features"] == "transcript" and not first.warnings
    assert first.blocks["expression"].min() >= 0 and first.blocks["expression"].max() <= 1
    again = generate(tiny_assets, request(20.0, words, **same))
    for name in ("gesture", "expression"):
        np.testing.assert_array_equal(first.blocks[name], again.blocks[name])
    short = generate(tiny_assets, request(2.0, words, **same))
    other = generate(tiny_assets, request(2.0, words, **dict(same, seed=6)))
    assert not np.allclose(short.blocks["gesture"], other.blocks["gesture"])
    assert not np.allclose(first.blocks["gesture"][0], first.blocks["gesture"][1]), "the samples of one batch must differ"


def test_without_transcript_the_word_features_are_the_silence_vector(tiny_assets):
    from motiongen.generation.conditioning import build_condition
    from motiongen.generation.sampling import generate
    from motiongen.generation.windows import WindowPlan

    plan = WindowPlan(90, N, S)
    condition = build_condition(tiny_assets, speech(3.0), plan)
    word = condition.frames["word"]
    assert word.shape == (plan.padded_frames, 9) and not condition.transcript_used
    np.testing.assert_array_equal(word[:, :8], 0)
    np.testing.assert_array_equal(word[:, 8], 1)
    out = generate(tiny_assets, request(3.0))
    assert "silence/unknown" in out.metadata["word_features"] and out.warnings


def test_streamed_chunks_equal_windows_sampled_one_by_one_by_hand(tiny_assets):
    from motiongen.diffusion.samplers import sample
    from motiongen.generation.conditioning import build_condition
    from motiongen.generation.sampling import denormalise, generate, stream_motion

    settings = SamplerSettings(steps=2)
    chunks = list(stream_motion(tiny_assets, request(9.0, seed=1, sampler=settings)))
    assert [c.start_frame for c in chunks] == [0, 120] and chunks[-1].start_frame + chunks[-1].motion.shape[1] == 270
    short_first = list(stream_motion(tiny_assets, request(9.0, seed=1, first_window_frames=60)))
    assert [c.start_frame for c in short_first] == [0, 30, 150]
    assert sum(c.motion.shape[1] for c in short_first) == 270
    streamed = torch.cat([c.motion for c in chunks], dim=1)

    # the same two windows, each one diffusion run of the network on its slice of the condition
    plan = WindowPlan(270, N, S)
    condition = build_condition(tiny_assets, speech(9.0), plan)
    generator = torch.Generator().manual_seed(1)
    initial = torch.zeros(1, S, tiny_assets.motion_dim)  # the dataset mean pose, normalised
    windows, window_seed = [], initial
    for start in (0, plan.hop):
        cond = {"audio": torch.from_numpy(condition.frames["audio"][start:start + N])[None],
                "word": torch.from_numpy(condition.frames["word"][start:start + N])[None],
                "speaker": torch.tensor([0]), "emotion": torch.tensor([0]), "seed": window_seed}
        with torch.inference_mode():
            window = sample(lambda x_t, t, uncond: tiny_assets.model(x_t, t, cond, uncond), tiny_assets.schedule,
                            (1, N, tiny_assets.motion_dim), settings, generator)
        windows.append(window)
        window_seed = window[:, -S:]
    inertialized = inertialized_channels(tiny_assets.motion_format)
    assert inertialized[:6].all() and not inertialized[6:].any()  # the rotations; the 52 ARKit weights are crossfaded
    torch.testing.assert_close(streamed, join_by_hand(windows, initial, plan.hop, 270, inertialized))

    blocks = denormalise(tiny_assets, streamed)
    whole = generate(tiny_assets, request(9.0, seed=1, sampler=settings))
    for name in ("gesture", "expression"):
        np.testing.assert_array_equal(blocks[name], whole.blocks[name])
    assert 0 < whole.metadata["first_window_seconds"] <= whole.metadata["sampling_seconds"]


def test_initial_pose_from_user_motion_starts_the_take(tiny_assets):
    from motiongen.generation.conditioning import initial_seed
    from motiongen.generation.sampling import generate

    user = np.tile(np.array([0.4, -0.2, 0.1, 0.3, 0.0, -0.5], np.float32), (50, 1))
    fmt = tiny_assets.motion_format
    seed = initial_seed(tiny_assets, {"gesture": user})
    np.testing.assert_allclose(fmt.denormalise("gesture", seed[:, :6]), user[-S:], atol=1e-6)
    np.testing.assert_array_equal(seed[:, 6:], 0)
    out = generate(tiny_assets, request(2.0, initial_motion={"gesture": user}))
    np.testing.assert_allclose(out.blocks["gesture"][0, :S], user[-S:], atol=1e-5)  # the take starts with the user's motion
    assert out.metadata["initial_motion"] == ["gesture"]
    short = initial_seed(tiny_assets, {"gesture": user[:5]})
    np.testing.assert_allclose(fmt.denormalise("gesture", short[:, :6]), np.tile(user[:1], (S, 1)), atol=1e-6)
    with pytest.raises(ConfigError, match="does not generate"):
        initial_seed(tiny_assets, {"hands": user})


def test_bad_generation_requests_raise_config_error(tiny_assets):
    from motiongen.generation.sampling import generate
    from motiongen.generation.types import GenerationRequest

    with pytest.raises(ConfigError, match="speaker 7 is not known; known: 2, 4"):
        generate(tiny_assets, request(2.0, speaker=7))
    with pytest.raises(ConfigError, match="emotion index"):
        generate(tiny_assets, request(2.0, emotion=8))
    with pytest.raises(ConfigError, match="emotion bored"):
        generate(tiny_assets, request(2.0, emotion="bored"))
    with pytest.raises(ConfigError, match="no text_label condition"):
        generate(tiny_assets, request(2.0, text_label="hello"))
    with pytest.raises(ConfigError, match="num_samples"):
        request(2.0, num_samples=0)
    with pytest.raises(ConfigError, match="give speech"):
        generate(tiny_assets, GenerationRequest(seconds=2.0))
    with pytest.raises(ConfigError, match="speech or a positive length"):
        GenerationRequest()


def test_bfloat16_precision_stays_close_to_float32(tiny_assets):
    import copy

    from motiongen.generation.runtime import set_precision
    from motiongen.generation.sampling import generate

    reference = generate(tiny_assets, request(3.0, seed=2, sampler=SamplerSettings(steps=3)))
    reduced_assets = copy.copy(tiny_assets)
    reduced_assets.model = copy.deepcopy(tiny_assets.model)
    assert set_precision(reduced_assets, "bfloat16") == torch.bfloat16
    reduced = generate(reduced_assets, request(3.0, seed=2, sampler=SamplerSettings(steps=3)))
    assert reduced.metadata["precision"] == "bfloat16" and reference.metadata["precision"] == "float32"
    assert reduced.blocks["gesture"].dtype == np.float32
    scale = np.abs(reference.blocks["gesture"]).max()
    assert np.abs(reduced.blocks["gesture"] - reference.blocks["gesture"]).max() < 0.05 * scale
    with pytest.raises(ConfigError, match="precision"):
        set_precision(reduced_assets, "float16")


def test_inference_threads_follow_the_setting_or_the_idle_cores(monkeypatch):
    import os

    from motiongen.generation.runtime import inference_threads

    assert inference_threads(3) == 3
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 0.0, 0.0))
    assert inference_threads("auto") == 2 and inference_threads(None) == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert inference_threads("auto") == 1
    with pytest.raises(ConfigError):
        inference_threads(0)


def test_models_animating_one_utterance_compute_its_audio_features_once(tiny_assets, monkeypatch):
    """An evaluation samples the same speech with several checkpoints (and the untrained floor):
    the audio features (WavLM-Large at the paper's recipe) are computed once per utterance."""
    import dataclasses

    from motiongen.generation import conditioning
    from motiongen.generation.sampling import generate
    from motiongen.generation.types import GenerationRequest
    from motiongen.model.denoiser import UWPDenoiser

    computed = []
    real = conditioning.extract_audio_features
    monkeypatch.setattr(conditioning, "extract_audio_features", lambda *args: computed.append(args[2]) or real(*args))
    shared = speech(3.0)
    settings = dict(sampler=SamplerSettings(steps=2), seed=3)
    first = generate(tiny_assets, GenerationRequest(speech=shared, **settings))
    torch.manual_seed(1)
    other_model = dataclasses.replace(tiny_assets, model=UWPDenoiser(tiny_assets.model.cfg))
    second = generate(other_model, GenerationRequest(speech=shared, **settings))
    assert len(computed) == 1 and not np.allclose(first.blocks["gesture"], second.blocks["gesture"])
    fresh = generate(tiny_assets, GenerationRequest(speech=speech(3.0), **settings))
    assert len(computed) == 2
    np.testing.assert_array_equal(first.blocks["gesture"], fresh.blocks["gesture"])
    shorter = dataclasses.replace(shared, wave=shared.wave[:16000])
    assert shorter.audio_features == {}
    generate(tiny_assets, GenerationRequest(speech=shorter, **settings))
    assert len(computed) == 3


def test_smoothing_prior_filters_the_body_zero_phase_offline_and_causally_when_streamed(tiny_assets):
    from dataclasses import replace

    from motiongen.generation.sampling import generate
    from motiongen.generation.smoothing import CausalSmoother, SmoothingSettings, smooth_take

    fmt = tiny_assets.motion_format
    lowpass = SmoothingSettings("lowpass", 6.0, 2)

    def channels(generated) -> torch.Tensor:  # (K, F, D) in units, the format's channel order
        return torch.from_numpy(np.concatenate([generated.blocks[b.name] for b in fmt.blocks], axis=-1))

    raw = generate(tiny_assets, request(6.0, seed=3))  # assets without the setting: none
    assert raw.metadata["smoothing"] == {"kind": "none", "source": "checkpoint"}
    offline = generate(tiny_assets, request(6.0, seed=3, smoothing=lowpass))
    assert offline.metadata["smoothing"] == {"kind": "lowpass", "cutoff_hz": 6.0, "order": 2, "filter": "zero-phase",
                                             "source": "request"}
    np.testing.assert_array_equal(offline.blocks["expression"], raw.blocks["expression"])  # the face: as sampled
    # linear with unit gain at 0 Hz: filtering the normalised motion is filtering it in units
    torch.testing.assert_close(channels(offline), smooth_take(channels(raw), lowpass, fmt), atol=1e-5, rtol=1e-5)
    second = lambda x: np.abs(np.diff(x, n=2, axis=1)).mean()  # noqa: E731
    assert second(offline.blocks["gesture"]) < 0.5 * second(raw.blocks["gesture"])

    chunks = []
    streamed = generate(tiny_assets, request(6.0, seed=3, smoothing=lowpass), on_chunk=chunks.append)
    assert len(chunks) == 2 and streamed.metadata["smoothing"]["filter"] == "causal"
    torch.testing.assert_close(channels(streamed), CausalSmoother(lowpass, fmt)(channels(raw)), atol=1e-5, rtol=1e-5)

    recorded = replace(tiny_assets, config={"smoothing": {"kind": "lowpass", "cutoff_hz": 6.0, "order": 2}})
    from_checkpoint = generate(recorded, request(6.0, seed=3))
    assert from_checkpoint.metadata["smoothing"]["source"] == "checkpoint"
    np.testing.assert_array_equal(from_checkpoint.blocks["gesture"], offline.blocks["gesture"])
    with pytest.raises(ConfigError, match="Nyquist"):
        generate(tiny_assets, request(6.0, smoothing=SmoothingSettings("lowpass", 20.0)))

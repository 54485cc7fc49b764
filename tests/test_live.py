"""``motiongen live`` end to end: a speech file played at real-time pace through the live path, Live
Link Face and VMC frames received on localhost by independent decoders, compared with a run of the
same causal model on the same audio that is not paced; the record folder; incremental audio
features against the offline ones; user mistakes."""

from __future__ import annotations

import socket
import threading

import numpy as np
import pytest
import torch

from motiongen.cli import main
from motiongen.features.pipeline import extract_audio_features
from motiongen.formats.arkit import ARKIT_NAMES
from test_generate_cli import SR, speech_like, tiny_checkpoint, write_wav  # noqa: F401  (session fixture)

SECONDS = 3.0


def spectral_recipe():
    from omegaconf import OmegaConf

    from motiongen.config import conf_dir
    from motiongen.features.recipe import recipe_from_config

    return recipe_from_config(OmegaConf.load(conf_dir() / "data" / "features" / "spectral.yaml"), 30.0)


def stream_features(wave: np.ndarray, recipe, frames: int, block: int = 512) -> np.ndarray:
    from motiongen.live.audio_features import StreamingAudioFeatures

    features = StreamingAudioFeatures(recipe)
    released = []
    for start in range(0, len(wave), block):
        released.append(features.push(wave[start : start + block]))
    released.append(features.finish(frames))
    rows = np.concatenate(released)
    assert np.array_equal(rows, features.rows)
    return rows


def compare_with_offline(wave: np.ndarray, label: str) -> None:
    recipe = spectral_recipe()
    frames = int(round(len(wave) / SR * 30))
    offline = extract_audio_features(wave, SR, frames, recipe)
    live = stream_features(wave, recipe, frames)
    layout = recipe.layout()
    spectra = slice(0, layout["prosody"][0])
    prosody = slice(*layout["prosody"])
    spectral_diff = np.abs(live[:, spectra] - offline[:, spectra]).max()
    assert spectral_diff < 1e-3, spectral_diff  # float32 rounding of the mel products (dB)
    np.testing.assert_array_equal(live[:, prosody], offline[:, prosody])
    onset = layout["onset"][0]
    ours, theirs = np.flatnonzero(live[:, onset]), np.flatnonzero(offline[:, onset])
    near = np.mean([np.abs(ours - k).min() <= 1 for k in theirs]) if len(theirs) and len(ours) else 1.0
    extra = len(ours) / max(len(theirs), 1)
    print(f"\n{label}: {frames} rows; MFCC/log-mel max |live - offline| = {spectral_diff:.2e} dB, prosody identical; "
          f"onsets: {len(theirs)} offline, {len(ours)} live, {near:.1%} of offline ones within 1 frame")
    assert near >= 0.8 and 0.7 <= extra <= 1.4


def test_streaming_features_equal_offline_on_synthetic_speech():
    wave, _ = speech_like(8.0, seed=4)
    compare_with_offline(wave, "synthetic speech")


def test_streaming_features_equal_offline_on_beat_speech(sample_file):
    from motiongen.formats.audio import load_audio

    wave, rate = load_audio(sample_file("beat/2_scott_0_3_3.wav"), target_sr=SR)
    compare_with_offline(wave[: 30 * SR], "BEAT 2_scott_0_3_3 (first 30 s)")


class Collector:
    """Receives every datagram on a localhost UDP port in a thread."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.packets: list[bytes] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self):
        while not self.done.is_set():
            try:
                self.packets.append(self.sock.recv(65536))
            except socket.timeout:
                continue

    def stop(self) -> list[bytes]:
        self.done.set()
        self.thread.join()
        self.sock.close()
        return self.packets


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory):
    wave, _ = speech_like(SECONDS, seed=9)
    return write_wav(tmp_path_factory.mktemp("live") / "speech.wav", wave)


def offline_reference(checkpoint, wav, chunk: int, steps: int, seed: int):
    """The same causal model on the same audio, not paced: the file's blocks handed over as fast as
    they are consumed, through the same feature, generation and frame code."""
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.formats.audio import load_audio
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.sampling import denormalise
    from motiongen.live.causal import CausalGenerator, generate_causal
    from motiongen.live.frames import FrameBuilder

    assets = load_assets(checkpoint)
    wave, _ = load_audio(wav, target_sr=assets.audio_recipe.sample_rate)
    frames = int(round(len(wave) / SR * assets.fps))
    rows = stream_features(wave, assets.audio_recipe, frames)
    generator = CausalGenerator(assets, SamplerSettings(kind="ddim", steps=steps), chunk, seed)
    motion = generate_causal(generator, rows)
    blocks = {name: values[0] for name, values in denormalise(assets, motion[None]).items()}
    return FrameBuilder(assets.motion_format).build(0, blocks)


def test_live_file_streams_livelink_and_vmc_equal_to_the_unpaced_run(tmp_path, tiny_checkpoint, speech_wav, capsys):
    import time

    from pylivelinkface import FaceBlendShape, PyLiveLinkFace
    from pythonosc.dispatcher import Dispatcher

    from motiongen.core.motion_file import read_motion_file
    from motiongen.formats.arkit import read_live_link_csv
    from motiongen.live.livelink import PACKET_SHAPES

    torch.set_num_threads(1)
    livelink_rx, vmc_rx = Collector(), Collector()
    out = tmp_path / "session"
    began = time.perf_counter()
    code = main(["live", "--audio", str(speech_wav), "--checkpoint", str(tiny_checkpoint), "--livelink",
                 livelink_rx.target, "--livelink-subject", "Presenter", "--vmc", vmc_rx.target, "--record", str(out),
                 "--steps", "2", "--chunk-frames", "5", "--seed", "7", "--delay", "0.4"])
    wall = time.perf_counter() - began
    time.sleep(0.3)
    livelink_packets, vmc_packets = livelink_rx.stop(), vmc_rx.stop()
    printed = capsys.readouterr()
    assert code == 0, printed.err
    frames = int(SECONDS * 30)
    assert wall >= SECONDS  # played at real-time pace
    reference = offline_reference(tiny_checkpoint, speech_wav, 5, 2, 7)
    assert len(reference) == frames

    # Live Link Face: pylivelinkface's decoder
    assert len(livelink_packets) == frames
    decoded = [PyLiveLinkFace.decode(packet) for packet in livelink_packets]
    assert all(ok for ok, _ in decoded)
    faces = [face for _, face in decoded]
    assert {face.name for face in faces} == {"Presenter"} and len({face.uuid for face in faces}) == 1
    assert {(face.fps, face._denominator) for face in faces} == {(30, 1)}
    numbers = np.array([face._frames for face in faces])
    np.testing.assert_array_equal(np.diff(numbers), 1)  # consecutive time codes in order
    values = np.array([face._blend_shapes for face in faces])
    by_name = {shape.name: values[:, shape.value] for shape in FaceBlendShape}
    assert list(by_name)[:52] == list(PACKET_SHAPES)
    for name in ARKIT_NAMES:
        np.testing.assert_allclose(by_name[name[0].upper() + name[1:]], reference.arkit[:, ARKIT_NAMES.index(name)],
                                   atol=1e-6, err_msg=name)
    for k, name in enumerate(("HeadYaw", "HeadPitch", "HeadRoll")):
        np.testing.assert_allclose(by_name[name], reference.head[:, k], atol=1e-6)

    # VMC: a python-osc dispatcher
    messages: list[tuple] = []
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: messages.append((address, *args)))
    assert len(vmc_packets) == frames
    times, rotations, blends = [], [], []
    for packet in vmc_packets:
        messages.clear()
        dispatcher.call_handlers_for_packet(packet, ("127.0.0.1", 0))
        times.append(next(m[1] for m in messages if m[0] == "/VMC/Ext/T"))
        rotations.append([m[5:9] for m in messages if m[0] == "/VMC/Ext/Bone/Pos"])
        blends.append([m[2] for m in messages if m[0] == "/VMC/Ext/Blend/Val"])
        assert messages[-1][0] == "/VMC/Ext/Blend/Apply"
    np.testing.assert_allclose(times, np.arange(frames) / 30, atol=1e-6)
    np.testing.assert_allclose(rotations, reference.bone_rotations, atol=1e-6)
    np.testing.assert_allclose(blends, reference.arkit, atol=1e-6)

    # the record folder holds what was sent
    motion = read_motion_file(out / "motion.npz")
    np.testing.assert_allclose(motion.blocks["expression"][0], reference.blocks["expression"], atol=1e-6)
    assert read_live_link_csv(out / "face_livelink.csv", fps=30).num_frames == frames
    assert "Frames: 90" in (out / "motion.bvh").read_text()
    summary = [line for line in printed.out.splitlines() if line.startswith("live: {")]
    assert summary and '"frames_sent": 90' in summary[0], printed.out


@pytest.mark.parametrize("args, message", [
    ([], "name at least one output"),
    (["--vmc", "127.0.0.1:99999"], "outside 1-65535"),
    (["--vmc", "127.0.0.1:39539", "--chunk-frames", "12"], "chunk frames must be in 1..10"),
    (["--record", "{tmp}/r", "--device", "1"], "--device goes with --mic"),
    (["--record", "{tmp}/r", "chunk_frame=3"], "chunk_frame"),
    (["--record", "{tmp}/r", "--delay", "0"], "must be > 0 seconds"),
])
def test_live_mistakes_exit_2_with_one_line(tmp_path, tiny_checkpoint, speech_wav, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code = main(["live", "--audio", str(speech_wav), "--checkpoint", str(tiny_checkpoint), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_live_web_streams_the_frames_to_a_websocket_client(tmp_path, tiny_checkpoint, speech_wav, capsys):
    """``--web``: a client of the page's stream receives the session's frames in order, with the
    values of the unpaced run."""
    import asyncio
    import json

    import aiohttp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received: list[dict] = []

    async def client():
        for _ in range(200):
            try:
                async with aiohttp.ClientSession() as session:
                    async with session.ws_connect(f"http://127.0.0.1:{port}/stream") as ws:
                        async for message in ws:
                            received.append(json.loads(message.data))
                return
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)

    listener = threading.Thread(target=lambda: asyncio.run(client()), daemon=True)
    listener.start()
    code = main(["live", "--audio", str(speech_wav), "--checkpoint", str(tiny_checkpoint), "--web", str(port),
                 "--steps", "2", "--chunk-frames", "5", "--seed", "7", "--delay", "0.4"])
    listener.join(timeout=10)
    assert code == 0, capsys.readouterr().err
    assert received and received[0]["type"] == "skeleton" and len(received[0]["names"]) == 75
    frames = [m for m in received[1:] if m["type"] == "frame"]
    indices = [m["frame"] for m in frames]
    assert len(frames) >= 30 and indices == list(range(indices[0], indices[0] + len(indices))) and indices[-1] == 89
    reference = offline_reference(tiny_checkpoint, speech_wav, 5, 2, 7)
    np.testing.assert_allclose([m["arkit"] for m in frames], reference.arkit[indices], atol=5e-5)
    np.testing.assert_allclose([m["joints"] for m in frames], reference.joint_positions[indices], atol=5e-3)


def test_mic_without_an_input_device_is_a_one_line_error(tmp_path, tiny_checkpoint, monkeypatch, capsys):
    from motiongen.live import audio_io

    monkeypatch.setattr(audio_io, "input_devices", lambda: [])
    code = main(["live", "--mic", "--checkpoint", str(tiny_checkpoint), "--record", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "no input device" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_chunk_blend_carries_the_step_at_a_chunks_start_and_fades_it_out(tiny_checkpoint, monkeypatch):
    """blend_chunks: each new chunk's body = the window's new frames + (last frame sent - the window's
    own version of it) x a fade from ~1 to ~0 over the chunk, its face as sampled; without it, the
    window's frames as sampled."""
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.smoothing import SmoothingSettings
    from motiongen.live import causal

    assets = load_assets(tiny_checkpoint)
    windows = []
    real = causal.sample_network
    monkeypatch.setattr(causal, "sample_network", lambda *a, **k: windows.append(real(*a, **k)) or windows[-1])
    rows = stream_features(speech_like(1.0, seed=1)[0], assets.audio_recipe, 30)
    outputs = {}
    for blend in (False, True):
        generator = causal.CausalGenerator(assets, SamplerSettings(kind="ddim", steps=2), 5, seed=4, blend=blend,
                                           smoothing=SmoothingSettings())  # as sampled, whatever the checkpoint records
        sent = generator.seed_motion[0, -1].clone()
        outputs[blend] = (sent, generator.step(rows, 5), generator.step(rows, 8))
    seed_frames = assets.seed_frames
    raw_window, blended_window = windows[0][0], windows[2][0]
    torch.testing.assert_close(raw_window, blended_window)  # same noise, seed and audio: the same window
    fade = 1 - causal.crossfade_weights(5)
    assert fade[0] > 0.9 and fade[-1] < 0.1
    body = torch.zeros(assets.motion_dim, dtype=torch.bool)
    body[assets.motion_format.slices()["gesture"]] = True  # the face's weights are not blended
    sent, raw = outputs[False][0], outputs[False][1]
    step = torch.where(body, sent - raw_window[seed_frames - 1], 0.0)
    torch.testing.assert_close(raw, raw_window[seed_frames:])
    torch.testing.assert_close(outputs[True][1], raw + step * fade[:, None])
    assert not torch.equal(outputs[True][1][:, body], raw[:, body])
    assert outputs[True][2].shape == (3, assets.motion_dim)  # a shorter last chunk uses the fade's start


def test_live_smoothing_is_the_causal_filter_of_the_unsmoothed_frames(tiny_checkpoint):
    """A checkpoint that records the low-pass prior (as tiny_cpu's training runs do): live steps return
    the frames the same generator returns without it, filtered causally with the state carried
    across chunks (body only)."""
    from dataclasses import replace

    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.smoothing import CausalSmoother, SmoothingSettings, body_mask
    from motiongen.live.causal import CausalGenerator, generate_causal

    assets = load_assets(tiny_checkpoint)
    assets = replace(assets, config={**assets.config, "smoothing": {"kind": "lowpass", "cutoff_hz": 6.0, "order": 2}})
    rows = stream_features(speech_like(1.0, seed=2)[0], assets.audio_recipe, 30)
    settings = SamplerSettings(kind="ddim", steps=1)
    smoothed_generator = CausalGenerator(assets, settings, 4, seed=5)
    assert smoothed_generator.smoothing == SmoothingSettings("lowpass", 6.0, 2)
    smoothed = generate_causal(smoothed_generator, rows)
    raw = generate_causal(CausalGenerator(assets, settings, 4, seed=5, smoothing=SmoothingSettings()), rows)
    expected = CausalSmoother(smoothed_generator.smoothing, assets.motion_format)(raw[None])[0]
    torch.testing.assert_close(smoothed, expected, atol=1e-5, rtol=1e-5)
    face = ~torch.from_numpy(body_mask(assets.motion_format))
    assert torch.equal(smoothed[:, face], raw[:, face]) and not torch.equal(smoothed, raw)

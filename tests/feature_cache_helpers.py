"""Builders for the feature/cache tests: a tiny random-init WavLM saved with ``save_pretrained`` and
format-exact synthetic BEAT takes (BVH, ARKit face JSON, wav, TextGrid)."""

from __future__ import annotations

from pathlib import Path


def save_tiny_wavlm(folder: Path) -> Path:
    """A randomly initialised 2-layer WavLM (hidden size 32, the released models' 320-sample stride
    and 400-sample receptive field) written with ``save_pretrained`` to ``folder``."""
    import torch
    from transformers import WavLMConfig, WavLMModel

    config = WavLMConfig(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        do_stable_layer_norm=True,
        num_buckets=32,
        max_bucket_distance=200,
    )
    torch.manual_seed(0)
    WavLMModel(config).save_pretrained(folder)
    return folder


def beat_skeleton():
    """BEAT's 75 joint names (``motiongen/skeletons/joint_sets/beat75.yaml``) as a simple chain: root with 6 channels
    (X/Y/Z position, XYZ rotation), every other joint with XYZ rotation channels, 5 cm offsets."""
    import numpy as np

    from motiongen.core.skeleton import Skeleton
    from motiongen.skeletons import load_joint_set

    names = load_joint_set("beat75")
    channels = [("Xposition", "Yposition", "Zposition", "Xrotation", "Yrotation", "Zrotation")]
    channels += [("Xrotation", "Yrotation", "Zrotation")] * (len(names) - 1)
    offsets = np.tile([0.0, 5.0, 0.0], (len(names), 1))
    offsets[0] = 0.0
    return Skeleton(
        names=names,
        parents=np.arange(len(names)) - 1,
        offsets=offsets,
        channels=channels,
        rotation_orders=["XYZ"] * len(names),
        end_sites={len(names) - 1: np.array([0.0, 3.0, 0.0])},
    )


def write_synthetic_bvh(path: Path, seconds: float, seed: int = 0, fps: float = 120.0):
    """A BEAT-skeleton BVH of smooth random motion (angles within +-40 degrees); returns its
    ``(euler_deg (F, J, 3), skeleton)``."""
    import numpy as np

    from motiongen.formats.bvh import write_bvh

    skeleton = beat_skeleton()
    rng = np.random.default_rng(seed)
    frames = int(round(seconds * fps))
    t = np.arange(frames)[:, None, None] / fps
    freq = rng.uniform(0.2, 1.5, size=(1, skeleton.num_joints, 3))
    phase = rng.uniform(0, 2 * np.pi, size=(1, skeleton.num_joints, 3))
    euler = 40.0 * np.sin(2 * np.pi * freq * t + phase)
    root = np.stack([np.zeros(frames), 90.0 + np.zeros(frames), np.linspace(0, 10, frames)], axis=1)
    write_bvh(path, skeleton, euler, root, 1.0 / fps)
    return euler, skeleton


def write_face_json(path: Path, seconds: float, seed: int = 0, fps: float = 60.0):
    """BEAT facial JSON (``names`` alphabetical, ``frames`` of ``time``/``weights``/``rotation``)
    with smooth weights in [0, 1]; returns the ``(F, 52)`` weights in the file's name order."""
    import json

    import numpy as np

    from motiongen.formats.arkit import BEAT_JSON_NAMES

    rng = np.random.default_rng(seed)
    frames = int(round(seconds * fps))
    t = np.arange(frames)[:, None] / fps
    weights = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.1, 2.0, (1, 52)) * t + rng.uniform(0, 6, (1, 52)))
    payload = {
        "names": list(BEAT_JSON_NAMES),
        "frames": [
            {"time": round(i / fps, 6), "weights": [round(float(w), 6) for w in weights[i]], "rotation": [0.0, 0.0, 0.0]}
            for i in range(frames)
        ],
    }
    path.write_text(json.dumps(payload), encoding="utf-8")
    return weights


def write_wav(path: Path, seconds: float, seed: int = 0, clicks: tuple[float, ...] = (), rate: int = 16000):
    """24-bit PCM mono wav: a voiced 150 Hz hum with a slow envelope, plus clicks at given seconds."""
    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.2 * np.sin(2 * np.pi * 150 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t))
    wave += 0.002 * rng.standard_normal(len(t))
    for when in clicks:
        start = int(when * rate)
        wave[start : start + 80] += 0.8 * np.hanning(80)
    sf.write(path, wave.astype(np.float32), rate, subtype="PCM_24")


def write_textgrid(path: Path, seconds: float, words: list[tuple[float, float, str]]):
    """Praat long-format TextGrid with tiers ``words`` (given, gaps filled with silence) and ``phones``."""

    def tier(name: str, intervals: list[tuple[float, float, str]]) -> list[str]:
        filled, cursor = [], 0.0
        for start, end, label in intervals:
            if start > cursor:
                filled.append((cursor, start, ""))
            filled.append((start, end, label))
            cursor = end
        if cursor < seconds:
            filled.append((cursor, seconds, ""))
        lines = ['        class = "IntervalTier"', f'        name = "{name}"', "        xmin = 0",
                 f"        xmax = {seconds}", f"        intervals: size = {len(filled)}"]
        for i, (start, end, label) in enumerate(filled, start=1):
            lines += [f"        intervals [{i}]:", f"            xmin = {start}", f"            xmax = {end}",
                      f'            text = "{label}"']
        return lines

    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0", f"xmax = {seconds}",
             "tiers? <exists>", "size = 2", "item []:"]
    phones = [(s, e, label[:1].upper()) for s, e, label in words]
    for index, (name, intervals) in enumerate((("words", words), ("phones", phones)), start=1):
        lines.append(f"    item [{index}]:")
        lines += tier(name, intervals)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


DEFAULT_WORDS = [(0.5, 0.9, "well"), (1.0, 1.5, "hello"), (1.6, 2.2, "world"), (2.5, 3.0, "again")]


def make_take(root: Path, take_id: str, seconds: float = 4.0, seed: int = 0, face: bool = True,
              words=DEFAULT_WORDS, clicks: tuple[float, ...] = (), face_seconds: float | None = None) -> dict:
    """Write a synthetic BEAT take ``<root>/<speaker>/<take_id>.{bvh,json,wav,TextGrid}``; return its paths."""
    folder = root / take_id.split("_")[0]
    folder.mkdir(parents=True, exist_ok=True)
    paths = {ext: folder / f"{take_id}.{ext}" for ext in ("bvh", "wav", "TextGrid")}
    write_synthetic_bvh(paths["bvh"], seconds, seed)
    write_wav(paths["wav"], seconds, seed, clicks)
    write_textgrid(paths["TextGrid"], seconds, [w for w in words if w[1] <= seconds])
    if face:
        paths["json"] = folder / f"{take_id}.json"
        write_face_json(paths["json"], face_seconds or seconds, seed)
    return paths


REAL_TAKE = "2_scott_0_3_3"


def link_real_sample_take(root: Path, sample_file) -> Path:
    """Speaker folder ``root/2`` holding the real 24-bit wav and TextGrid of ``REAL_TAKE``, linked (not
    copied) from the shared samples, paired with the real truncated BVH and a synthetic face JSON."""
    folder = root / "2"
    folder.mkdir(parents=True)
    (folder / f"{REAL_TAKE}.wav").symlink_to(sample_file(f"beat/{REAL_TAKE}.wav"))
    (folder / f"{REAL_TAKE}.TextGrid").symlink_to(sample_file(f"beat/{REAL_TAKE}.TextGrid"))
    (folder / f"{REAL_TAKE}.bvh").symlink_to(sample_file("beat/2_scott_0_1_1.bvh"))
    write_face_json(folder / f"{REAL_TAKE}.json", 68.0, seed=5)
    return folder


def preprocess_overrides(root: Path, cache_dir: Path, *extra: str) -> list[str]:
    """Hydra overrides for a fast, offline test build of a synthetic/sample corpus."""
    return [
        f"data.root={root}",
        f"data.cache_dir={cache_dir}",
        "data/features=spectral",
        "data.speakers=[2]",
        "data.workers=1",
        "data.words.dim=16",
        "data.words.train.bucket=2000",
        "data.words.train.epoch=3",
        "data.words.train.subsample=1.0",
        *extra,
    ]

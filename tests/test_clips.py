"""ClipDataset: windows, shapes, normalisation, speaker/emotion, DataLoader batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from motiongen.cache import CacheInfo
from motiongen.cache.build import build_cache
from motiongen.config import compose
from motiongen.data.clips import ClipDataset
from motiongen.core.errors import ConfigError

from feature_cache_helpers import make_take, preprocess_overrides


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("beat")
    make_take(root, "2_scott_0_10_10", seconds=8.0, seed=1)  # 240 frames, neutral
    make_take(root, "2_scott_0_66_66", seconds=6.0, seed=2)  # 180 frames, happiness (takes 65-72)
    make_take(root, "2_scott_0_11_11", seconds=3.0, seed=3)  # 90 frames: shorter than a clip
    make_take(root, "2_scott_0_60_60", seconds=6.0, seed=4)  # val
    cache_dir = tmp_path_factory.mktemp("cache")
    build_cache(compose("config", preprocess_overrides(root, cache_dir)), progress=False)
    return cache_dir


def test_windows_and_shapes(cache):
    dataset = ClipDataset(cache, "train", clip_frames=150, stride=30, seed_frames=30)
    # 240 frames -> starts 0, 30, 60, 90; 180 frames -> 0, 30; 90 frames -> none (recorded).
    assert len(dataset) == 6
    assert [dataset.clip_source(i) for i in range(6)] == [
        ("2_scott_0_10_10", 0), ("2_scott_0_10_10", 30), ("2_scott_0_10_10", 60), ("2_scott_0_10_10", 90),
        ("2_scott_0_66_66", 0), ("2_scott_0_66_66", 30),
    ]
    assert dataset.warnings == ["take 2_scott_0_11_11 (90 frames) is shorter than one clip (150); no clips"]
    item = dataset[4]
    assert {k: tuple(v.shape) for k, v in item.items()} == {
        "gesture": (150, 141), "expression": (150, 52), "audio": (150, 109), "word": (150, 17), "speaker": (), "emotion": (),
    }
    assert all(item[k].dtype == torch.float32 for k in ("gesture", "expression", "audio", "word"))
    assert item["speaker"].dtype == torch.int64 and item["speaker"].item() == 0
    assert item["emotion"].item() == 1 and dataset[0]["emotion"].item() == 0
    assert len(ClipDataset(cache, "val", clip_frames=150, stride=10)) == 4  # 180 frames: starts 0..30
    assert len(ClipDataset(cache, "test")) == 0


def test_clips_are_normalised_slices_of_the_cached_takes(cache):
    info = CacheInfo.load(cache)
    dataset = ClipDataset(cache, "train", clip_frames=150, stride=30)
    item = dataset[2]  # 2_scott_0_10_10 frames 60..209
    raw = {block: np.asarray(info.block("2_scott_0_10_10", block))[60:210] for block in ("gesture", "expression", "audio", "word")}
    for block in ("gesture", "expression", "audio"):
        stats = info.format.normalisation(block)
        np.testing.assert_allclose(item[block].numpy(), (raw[block] - stats.mean) / stats.std, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(item["word"].numpy(), raw["word"])
    # Over all train frames the normalised gesture has zero mean and unit variance (stats = train split).
    everything = np.concatenate([info.normalise("gesture", np.asarray(info.block(t.take_id, "gesture")))
                                 for t in info.takes_in("train")])
    np.testing.assert_allclose(everything.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(everything.std(axis=0), 1.0, atol=1e-3)


def test_dataloader_batches_and_worker_processes(cache):
    dataset = ClipDataset(cache, "train", clip_frames=60, stride=60, seed_frames=10)
    loader = DataLoader(dataset, batch_size=4, shuffle=False, num_workers=1)
    batches = list(loader)
    assert sum(len(b["speaker"]) for b in batches) == len(dataset) == 4 + 3 + 1
    assert batches[0]["gesture"].shape == (4, 60, 141) and batches[0]["emotion"].shape == (4,)
    torch.testing.assert_close(batches[1]["audio"][0], dataset[4]["audio"])


def test_bad_windowing_is_a_config_error(cache):
    with pytest.raises(ConfigError, match="seed_frames"):
        ClipDataset(cache, "train", clip_frames=30, seed_frames=30)
    with pytest.raises(ConfigError, match="stride"):
        ClipDataset(cache, "train", stride=0)


def test_whole_takes_give_one_padded_clip_per_take_and_windows_over_longer_ones(cache, caplog):
    info = CacheInfo.load(cache)
    with caplog.at_level("WARNING", logger="motiongen.data.clips"):
        dataset = ClipDataset(cache, "train", clip_frames=200, seed_frames=10, whole_takes=True)
    assert [dataset.clip_source(i) for i in range(len(dataset))] == [
        ("2_scott_0_10_10", 0), ("2_scott_0_10_10", 30), ("2_scott_0_10_10", 40), ("2_scott_0_11_11", 0),
        ("2_scott_0_66_66", 0)]
    assert dataset.warnings == ["take 2_scott_0_10_10 (240 frames) is longer than clip_frames (200): 3 windows "
                                "starting at frames [0, 30, 40]"]
    assert dataset.long_takes == ["2_scott_0_10_10"]
    assert "train: 1 of 3 takes are longer than clip_frames (200)" in caplog.text
    raw_long = np.asarray(info.block("2_scott_0_10_10", "gesture"))
    stats = info.format.normalisation("gesture")
    for index, start in ((0, 0), (2, 40)):  # the last window ends with the take: all 240 frames are trained on
        window = dataset[index]
        assert int(window["first_frame"]) == start and window["frame_mask"].all()
        np.testing.assert_allclose(window["gesture"].numpy(), (raw_long[start:start + 200] - stats.mean) / stats.std,
                                   rtol=1e-5, atol=1e-5)
    short = dataset[3]  # 90 real frames, padded to 200
    assert int(short["first_frame"]) == 0
    assert short["gesture"].shape == (200, 141) and short["frame_mask"].shape == (200,)
    np.testing.assert_array_equal(short["frame_mask"].numpy(), [1.0] * 90 + [0.0] * 110)
    raw = np.asarray(info.block("2_scott_0_11_11", "gesture"))
    np.testing.assert_allclose(short["gesture"][:90].numpy(), (raw - stats.mean) / stats.std, rtol=1e-5, atol=1e-5)
    assert not short["gesture"][90:].any() and not short["audio"][90:].any()
    assert "frame_mask" not in ClipDataset(cache, "train", clip_frames=150)[0]
    assert ClipDataset(cache, "train", clip_frames=200, seed_frames=90, whole_takes=True).warnings[1] == (
        "take 2_scott_0_11_11 (90 frames) is not longer than the seed (90); no clip")

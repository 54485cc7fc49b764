"""Training on a cache built from the real BEAT samples: the tiny experiment memorises one clip, and
``motiongen train`` runs end to end on the cache."""

import pytest
import torch
from lightning.pytorch.callbacks import Callback
from torch.utils.data import Subset

from motiongen.config import compose
from motiongen.training.run import train


class LossHistory(Callback):
    """Sum of the unweighted task losses per step (the UWP total also holds the log σ terms)."""

    def __init__(self):
        self.losses = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        metrics = trainer.callback_metrics
        self.losses.append(float(metrics["train/loss_gesture"] + metrics["train/loss_expression"]))


@pytest.fixture(scope="module")
def real_cache(sample_file, tmp_path_factory):
    return real_sample_cache(sample_file, tmp_path_factory.mktemp("real_cache"))


def seeded_word_vectors(path, textgrids, dim=16):
    """A ``.vec`` file with seeded random vectors for every word of ``textgrids``.

    The offline fallback trains fastText with several threads (hogwild), so its vectors differ from
    run to run; fixed vectors keep this training test deterministic.
    """
    import numpy as np

    from motiongen.formats.textgrid import read_textgrid

    words = sorted({i.label.lower() for tg in textgrids for i in read_textgrid(tg)["words"] if i.label})
    rows = np.random.default_rng(0).standard_normal((len(words), dim))
    lines = [f"{len(words)} {dim}"] + [w + " " + " ".join(f"{v:.5f}" for v in row) for w, row in zip(words, rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def real_sample_cache(sample_file, tmp_path):
    """Cache of the real 24-bit wav + TextGrid and the real (truncated) BVH, with a synthetic BEAT face JSON."""
    from feature_cache_helpers import REAL_TAKE, link_real_sample_take, make_take, preprocess_overrides

    from motiongen.cache.build import build_cache

    root, cache = tmp_path / "beat", tmp_path / "cache"
    folder = link_real_sample_take(root, sample_file)
    real = REAL_TAKE
    make_take(root, "2_scott_0_10_10", seed=1)  # a train take, for the normalisation statistics
    make_take(root, "2_scott_0_60_60", seed=2)  # a val take
    vectors = seeded_word_vectors(tmp_path / "words.vec", [folder / f"{real}.TextGrid", *folder.glob("*_10_10.TextGrid")])
    overrides = preprocess_overrides(root, cache, "data.allow_truncated=true", f"data.words.vectors={vectors}")
    summary = build_cache(compose("config", overrides), progress=False)
    assert real in summary.processed, summary.failed
    return cache, real


@pytest.mark.slow
def test_tiny_experiment_overfits_one_real_clip(real_cache, tmp_path):
    from motiongen.data.clips import ClipDataset

    cache, real = real_cache
    cfg = compose("config", ["experiment=tiny_cpu", f"trainer.default_root_dir={tmp_path / 'run'}", f"data.cache_dir={cache}",
                             "trainer.max_steps=150", "trainer.val_check_interval=150", "trainer.loop.figure_every_n_steps=150",
                             "trainer.loop.checkpoint_every_n_steps=150", "trainer.loop.batch_size=4", "model.cond_drop_prob=0.0",
                             "model.optim.lr=3e-3",
                             "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"])
    clips = ClipDataset(cache, "test", clip_frames=cfg.trainer.loop.clip_frames, stride=cfg.trainer.loop.clip_stride,
                        seed_frames=cfg.model.network.seed_frames)
    assert clips.clip_source(0) == (real, 0)
    one_clip = Subset(clips, [0])
    history = LossHistory()
    run = train(cfg, clips.info.format, {"train": one_clip, "val": one_clip}, extra_callbacks=[history])
    assert run.trainer.global_step == 150
    first, last = torch.tensor(history.losses[:20]).mean(), torch.tensor(history.losses[-20:]).mean()
    assert last * 10 <= first, f"loss fell only from {first:.4f} to {last:.4f}"


def test_train_command_on_the_cache_writes_loadable_checkpoints(real_cache, tmp_path, capsys):
    from motiongen.cli import main
    from motiongen.training.module import UWPLightningModule

    cache, _ = real_cache
    out = tmp_path / "run"
    code = main(["train", "experiment=tiny_cpu", f"data.cache_dir={cache}", "data/features=spectral", f"trainer.default_root_dir={out}",
                 "trainer.max_steps=3", "trainer.val_check_interval=3", "trainer.loop.checkpoint_every_n_steps=3",
                 "trainer.loop.figure_every_n_steps=3", "trainer.loop.figure_ddim_steps=2", "trainer.loop.clip_stride=60",
                 "trainer.enable_progress_bar=false"])
    assert code == 0
    assert f"checkpoints: {out / 'checkpoints'}" in capsys.readouterr().out
    checkpoint = torch.load(out / "checkpoints" / "last.ckpt", weights_only=False)
    assert checkpoint["global_step"] == 3
    assert checkpoint["hyper_parameters"]["network"]["blocks"] == {"gesture": 141, "expression": 52}
    module = UWPLightningModule.load_from_checkpoint(out / "checkpoints" / "last.ckpt")
    assert module.network_cfg.frame_conditions == checkpoint["hyper_parameters"]["network"]["frame_conditions"]

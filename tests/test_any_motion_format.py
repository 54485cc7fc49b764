"""A corpus that is not BEAT goes through the same code: a cache of three differently named blocks
(body landmarks, 6-D hand rotations, two face weights), no audio and no words, a sign label and a
signer — written through the cache's own writer, trained (tiny), generated from a label and a
length, and exported; no code knows these block names."""

from __future__ import annotations

import torch

from test_motion_format import write_three_block_cache

from motiongen.config import compose
from motiongen.core.motion_file import read_motion_file
from motiongen.diffusion.samplers import SamplerSettings
from motiongen.formats.bvh import read_bvh
from motiongen.generation.checkpoint import load_assets
from motiongen.generation.types import GenerationRequest
from motiongen.runs.generate import export_generation
from motiongen.training.run import train


def test_three_block_cache_trains_generates_and_exports(tmp_path):
    cache = tmp_path / "cache"
    info = write_three_block_cache(cache)
    cfg = compose("config", [
        "experiment=tiny_cpu", f"data.cache_dir={cache}", f"trainer.default_root_dir={tmp_path / 'run'}",
        "trainer.max_steps=4", "trainer.val_check_interval=4", "trainer.limit_val_batches=1",
        "trainer.loop.checkpoint_every_n_steps=4", "trainer.loop.figure_every_n_steps=4", "trainer.loop.figure_ddim_steps=2",
        "trainer.loop.batch_size=2", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false",
    ])
    run = train(cfg)
    checkpoint = run.checkpoint_dir / "last.ckpt"
    hparams = torch.load(checkpoint, weights_only=False)["hyper_parameters"]["network"]
    assert hparams["blocks"] == {"body": 9, "hands": 12, "face": 2}
    assert hparams["frame_conditions"] == {} and hparams["category_conditions"] == {"speaker": 2, "sign": 3}
    assert run.module.model.features is None

    assets = load_assets(checkpoint)
    assert assets.audio_recipe is None and assets.word_vectors is None
    request = GenerationRequest(seconds=3.0, speaker="u2", text_label="пока", seed=1, sampler=SamplerSettings(steps=2))
    generated, folder = export_generation(assets, request, tmp_path / "out")
    assert generated.metadata["categories"] == {"speaker": "u2", "sign": "пока"}
    assert sorted(folder.files) == ["metadata.json", "motion.bvh", "motion.npz"]
    assert any(w.startswith("no arkit output: needs all 52 ARKit blendshapes") for w in folder.warnings)

    motion = read_motion_file(folder.folder / "motion.npz")
    assert motion.format.to_dict() == info.format.to_dict()
    assert {name: array.shape for name, array in motion.blocks.items()} == {
        "body": (1, 90, 9), "hands": (1, 90, 12), "face": (1, 90, 2)}
    assert 0 <= motion.blocks["face"].min() and motion.blocks["face"].max() <= 1
    bvh = read_bvh(folder.folder / "motion.bvh")
    assert bvh.skeleton.names == ["Wrist", "Index", "Thumb"] and bvh.num_frames == 90

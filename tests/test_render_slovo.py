"""Done-when check on the real Slovo sample: a briefly trained keypoint renderer beats copying the
reference frame on the held-out frames (every 8th) in PSNR and SSIM. The full few-minute run is
``python tools/render_slovo_keypoint.py``."""

from __future__ import annotations

import pytest

from render.config import compose
from render.training.run import train

SLOVO = "slovo/f17a6060-6ced-4bd1-9886-8578cfbb864f.mp4"


@pytest.mark.slow
def test_keypoint_renderer_beats_copying_the_reference_on_slovo(tmp_path, sample_file):
    video = sample_file(SLOVO)
    cfg = compose("train", ["experiment=slovo_keypoint_cpu", f"data.videos={video}", f"out_dir={tmp_path}", "data.image_size=[64,36]",
                            "trainer.max_minutes=null", "trainer.max_steps=50", "trainer.eval_every=50",
                            "trainer.checkpoint_every=50"])
    held = train(cfg)["held_out"]
    assert held["psnr"] > held["baseline_psnr"] + 0.5
    assert held["ssim"] > held["baseline_ssim"] + 0.01

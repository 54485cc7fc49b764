"""In-memory clips with the exact ``ClipDataset`` item contract, and a script entry for DDP tests.

Each item: gesture (N, Dg) / expression (N, De) float32, audio (N, Da), word (N, Dw) float32,
speaker / emotion int64 scalars. The motion is a smooth function of the audio features (so a model
can learn it) plus a per-clip phase; every value is a function of (seed, index).

Run as a script (``python tests/training_helpers.py OUT_DIR DEVICES [overrides...]``) it trains the
tiny experiment on these clips; Lightning's DDP launcher re-runs the same command for each extra
rank.
"""

from __future__ import annotations

import os
import sys

import torch
from torch.utils.data import Dataset

TINY_DIMS = {"gesture": 12, "expression": 52, "audio": 20, "word": 6}
JOINTS = ["Spine", "Neck", "RightHand", "LeftHand"]  # BEAT names (RightHand sits at the wrist)


class SyntheticClips(Dataset):
    def __init__(self, num_clips: int, frames: int, dims: dict[str, int] = TINY_DIMS, seed: int = 0, num_speakers: int = 2):
        self.num_clips, self.frames, self.dims = num_clips, frames, dims
        self.seed, self.num_speakers = seed, num_speakers

    def __len__(self) -> int:
        return self.num_clips

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        g = torch.Generator().manual_seed(self.seed * 10_000 + index)
        time = torch.arange(self.frames, dtype=torch.float32)[:, None] / 30.0
        audio = torch.sin(2 * torch.pi * (0.5 + torch.rand(1, self.dims["audio"], generator=g)) * time)
        mix_g = torch.randn(self.dims["audio"], self.dims["gesture"], generator=g) / self.dims["audio"] ** 0.5
        mix_e = torch.randn(self.dims["audio"], self.dims["expression"], generator=g) / self.dims["audio"] ** 0.5
        return {
            "gesture": audio @ mix_g,
            "expression": audio @ mix_e,
            "audio": audio,
            "word": torch.randn(self.frames, self.dims["word"], generator=g),
            "speaker": torch.tensor(index % self.num_speakers, dtype=torch.long),
            "emotion": torch.tensor(index % 8, dtype=torch.long),
        }


def tiny_overrides(out_dir, *extra: str) -> list[str]:
    """Overrides of experiment=tiny_cpu for the synthetic clips' widths and a test output folder."""
    return [
        "experiment=tiny_cpu",
        f"trainer.default_root_dir={out_dir}",
        "trainer.loop.clip_frames=40",
        *extra,
    ]


def description():
    """The BEAT motion format at the synthetic clips' widths (unit statistics: the clips are the normalised values)."""
    import numpy as np

    from motiongen.datasets.beat.format import beat_motion_format

    fmt = beat_motion_format(30.0, JOINTS, None, TINY_DIMS["audio"], {}, TINY_DIMS["word"], [2, 4])
    return fmt.with_statistics({name: (np.zeros(TINY_DIMS[name]), np.ones(TINY_DIMS[name]))
                                for name in ("gesture", "expression", "audio")})


def datasets(frames: int = 40, train_clips: int = 16, val_clips: int = 4) -> dict[str, SyntheticClips]:
    return {"train": SyntheticClips(train_clips, frames, seed=0), "val": SyntheticClips(val_clips, frames, seed=1)}


def step_gradient_norms():
    """A Lightning callback recording, after every optimiser step, the global L2 norm of the
    gradients it stepped with (after clipping; they stay in ``.grad`` until the next ``zero_grad``)."""
    import lightning.pytorch as pl

    class StepGradientNorms(pl.Callback):
        def __init__(self):
            self.norms: list[float] = []

        def on_train_batch_end(self, trainer, module, *args):
            norms = [p.grad.norm() for p in module.parameters() if p.grad is not None]
            self.norms.append(float(torch.linalg.vector_norm(torch.stack(norms))))

    return StepGradientNorms()


def main(argv: list[str]) -> int:
    from motiongen.config import compose
    from motiongen.training.run import train

    out_dir, devices, *extra = argv
    cfg = compose("config", tiny_overrides(out_dir, "trainer=ddp", "trainer.accelerator=cpu", f"trainer.devices={devices}", *extra))
    clipped = step_gradient_norms()
    run = train(cfg, description(), datasets(), extra_callbacks=[clipped])
    checksum = sum(float(p.double().sum()) for p in run.module.model.parameters())
    grad_norm = max(clipped.norms)
    line = (f"rank {run.trainer.global_rank} finished at step {run.trainer.global_step} checksum {checksum:.12e} "
            f"precision {run.trainer.precision} grad_norm {grad_norm:.6e}\n")
    sys.stdout.flush()  # both ranks share the pipe: what is buffered goes first, then the line in one
    os.write(sys.stdout.fileno(), line.encode())  # write (< PIPE_BUF bytes, so never interleaved mid-line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

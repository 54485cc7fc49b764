"""``--record``: everything a live session sent, written as the usual run folder.

``motion.bvh``, ``face.json``, ``face_livelink.csv``, ``motion.npz`` and ``metadata.json`` come from
the same exporters as ``motiongen generate`` (:func:`motiongen.export.run.write_run`), so a live
session can be replayed or edited like any generated take. The metadata records the live
settings and the session's latency figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from motiongen.export.run import RunFolder, write_run
from motiongen.generation.types import GeneratedMotion, GenerationAssets
from motiongen.live.frames import FrameBatch

RECORD_OUTPUTS = ["bvh", "arkit"]


def record_session(out_dir: str | Path, assets: GenerationAssets, batches: list[FrameBatch], metadata: dict[str, Any],
                   inputs: dict[str, Any], audio: tuple[np.ndarray, int] | None = None,
                   overwrite: bool = False) -> RunFolder:
    """Write the frames of ``batches`` (in order) into ``out_dir`` atomically."""
    names = batches[0].blocks
    blocks = {name: np.concatenate([b.blocks[name] for b in batches])[None] for name in names}
    frames = blocks[next(iter(blocks))].shape[1]
    meta = {"frames": frames, "fps": assets.fps, "seconds": frames / assets.fps, "mode": "live", **metadata}
    generated = GeneratedMotion(blocks, assets.motion_format, meta, list(assets.warnings))
    return write_run(out_dir, generated, out_fps=30 if assets.fps == 30 else int(assets.fps), inputs=inputs,
                     model=assets.source, config={"training": assets.config}, audio=audio, outputs=RECORD_OUTPUTS,
                     preview=False, overwrite=overwrite)

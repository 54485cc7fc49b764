"""Generate what a request asks for and export it into a run folder, checking the destination and
the requested outputs before any sampling (so a mistake costs nothing)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from motiongen.core.errors import ConfigError
from motiongen.export.folder import check_destination
from motiongen.export.registry import select_exporters
from motiongen.export.run import SUPPORTED_FPS, RunFolder, write_run
from motiongen.generation.sampling import generate
from motiongen.generation.types import GeneratedMotion, GenerationAssets, GenerationRequest
from motiongen.generation.windows import MotionChunk


def export_generation(
    assets: GenerationAssets,
    request: GenerationRequest,
    out_dir: str | Path,
    out_fps: int = 30,
    inputs: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    outputs: list[str] | None = None,
    preview: bool = True,
    overwrite: bool = False,
    on_chunk: Callable[[MotionChunk], None] | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[GeneratedMotion, RunFolder]:
    """Generate what ``request`` asks for and export it into ``out_dir`` (what ``motiongen generate``
    and the quickstart run).

    Args:
        inputs: provenance of the inputs (default: the speech's description).
        metadata: extra facts recorded with the generation metadata.
        config: the generation configuration (recorded beside the checkpoint's training config).
        outputs / preview / overwrite / options: as in :func:`~motiongen.export.run.write_run`.
        on_chunk: called with each window as soon as it is ready (streaming).
    """
    if out_fps not in SUPPORTED_FPS:
        raise ConfigError(f"output fps must be one of {SUPPORTED_FPS}, got {out_fps}")
    check_destination(out_dir, overwrite)
    select_exporters(assets.motion_format, outputs)  # an impossible requested output fails before sampling
    generated = generate(assets, request, on_chunk=on_chunk)
    generated.metadata.update(metadata or {})
    speech = request.speech
    if inputs is None:
        inputs = dict(speech.description) if speech is not None else {}
    options = dict(options or {})
    if assets.extras:
        options.setdefault("extras", assets.extras)
    run = write_run(out_dir, generated, out_fps=out_fps, inputs=inputs, model=assets.source,
                    config={"generate": config or {}, "training": assets.config},
                    audio=(speech.wave, speech.sample_rate) if speech is not None else None,
                    outputs=outputs, preview=preview, overwrite=overwrite, options=options)
    return generated, run

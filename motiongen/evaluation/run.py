"""``motiongen evaluate``: sample the takes of a split with every checkpoint and score them.

Output folder: ``metrics.json`` (settings, evaluator hashes, one row per checkpoint plus the
ground-truth ceiling rows, wall time per stage) and ``metrics.md`` (the table, laid out like the
gesture/face tables of the UWP paper, DiffSHEG and EMAGE). Takes are sampled with fixed seeds
(``seed + take index``), so the same checkpoint and settings give the same numbers.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from motiongen.cache.info import CacheInfo
from motiongen.core.errors import ConfigError
from motiongen.evaluation.beat_extractor import PretrainedGesture, attach_beat_extractor
from motiongen.evaluation.corpus import (
    FACE,
    GESTURE,
    EvaluationTake,
    MotionRoles,
    block_sequences,
    evaluation_takes,
    motion_roles,
    require_skeleton,
)
from motiongen.evaluation.evaluator_files import evaluator_dir, read_evaluator
from motiongen.evaluation.metrics.beat_align import BEAT_START_S
from motiongen.evaluation.positions import upper_body_mean_speed
from motiongen.evaluation.scoring import (
    Evaluators,
    Reference,
    ReferenceTake,
    distribution_row,
    score_row,
    window_features,
)
from motiongen.evaluation.table import markdown_table
from motiongen.evaluation.training import FACE_FILE, GESTURE_FILE, SYNC_FILE

log = logging.getLogger(__name__)


@dataclass
class EvaluationSettings:
    """What to evaluate and how (``conf/evaluate.yaml``)."""

    split: str = "test"
    num_samples: int = 1
    seed: int = 0
    max_takes: int | None = None
    max_seconds: float | None = None
    wind_components: int = 5  # SAiD's K
    wind_repeats: int = 10  # SAiD averages 10 fits
    beat_joint: str = "RightHandRing2"  # the channels BEAT's published BeatAlign reads (metrics.beat_align)
    precision: str = "float32"
    untrained_baseline: bool = False
    pretrained_gesture: PretrainedGesture | None = None  # BEAT's FGD network instead of the cache's own
    sampler: dict = field(default_factory=lambda: {"kind": "ddim", "steps": 25, "eta": 0.0, "guidance": 1.0})
    window_join: str = "inertialize"  # GenerationRequest.window_join
    smoothing: dict | None = None  # a conf/smoothing node; None = each checkpoint's own (GenerationRequest.smoothing)


class StageTimer:
    """Wall time per named stage (seconds, summed when a stage repeats)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        timer = self

        class _Stage:
            def __enter__(self):
                self.start = time.perf_counter()

            def __exit__(self, *exc):
                timer.seconds[name] = timer.seconds.get(name, 0.0) + time.perf_counter() - self.start

        return _Stage()


def load_evaluators(cache_dir: Path, roles: MotionRoles, skip: tuple[str, ...] = ()) -> Evaluators:
    """The trained networks of ``<cache>/evaluators`` for the roles the cache has (except ``skip``).

    Raises:
        InputFileError: a needed file is missing (``motiongen train-evaluator`` was not run) or broken.
    """
    from motiongen.evaluation.extractor import ExtractorConfig, MotionAutoencoder
    from motiongen.evaluation.sync import SyncConfig, SyncScorer

    folder = evaluator_dir(cache_dir)
    evaluators = Evaluators()
    wanted = [(GESTURE, GESTURE_FILE, "motion_features"), (FACE, FACE_FILE, "motion_features"),
              ("sync", SYNC_FILE, "sync")]
    for role, filename, kind in wanted:
        if role in skip or getattr(roles, FACE if role == "sync" else role) is None:
            continue
        payload = read_evaluator(folder / filename, kind)
        network = (MotionAutoencoder(ExtractorConfig(**payload["config"])) if kind == "motion_features"
                   else SyncScorer(SyncConfig(**payload["config"])))
        network.load_state_dict(payload["state_dict"])
        setattr(evaluators, role, network.eval())
        evaluators.hashes[role] = payload["hash"]
        evaluators.info[role] = payload["info"]
    return evaluators


def _cropped_frames(take: EvaluationTake, fps: float, max_seconds: float | None) -> int:
    return min(take.num_frames, int(max_seconds * fps)) if max_seconds else take.num_frames


def reference_take(take_id: str, wave: np.ndarray, rate: int, gesture: np.ndarray | None, face: np.ndarray | None,
                   semantic: np.ndarray | None, fps: float, with_mel: bool) -> ReferenceTake:
    """Ground truth of one take: BEAT and EMAGE onsets, and the log-mel when the sync scorer is
    used. ``gesture (F, 3J)`` radians / ``face (F, C)`` weights at ``fps`` cover the same F frames as
    ``wave``."""
    from motiongen.evaluation.metrics import onset_frames_beat, onsets_emage
    from motiongen.evaluation.sync import log_mel

    frames = len(gesture) if gesture is not None else len(face)
    return ReferenceTake(take_id, frames, gesture, face, onset_frames_beat(wave, rate), onsets_emage(wave, rate, fps, frames),
                         log_mel(wave, rate) if with_mel else None, semantic)


def upper_body_speeds(gesture_info: dict, template, compute) -> tuple[list[str] | None, np.ndarray | None]:
    """EMAGE's upper-body joints of the template and their training mean speeds ``(13,)`` cm/s: from
    the gesture evaluator's file when it stores them, else ``compute()`` (a ``{joint: speed}``
    measured on the train split); ``(None, None)`` when the skeleton lacks those joints."""
    from motiongen.evaluation.metrics import upper_body_joints

    try:
        names = upper_body_joints(template.skeleton.names)
    except ValueError as err:
        log.warning("BC not computed: %s", err)
        return None, None
    stored = gesture_info.get("upper_body_mean_speed_cm_s") or {}
    if not all(name in stored for name in names):
        log.info("the gesture evaluator file stores no upper-body joint speeds; measuring them on the train split")
        stored = compute()
    return names, np.asarray([stored[name] for name in names], dtype=np.float64)


def assemble_reference(fps: float, takes: list[ReferenceTake], evaluators: Evaluators, roles: MotionRoles,
                       settings: EvaluationSettings, gesture_normaliser, bc_joints: list[str] | None = None,
                       bc_mean_speed: np.ndarray | None = None) -> Reference:
    """The :class:`Reference` of ground-truth takes: real features and the per-metric settings."""
    beat_joint = None
    if roles.gesture and settings.beat_joint in roles.joint_names:
        beat_joint = settings.beat_joint
        short = sum(t.frames <= BEAT_START_S * fps for t in takes)
        if short:
            log.warning("BEAT's BeatAlign scores each take from %g s on: %d of %d takes are not longer and get none",
                        BEAT_START_S, short, len(takes))
    elif roles.gesture:
        log.warning("BeatAlign joint %s is not among the gesture joints; BeatAlign not computed", settings.beat_joint)
    return Reference(
        fps=fps, takes=takes,
        gesture_windows=evaluators.gesture.config.window if evaluators.gesture else None,
        face_windows=evaluators.face.config.window if evaluators.face else None,
        gesture_features=window_features(evaluators.gesture, [t.gesture for t in takes]) if evaluators.gesture else None,
        face_features=window_features(evaluators.face, [t.face for t in takes]) if evaluators.face else None,
        gesture_normaliser=gesture_normaliser, face_channels=roles.face_channels, beat_joint=beat_joint,
        bc_joints=bc_joints, bc_mean_speed=bc_mean_speed,
        wind_components=settings.wind_components, wind_repeats=settings.wind_repeats,
    )


def build_reference(info: CacheInfo, roles: MotionRoles, takes: list[EvaluationTake], evaluators: Evaluators,
                    settings: EvaluationSettings, template, progress: bool) -> Reference:
    """Ground truth, onsets, log-mel and real features of the evaluated takes of the cache."""
    from motiongen.evaluation.metrics.srgr import frame_semantic_scores
    from motiongen.formats.audio import load_audio

    out = []
    for take in tqdm(takes, desc="ground truth", disable=not progress, leave=False):
        frames = _cropped_frames(take, info.fps, settings.max_seconds)
        wave, rate = load_audio(take.audio, target_sr=16_000)
        wave = wave[: int(frames / info.fps * rate)]
        gesture = np.asarray(info.block(take.take_id, roles.gesture)[:frames], np.float32) if roles.gesture else None
        face = np.asarray(info.block(take.take_id, roles.face)[:frames], np.float32) if roles.face else None
        semantic = None
        if take.semantic is not None and gesture is not None:
            semantic = frame_semantic_scores(take.semantic, frames, info.fps)
        out.append(reference_take(take.take_id, wave, rate, gesture, face, semantic, info.fps, evaluators.sync is not None))
    normaliser = functools.partial(info.normalise, roles.gesture) if roles.gesture else None
    bc_joints = bc_mean_speed = None
    if roles.gesture:
        bc_joints, bc_mean_speed = upper_body_speeds(
            evaluators.info.get(GESTURE, {}), template,
            lambda: upper_body_mean_speed(template, roles.joint_names, block_sequences(info, "train", roles.gesture),
                                          info.fps))
    return assemble_reference(info.fps, out, evaluators, roles, settings, normaliser, bc_joints, bc_mean_speed)


def ceiling_rows(reference: Reference, evaluators: Evaluators, template, joint_names) -> list[dict]:
    """Ground truth scored against itself, and one half of the real windows against the other."""
    gestures = [t.gesture[None] if t.gesture is not None else None for t in reference.takes]
    faces = [t.face[None] if t.face is not None else None for t in reference.takes]
    real = {"name": "Ground truth (real vs real)", "checkpoint": None,
            **score_row(reference, evaluators, gestures, faces, template, joint_names)}

    def halves(features):
        if features is None or len(features) < 4:
            return None, None
        middle = len(features) // 2
        return features[:middle], features[middle:]

    (ga, gb), (fa, fb) = halves(reference.gesture_features), halves(reference.face_features)
    half = {"name": "Ground truth (held-out half)", "checkpoint": None,
            **distribution_row(reference, evaluators, ga, gb, fa, fb)}
    return [real, half]


def _speech(take: EvaluationTake, frames: int, fps: float):
    from dataclasses import replace

    from motiongen.generation.inputs import speech_from_audio

    speech = speech_from_audio(take.audio, None, min_seconds=0.0, silence_dbfs=-200.0)
    samples = int(round(frames / fps * speech.sample_rate))
    words = None if take.words is None else [w for w in take.words if w.start < frames / fps]
    return replace(speech, wave=speech.wave[:samples], words=words,
                   word_source="the corpus's transcript" if words is not None else speech.word_source)


def untrained_network(assets):
    """A network of the checkpoint's architecture with the initial weights its training run drew
    (torch seeded with the run's ``seed`` before building it, as the trainer does)."""
    import torch

    from motiongen.model.denoiser import UWPDenoiser

    torch.manual_seed(int(assets.config.get("seed", 0)))
    return UWPDenoiser(assets.model.cfg).to(assets.dtype).eval()


def generate_takes(checkpoint: Path, takes: list[EvaluationTake], reference: Reference, roles: MotionRoles,
                   settings: EvaluationSettings, progress: bool, untrained: bool = False, *, speeches: list):
    """Sample every take with the checkpoint (or, ``untrained``, with its architecture at initial
    weights): lists of ``(K, F, ·)`` gesture and face arrays, and the model's source. ``speeches``
    (one per take) are shared by every checkpoint, so their audio features are computed once."""
    from dataclasses import replace

    from motiongen.core.motion_format import ConditionKind
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.sampling import generate
    from motiongen.generation.smoothing import checkpoint_smoothing, smoothing_override
    from motiongen.generation.types import GenerationRequest

    assets = load_assets(checkpoint, precision=settings.precision)
    fmt = assets.motion_format
    for role, names in ((GESTURE, roles.joint_names), (FACE, roles.face_channels)):
        block = getattr(roles, role)
        if block and block in fmt.block_names() and fmt.block(block).names != names:
            raise ConfigError(f"{checkpoint}: its {block} block names {list(fmt.block(block).names[:3])}..., the cache's "
                              f"{list(names[:3])}...: evaluate a checkpoint on the cache it was trained on")
    speaker_stream = assets.category_stream(ConditionKind.SPEAKER)
    emotion_stream = assets.category_stream(ConditionKind.EMOTION)
    if untrained:
        assets = replace(assets, model=untrained_network(assets))
    sampler = SamplerSettings.from_config(settings.sampler)
    smoothing = smoothing_override(settings.smoothing)
    gestures, faces = [], []
    for index, (take, ref) in enumerate(tqdm(list(zip(takes, reference.takes)), desc=f"sampling {checkpoint.name}",
                                             disable=not progress, leave=False)):
        speaker = take.categories.get(speaker_stream.name) if speaker_stream is not None else None
        if speaker is not None and speaker not in speaker_stream.labels:
            speaker = None  # a speaker the model never saw: its first training speaker
        emotion = take.categories.get(emotion_stream.name) if emotion_stream is not None else None
        request = GenerationRequest(speech=speeches[index], speaker=speaker, emotion=emotion,
                                    seed=settings.seed + index, num_samples=settings.num_samples, sampler=sampler,
                                    window_join=settings.window_join, smoothing=smoothing)
        generated = generate(assets, request)
        frames = min(generated.num_frames, ref.frames)
        if frames < ref.frames:
            raise ConfigError(f"take {take.take_id}: generated {generated.num_frames} frames for {ref.frames} of ground truth")
        gestures.append(generated.blocks[roles.gesture][:, :frames] if roles.gesture in generated.blocks else None)
        faces.append(generated.blocks[roles.face][:, :frames] if roles.face in generated.blocks else None)
    return gestures, faces, {**assets.source, "weights": "initial (untrained)" if untrained else "EMA",
                             "smoothing": checkpoint_smoothing(assets.config, smoothing).describe()}


def evaluator_entry(cache_dir: str | Path, evaluators: Evaluators, role: str) -> dict:
    """Report entry of an evaluator network: its hash and file (and, for BEAT's pretrained gesture
    network, the hashes of the statistics it standardises with)."""
    info = evaluators.info.get(role, {})
    entry = {"hash": evaluators.hashes[role], "path": info.get("checkpoint", str(evaluator_dir(cache_dir)))}
    entry.update({key: info[key] for key in ("source", "mean_hash", "std_hash") if key in info})
    return entry


def checkpoint_label(path: Path) -> str:
    """Row name of a checkpoint: ``<run folder>/<file>`` (runs/x/checkpoints/last.ckpt -> x/last.ckpt)."""
    run = path.parent.parent.name if path.parent.name == "checkpoints" else path.parent.name
    return f"{run}/{path.name}" if run else path.name


def evaluate(checkpoints: list[str | Path], cache_dir: str | Path, out_dir: str | Path,
             settings: EvaluationSettings, progress: bool = True, recorded: list[str | Path] = ()) -> dict:
    """Evaluate ``checkpoints`` on ``settings.split`` of the cache; write and return the report.
    ``recorded``: run folders already generated from the split's speech (``motiongen live --record``,
    ``generate --out``), scored as one more row (:mod:`motiongen.evaluation.recorded`)."""
    if settings.num_samples < 1:
        raise ConfigError(f"num_samples must be >= 1, got {settings.num_samples}")
    timer = StageTimer()
    paths = [Path(c) for c in checkpoints]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"checkpoint={path}: no such file")
    with timer("load"):
        info = CacheInfo.load(cache_dir)
        roles = motion_roles(info)
        pretrained = settings.pretrained_gesture
        evaluators = load_evaluators(Path(cache_dir), roles, skip=(GESTURE,) if pretrained else ())
        if pretrained:
            attach_beat_extractor(evaluators, info, roles, pretrained)
        takes = evaluation_takes(info, settings.split, settings.max_takes)
        template = require_skeleton(info) if roles.gesture else None
    with timer("ground truth"):
        reference = build_reference(info, roles, takes, evaluators, settings, template, progress)
        rows = ceiling_rows(reference, evaluators, template, roles.joint_names)
    speeches = [_speech(take, ref.frames, reference.fps) for take, ref in zip(takes, reference.takes)]
    jobs = [(path, False) for path in paths]
    if settings.untrained_baseline and paths:
        jobs.insert(0, (paths[0], True))
    for path, untrained in tqdm(jobs, desc="checkpoints", disable=not progress or len(jobs) == 1):
        label = checkpoint_label(path) + (" (untrained)" if untrained else "")
        with timer(f"sampling {label}"):
            gestures, faces, source = generate_takes(path, takes, reference, roles, settings, progress, untrained,
                                                     speeches=speeches)
        with timer(f"metrics {label}"):
            rows.append({"name": label, "checkpoint": source,
                         **score_row(reference, evaluators, gestures, faces, template, roles.joint_names)})
    if recorded:
        from motiongen.evaluation.recorded import recorded_takes

        with timer("metrics recorded"):
            gestures, faces = recorded_takes(list(recorded), takes, [ref.frames for ref in reference.takes], roles)
            rows.append({"name": f"recorded ({len(recorded)} run folders)", "checkpoint": None,
                         "folders": [str(folder) for folder in recorded],
                         **score_row(reference, evaluators, gestures, faces, template, roles.joint_names)})
    report = {
        "split": settings.split, "cache_dir": str(Path(cache_dir).resolve()), "takes": [t.take_id for t in takes],
        "seconds_of_audio": float(sum(t.frames for t in reference.takes) / info.fps),
        "settings": asdict(settings),
        "evaluators": {role: evaluator_entry(cache_dir, evaluators, role) for role in evaluators.hashes},
        "sync_scorer_accuracy": evaluators.info.get("sync", {}).get("sync_accuracy"),
        "rows": rows, "timing_seconds": timer.seconds,
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(report, indent=1, default=float), encoding="utf-8")
    (out_dir / "metrics.md").write_text(markdown_table(report), encoding="utf-8")
    return report

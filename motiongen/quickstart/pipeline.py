"""``motiongen quickstart`` end to end: corpus -> preprocess -> train -> generate -> report.

Everything runs offline on the CPU through the same Python APIs the individual commands use:
:func:`motiongen.quickstart.corpus.build_corpus`, :func:`motiongen.cache.build.build_cache`
(``motiongen preprocess``, spectral audio recipe, fastText trained on the corpus transcripts),
:func:`motiongen.training.run.train` (``motiongen train experiment=tiny_cpu`` with the emotion condition on),
:func:`motiongen.distillation.run.distill` (``motiongen distill experiment=distill_tiny_cpu``, shortened;
:mod:`motiongen.quickstart.student`) and the ``motiongen generate --text`` command. Output folder layout::

    <out>/corpus/        procedural BEAT-format takes (eSpeak NG speech)
    <out>/cache/         feature cache
    <out>/runs/          checkpoints/ and tensorboard/ (replaced on a re-run; corpus and cache are reused)
    <out>/runs/student/  the distilled student's checkpoints/ and tensorboard/ (replaced on a re-run)

The output folder must be new, empty or an earlier quickstart's (it carries motiongen's marker).
    <out>/generated/     motion.bvh, face.json, face_livelink.csv, motion.npz, preview.mp4, face_curves.png
    <out>/loss_curve.png, report.md, report.json
"""

from __future__ import annotations

import copy
import logging
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from motiongen.core.output_folder import (
    FACE_CURVES_FILE,
    FACE_JSON_FILE,
    LIVE_LINK_FILE,
    PREVIEW_FILE,
    read_output_folder,
)
from motiongen.output_folders import owned_or_new, require_owned
from motiongen.quickstart.script import SPEAKERS, TAKES, UNSEEN_SENTENCE

log = logging.getLogger(__name__)

#: Takes used by ``--fast`` (CI): two neutral and one happy training take, plus the val and test take.
FAST_TAKE_INDICES = (9, 10, 66, 57, 1)
FAST_STEPS = 60
#: Default optimizer steps. `python tools/bench_quickstart.py --steps 200 600 1000 2000` (tiny_cpu
#: schedule ending in pure noise, default sampler; r = generated jawOpen vs the ground-truth jaw):
#: 200 steps r 0.786 (audio-regression baseline 0.838), arms at 81 % of the corpus's angular speed
#: with 3.7x its angular acceleration; 600: r 0.849 (0.839), 178 %, 6.0x; 1000: r 0.850 (0.833),
#: 195 %, 5.5x, 57 s CPU for the run on a reused corpus; 2000: r 0.856 (0.836), 158 %, 3.5x, 138 s
#: CPU. 1000 is the fewest steps measured that beat the baseline well inside 3 minutes. (Those runs
#: predate tiny_cpu's velocity loss; with it, 1000 steps over seeds 0-2: r 0.902 ± 0.002, arms at
#: 126 ± 12 % of the corpus's speed with 1.9 ± 0.1x its acceleration, docs/sampling.md.)
DEFAULT_STEPS = 1000
#: Sampler settings of the quickstart's generation (Hydra overrides of conf/generate.yaml).
#: DPM-Solver++ at 10 steps: the same FGD, face MSE, sync confidence and arm acceleration as DDIM-25
#: on the quickstart's test split at a quarter of its sampling time (5 seeds; docs/benchmarks.md, the
#: section tools/bench_sampling.py wrote).
SAMPLER_OVERRIDES: tuple[str, ...] = ("sampler=dpmsolver", "sampler.steps=10")


@dataclass
class QuickstartOptions:
    """What to run.

    Attributes:
        out: output folder.
        steps: optimizer steps (None = :data:`DEFAULT_STEPS`, or :data:`FAST_STEPS` with ``fast``).
        fast: CI mode: fewer takes and fewer steps.
        text / voice: the unseen sentence to animate and its voice.
        seed: seeds corpus, training and sampling.
        progress: progress bars.
        overrides: extra Hydra overrides for preprocessing/training (applied last).
        generate_overrides: Hydra overrides of ``conf/generate.yaml`` for the generated sentence
            (sampler settings; applied after :data:`SAMPLER_OVERRIDES`).
        distill_steps: steps of the few-step student's distillation (None = the default of
            :mod:`motiongen.quickstart.student`, fewer with ``fast``; 0 = no student).
    """

    out: Path
    steps: int | None = None
    fast: bool = False
    text: str = UNSEEN_SENTENCE
    voice: str = "female"
    seed: int = 0
    progress: bool = True
    overrides: tuple[str, ...] = ()
    generate_overrides: tuple[str, ...] = ()
    distill_steps: int | None = None


def _stage(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def _config(options: QuickstartOptions, corpus_root: Path):
    from motiongen.config import compose

    overrides = [
        "experiment=tiny_cpu",
        "data/features=spectral",
        f"data.root={corpus_root}",
        f"data.cache_dir={options.out / 'cache'}",
        f"data.speakers=[{','.join(str(s.speaker_id) for s in SPEAKERS)}]",
        "data.words.vectors=null",
        "data.words.fallback=train",
        f"trainer.default_root_dir={options.out / 'runs'}",
        f"trainer.max_steps={_steps(options)}",
        # The corpus has emotion takes, so the text's estimated emotion becomes a real condition.
        "model.network.emotion_condition=true",
        f"seed={options.seed}",
    ]
    return compose("config", overrides + list(options.overrides))


def _steps(options: QuickstartOptions) -> int:
    if options.steps is not None:
        return options.steps
    return FAST_STEPS if options.fast else DEFAULT_STEPS


def _distill_steps(options: QuickstartOptions) -> int:
    from motiongen.quickstart.student import DEFAULT_DISTILL_STEPS, FAST_DISTILL_STEPS

    if options.distill_steps is not None:
        return options.distill_steps
    return FAST_DISTILL_STEPS if options.fast else DEFAULT_DISTILL_STEPS


def _generate_overrides(options: QuickstartOptions) -> list[str]:
    return [*SAMPLER_OVERRIDES, *options.generate_overrides]


def _request(options: QuickstartOptions, assets, overrides: list[str]):
    """The sentence's ``(generate config, GenerationRequest, emotion source)`` for ``assets`` with the
    ``conf/generate.yaml`` overrides ``overrides``, as ``motiongen generate --text`` builds them."""
    from motiongen.config import compose
    from motiongen.core.motion_format import ConditionKind
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.generation.inputs import speech_from_text
    from motiongen.generation.smoothing import smoothing_override
    from motiongen.generation.types import GenerationRequest
    from motiongen.text.emotion import estimate_emotion, model_emotion

    cfg = compose("generate", [f"seed={options.seed}", *overrides])
    speech = speech_from_text(options.text, options.voice, cfg.min_speech_seconds, cfg.silence_dbfs)
    text_emotion = estimate_emotion(options.text)
    stream = assets.category_stream(ConditionKind.EMOTION)
    emotion = model_emotion(text_emotion.label, stream.labels) if stream is not None else None
    request = GenerationRequest(speech=speech, emotion=emotion, seed=options.seed,
                                sampler=SamplerSettings.from_config(cfg.sampler),
                                smoothing=smoothing_override(cfg.get("smoothing")))
    source = f"estimated from the text ({text_emotion.label})" if stream is not None else "model has no emotion condition"
    return cfg, request, source


def _generate(checkpoint: Path, options: QuickstartOptions, folder: Path, overrides: list[str], request=None):
    """Animate the sentence into ``folder`` through the library call ``motiongen generate --text``
    uses, with the ``conf/generate.yaml`` overrides ``overrides``; ``request`` (optional) is the
    sentence's request already built (its speech is reused, its sampler and smoothing replaced). Returns
    ``(generated motion, request, assets)``."""
    from dataclasses import replace as replaced

    from omegaconf import OmegaConf

    from motiongen.generation.checkpoint import load_assets
    from motiongen.runs.generate import export_generation

    assets = load_assets(checkpoint)
    cfg, fresh, source = _request(options, assets, overrides)
    request = fresh if request is None else replaced(request, sampler=fresh.sampler, smoothing=fresh.smoothing)
    generated, _ = export_generation(assets, request, folder, config=OmegaConf.to_container(cfg, resolve=True),
                                     metadata={"emotion_source": source}, overwrite=True)
    return generated, request, assets


def _student(options: QuickstartOptions, checkpoint: Path, corpus: list[np.ndarray]):
    """Distil the student of ``checkpoint`` into ``student/`` beside its ``checkpoints/`` (an earlier
    quickstart's student there is replaced) and compare it with the teacher on the sentence;
    returns the :class:`~motiongen.quickstart.student.StudentComparison` and the sentence's request
    (the final generation reuses its speech: eSpeak NG's output depends on what it spoke before)."""
    from motiongen.generation.checkpoint import load_assets
    from motiongen.quickstart.lipsync import procedural_jaw
    from motiongen.quickstart.student import StudentComparison, choose, compare, distill_student
    from motiongen.tts.espeak import synthesize

    steps = _distill_steps(options)
    root = checkpoint.parent.parent / "student"
    if root.exists():
        require_owned(root, "quickstart student folder")
        shutil.rmtree(root)
    t = time.perf_counter()
    student = distill_student(checkpoint, root, steps, options.seed, options.progress)
    seconds = time.perf_counter() - t
    teacher_assets, student_assets = load_assets(checkpoint), load_assets(student)
    _, request, _ = _request(options, teacher_assets, _generate_overrides(options))
    speech = synthesize(options.text, voice=options.voice)
    frames = int(round(request.speech.duration * teacher_assets.fps))
    truth = procedural_jaw(speech.wave, speech.sample_rate, speech.phones, teacher_assets.fps, frames)
    rows = compare(teacher_assets, student_assets, request, tuple(_generate_overrides(options)), truth, corpus)
    return StudentComparison(steps, seconds, str(student), rows, choose(rows).name), request


def _untrained_face(assets, initial_state: dict, request) -> np.ndarray:
    """ARKit weights (F, 52) generated for the same request by the network before training."""
    from motiongen.export.registry import arkit_curves
    from motiongen.generation.sampling import generate

    untrained = copy.deepcopy(assets.model)
    untrained.load_state_dict(initial_state)
    generated = generate(replace(assets, model=untrained), request)
    return arkit_curves(generated.motion_format, generated.blocks)[0]


def _lipsync(cfg, speech, fps: float, trained_face: np.ndarray, untrained_face: np.ndarray):
    """The lip-sync table: ceiling, audio-regression baseline, untrained and trained ``jawOpen``."""
    from motiongen.features.pipeline import extract_audio_features
    from motiongen.features.recipe import recipe_from_config
    from motiongen.formats.arkit import ARKIT_NAMES
    from motiongen.quickstart.lipsync import fit_on_cache, lipsync_rows, procedural_jaw
    from motiongen.quickstart.speech import rms_envelope

    frames = len(trained_face)
    jaw = ARKIT_NAMES.index("jawOpen")
    truth = procedural_jaw(speech.wave, speech.sample_rate, speech.phones, fps, frames)
    regression = fit_on_cache(cfg.data.cache_dir)
    features = extract_audio_features(speech.wave, speech.sample_rate, frames, recipe_from_config(cfg.data.features, fps))
    curves = {
        "ceiling": ("the corpus recipe's own jaw for this speech (ground truth)", truth),
        "audio regression": (f"per-frame linear regression from the audio features, fitted on "
                             f"{len(regression.train_takes)} training takes", regression.predict(features)),
        "untrained": ("the same network before training", untrained_face[:, jaw]),
        "trained": ("the trained network", trained_face[:, jaw]),
    }
    return lipsync_rows(curves, rms_envelope(speech.wave, speech.sample_rate, fps, frames), truth)


def _training_rotations(cfg) -> list[np.ndarray]:
    """The cache's training takes' joint rotations, each ``(F_i, 3J)``."""
    from motiongen.cache import CacheInfo

    info = CacheInfo.load(cfg.data.cache_dir)
    block = rotation_block(info.format)
    return [np.asarray(info.block(take.take_id, block.name)) for take in info.takes_in("train")]


def _energy(generated, corpus: list[np.ndarray]):
    """Motion-energy rows and L1div of the generated joint rotations against the training takes ``corpus``."""
    from motiongen.quickstart.report import energy_rows, l1div_of_gesture

    block = rotation_block(generated.motion_format)
    ours = generated.blocks[block.name][0]
    return energy_rows(ours, corpus, list(block.names), generated.fps), l1div_of_gesture(ours, corpus)


def rotation_block(fmt):
    """The format's axis-angle joint-rotation block (the quickstart corpus has exactly one)."""
    from motiongen.core.motion_format import Representation

    blocks = fmt.blocks_of(Representation.AXIS_ANGLE)
    if len(blocks) != 1:
        raise ValueError(f"expected one axis-angle block in the motion format, found {len(blocks)}")
    return blocks[0]


def run_quickstart(options: QuickstartOptions):
    """Run every stage; returns the :class:`~motiongen.quickstart.report.QuickstartReport`.

    Every numeric library runs on one thread (torch, and BLAS/OpenMP through threadpoolctl): their
    reductions are split by thread count, so this gives the same report, bit for bit, on any machine
    of the same CPU architecture, and the tiny model gains nothing from more threads.
    """
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(1):
            return _run_stages(options)
    finally:
        torch.set_num_threads(threads)


def _run_stages(options: QuickstartOptions):
    from motiongen.cache.build import build_cache
    from motiongen.export.registry import arkit_curves
    from motiongen.quickstart.corpus import build_corpus
    from motiongen.quickstart.history import TrainingHistory
    from motiongen.quickstart.report import QuickstartReport, plot_energy, plot_loss_curve, write_report
    from motiongen.text.emotion import estimate_emotion
    from motiongen.training.run import train
    from motiongen.tts.espeak import synthesize

    started = time.perf_counter()
    synthesize(options.text, voice=options.voice)  # bad text or voice fails here, before minutes of work
    out = options.out.resolve()
    options = replace(options, out=out)
    owned_or_new(out, "quickstart", "quickstart output folder")
    warnings: list[str] = []

    t = _stage("1/6 synthesising the speech corpus with eSpeak NG (both voices)")
    takes = tuple(take for take in TAKES if not options.fast or take.index in FAST_TAKE_INDICES)
    corpus = build_corpus(out / "corpus", takes=takes, seed=options.seed, progress=options.progress)
    corpus_seconds = sum(take.duration for take in corpus.takes)
    print(f"{len(corpus.takes)} takes, {corpus_seconds:.0f} s of speech in {time.perf_counter() - t:.0f} s")

    t = _stage("2/6 preprocessing (spectral audio features, fastText trained on the transcripts)")
    cfg = _config(options, corpus.root)
    summary = build_cache(cfg, progress=options.progress)
    if summary.failed:
        warnings += [f"preprocess failed for {take}: {reason}" for take, reason in summary.failed.items()]
    print(f"{len(summary.processed)} processed, {len(summary.up_to_date)} up to date, "
          f"{len(summary.skipped)} skipped, {len(summary.failed)} failed in {time.perf_counter() - t:.0f} s")

    t = _stage(f"3/6 training the tiny UWP model ({int(cfg.trainer.max_steps)} steps on the CPU)")
    runs = Path(str(cfg.trainer.default_root_dir)).resolve()
    if runs == out / "runs" and runs.exists():
        # A re-run trains from scratch: checkpoints of an earlier quickstart must not mix with it.
        # Only the quickstart's own training folder is removed (never a trainer.default_root_dir
        # override), and only when a motiongen run wrote it.
        require_owned(runs, "quickstart training folder")
        print(f"removing the previous quickstart training run in {runs}")
        shutil.rmtree(runs)
    history = TrainingHistory()
    run = train(cfg, extra_callbacks=[history])
    checkpoint = Path(run.checkpoint_dir) / "last.ckpt"
    print(f"trained in {time.perf_counter() - t:.0f} s -> {checkpoint}")

    corpus_rotations = _training_rotations(cfg)
    student, sentence = None, None
    if _distill_steps(options):
        t = _stage(f"4/6 distilling a few-step student ({_distill_steps(options)} steps) and comparing it with the teacher")
        student, sentence = _student(options, checkpoint, corpus_rotations)
        chosen = student.chosen_row
        print(f"student distilled and compared in {time.perf_counter() - t:.0f} s; the sentence is animated by "
              + (f"the student ({chosen.name})" if chosen.model == "student" else f"the teacher ({chosen.name}): "
                 "no student row met the quality goal"))

    t = _stage("5/6 generating motion for an unseen sentence")
    generated_dir = out / "generated"
    if student is not None and student.chosen_row.model == "student":
        generated, request, assets = _generate(Path(student.checkpoint), options, generated_dir,
                                               list(student.chosen_row.overrides), sentence)
    else:
        generated, request, assets = _generate(checkpoint, options, generated_dir, _generate_overrides(options), sentence)
    output = read_output_folder(generated_dir)
    metadata = output.metadata
    trained_face, fps = arkit_curves(generated.motion_format, generated.blocks)[0], generated.fps
    untrained_face = _untrained_face(assets, history.initial_state, request)
    print(f"generated {len(trained_face)} frames in {time.perf_counter() - t:.0f} s")

    _stage("6/6 report")
    speech = synthesize(options.text, voice=options.voice)
    steps = np.array(history.steps)
    plot_loss_curve(out / "loss_curve.png", steps, {k: np.array(v) for k, v in history.losses.items()},
                    f"tiny UWP training on {len(corpus.takes)} procedural takes")
    lipsync = _lipsync(cfg, speech, fps, trained_face, untrained_face)
    energy, l1div = _energy(generated, corpus_rotations)
    plot_energy(out / "motion_energy.png", energy)
    report = QuickstartReport(
        sentence=options.text,
        voice=options.voice,
        emotion=metadata.generation.get("emotion_source") or estimate_emotion(options.text).label,
        corpus_takes=len(corpus.takes),
        corpus_seconds=float(corpus_seconds),
        training_steps=int(steps[-1]) if len(steps) else 0,
        training_seconds=float(history.seconds),
        final_loss=history.final_loss(),
        sigma=history.final_sigmas(),
        lipsync=lipsync,
        energy=energy,
        l1div=l1div,
        sampler=dict(metadata.generation["sampler"]),
        smoothing=dict(metadata.generation.get("smoothing", {"kind": "none"})),
        total_seconds=time.perf_counter() - started,
        files={
            "preview video (stick figure + face, with the speech)": str(output.path(PREVIEW_FILE)),
            "blendshape curves": str(output.path(FACE_CURVES_FILE)),
            "BVH for Blender/Maya": str(output.bvh),
            "ARKit JSON (BEAT format)": str(output.path(FACE_JSON_FILE)),
            "Live Link Face CSV for Unreal": str(output.path(LIVE_LINK_FILE)),
            "raw arrays": str(output.motion),
            "loss curve": str(out / "loss_curve.png"),
            "motion energy chart": str(out / "motion_energy.png"),
            "TensorBoard logs": str(run.tensorboard_dir),
            "checkpoint": str(checkpoint),
            **({"student checkpoint": student.checkpoint} if student is not None else {}),
        },
        warnings=warnings + list(summary.warnings),
        student=student,
    )
    report.check_finite()
    write_report(out, report)
    return report

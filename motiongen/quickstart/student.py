"""The quickstart's few-step student: a short ``motiongen distill`` of its own checkpoint, and the
teacher/student comparison on its sentence that decides which of them animates it.

The student is distilled with the ``distill_tiny_cpu`` preset's settings (skip interval k = 20,
learning rate, batch) for :data:`DEFAULT_DISTILL_STEPS` steps instead of the preset's 3000, so the
run stays within about a minute on one core. The comparison generates the quickstart's sentence
with the teacher at its default sampler, with plain DDIM at the student's step counts (the
baseline a student must beat) and with the student at 1, 2 and 4 LCM steps, and scores each on
the ``jawOpen`` r with the sentence's ground-truth jaw, the arms' angular speed and acceleration
as ratios of the training takes', and the wall time of sampling per second of speech.

The student animates the sentence only when, at some step count, it meets :data:`GOAL` against
the teacher (the fewest such steps win); otherwise the teacher does. The comparison is on one
sentence and one seed, so it is a sanity gate for this run, not a benchmark
(``tools/bench_sampling.py`` is that).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Distillation steps of a default quickstart run (the preset's settings otherwise).
DEFAULT_DISTILL_STEPS = 1000
#: Distillation steps of a ``--fast`` run (exercises the path; the student will not pass the goal).
FAST_DISTILL_STEPS = 20
#: Student step counts compared (each also with DDIM on the teacher at the same count).
STUDENT_STEPS = (1, 2, 4)
#: The quality goal a student row must meet against the teacher row, after the issue's goals at few
#: steps (sync confidence >= 0.95x and FGD within 10 % of the teacher's) on what one sentence measures.
GOAL = ("jawOpen r >= 0.95x the teacher's, arm speed ratio within 10 % of the teacher's, "
        "arm acceleration ratio <= 1.1x the teacher's")


@dataclass
class SamplingRow:
    """One generation of the sentence.

    Attributes:
        name: e.g. ``teacher dpmsolver-10``, ``teacher ddim-2``, ``student lcm-2``.
        model: ``teacher`` or ``student``.
        overrides: the ``conf/generate.yaml`` sampler overrides it used.
        jaw_r: Pearson r of the generated ``jawOpen`` with the sentence's ground-truth jaw.
        arm_speed_ratio / arm_acceleration_ratio: the four arm joints' mean angular speed
            (deg/s) and acceleration (deg/s²) over the training takes'.
        seconds_per_second: wall seconds of sampling (the windows' diffusion runs, not the feature
            extraction) per second of speech, on one thread.
        meets_goal: for student rows, whether :data:`GOAL` holds against the teacher row.
    """

    name: str
    model: str
    overrides: tuple[str, ...]
    jaw_r: float
    arm_speed_ratio: float
    arm_acceleration_ratio: float
    seconds_per_second: float
    meets_goal: bool | None = None


@dataclass
class StudentComparison:
    """The quickstart's student and its comparison with the teacher (report.json ``student``).

    Attributes:
        distill_steps / distill_seconds: the distillation's length and wall time.
        checkpoint: the student's checkpoint.
        rows: :func:`compare`'s rows, the teacher's first.
        chosen: the name of the row whose model and sampler animate the sentence.
        goal: :data:`GOAL`.
    """

    distill_steps: int
    distill_seconds: float
    checkpoint: str
    rows: list[SamplingRow]
    chosen: str
    goal: str = GOAL

    @property
    def chosen_row(self) -> SamplingRow:
        return next(row for row in self.rows if row.name == self.chosen)


def meets_goal(row: SamplingRow, teacher: SamplingRow) -> bool:
    """:data:`GOAL` for ``row`` against the ``teacher`` row."""
    return (row.jaw_r >= 0.95 * teacher.jaw_r
            and abs(row.arm_speed_ratio - teacher.arm_speed_ratio) <= 0.1 * teacher.arm_speed_ratio
            and row.arm_acceleration_ratio <= 1.1 * teacher.arm_acceleration_ratio)


def choose(rows: list[SamplingRow]) -> SamplingRow:
    """The student row with the fewest steps that meets the goal, else the teacher row (the first)."""
    passing = [row for row in rows if row.model == "student" and row.meets_goal]
    return passing[0] if passing else rows[0]


def distill_student(teacher: Path, root: Path, steps: int, seed: int, progress: bool) -> Path:
    """``motiongen distill experiment=distill_tiny_cpu`` of ``teacher`` for ``steps`` steps into
    ``root`` (checkpoints/, tensorboard/); returns the student's ``last.ckpt``."""
    from motiongen.config import compose
    from motiongen.distillation.run import distill

    every = max(1, steps)
    cfg = compose("distill", [
        "experiment=distill_tiny_cpu", f"teacher={teacher}", f"trainer.default_root_dir={root}",
        f"trainer.max_steps={steps}", f"trainer.val_check_interval={every}",
        f"trainer.loop.checkpoint_every_n_steps={every}", "trainer.loop.keep_checkpoints=1",
        f"trainer.enable_progress_bar={str(progress).lower()}", "trainer.enable_model_summary=false",
        f"seed={seed}",
    ])
    run = distill(cfg)
    return Path(run.checkpoint_dir) / "last.ckpt"


def score(name: str, model: str, overrides: tuple[str, ...], generated, seconds: float, speech_seconds: float,
          truth_jaw: np.ndarray, corpus: list[np.ndarray]) -> SamplingRow:
    """A :class:`SamplingRow` of a generated motion (``generated``: a GeneratedMotion, first sample)."""
    from motiongen.export.registry import arkit_curves
    from motiongen.formats.arkit import ARKIT_NAMES
    from motiongen.quickstart.lipsync import pearson
    from motiongen.quickstart.pipeline import rotation_block
    from motiongen.quickstart.report import energy_rows

    block = rotation_block(generated.motion_format)
    jaw = arkit_curves(generated.motion_format, generated.blocks)[0][:, ARKIT_NAMES.index("jawOpen")]
    rows = energy_rows(generated.blocks[block.name][0], corpus, list(block.names), generated.fps)
    arms = next(row for row in rows if row.joint.startswith("arms"))
    return SamplingRow(name, model, overrides, pearson(jaw, truth_jaw[: len(jaw)]), arms.ratio,
                       arms.generated_acceleration / arms.corpus_acceleration, seconds / speech_seconds)


def compare(teacher_assets, student_assets, request, teacher_overrides: tuple[str, ...], truth_jaw: np.ndarray,
            corpus: list[np.ndarray]) -> list[SamplingRow]:
    """Rows: the teacher with ``teacher_overrides`` (first), DDIM at each of :data:`STUDENT_STEPS`,
    then the student with LCM at each; student rows carry :func:`meets_goal`.

    ``request`` is the sentence's GenerationRequest (its sampler is replaced per row)."""
    from dataclasses import replace

    from motiongen.config import compose
    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.generation.sampling import generate

    speech_seconds = request.speech.duration
    plan = [("teacher " + "-".join(_kind_steps(teacher_overrides)), "teacher", teacher_overrides)]
    plan += [(f"teacher ddim-{n}", "teacher", ("sampler=ddim", f"sampler.steps={n}")) for n in STUDENT_STEPS]
    plan += [(f"student lcm-{n}", "student", ("sampler=lcm", f"sampler.steps={n}")) for n in STUDENT_STEPS]
    rows = []
    for name, model, overrides in plan:
        settings = SamplerSettings.from_config(compose("generate", list(overrides)).sampler)
        assets = teacher_assets if model == "teacher" else student_assets
        generated = generate(assets, replace(request, sampler=settings))
        rows.append(score(name, model, overrides, generated, generated.metadata["sampling_seconds"], speech_seconds,
                          truth_jaw, corpus))
    for row in rows[1:]:
        if row.model == "student":
            row.meets_goal = meets_goal(row, rows[0])
    return rows


def _kind_steps(overrides: tuple[str, ...]) -> list[str]:
    """``("sampler=dpmsolver", "sampler.steps=10")`` -> ``["dpmsolver", "10"]`` (what is set)."""
    values = dict(item.split("=", 1) for item in overrides if "=" in item)
    return [values[key] for key in ("sampler", "sampler.steps") if key in values] or ["default"]


def comparison_markdown(comparison: StudentComparison) -> str:
    """The report's teacher/student section."""
    rows, chosen = comparison.rows, comparison.chosen_row
    table = "\n".join(
        f"| {row.name} | {row.jaw_r:.3f} | {100 * row.arm_speed_ratio:.0f} % | {row.arm_acceleration_ratio:.2f}x | "
        f"{row.seconds_per_second:.3f} | {'' if row.meets_goal is None else ('yes' if row.meets_goal else 'no')} |"
        for row in rows)
    if chosen.model == "student":
        decision = (f"The generated files use the **student at {chosen.name.split('-')[-1]} step(s)**: the fewest "
                    "steps that meet the goal.")
    else:
        decision = ("The generated files use the **teacher** (" + rows[0].name.removeprefix("teacher ") +
                    "): no student row meets the goal.")
    return f"""## Few-step student (consistency distillation)

A student distilled from this run's checkpoint (`motiongen distill experiment=distill_tiny_cpu`,
{comparison.distill_steps} steps in {comparison.distill_seconds:.0f} s), next to the teacher at its default sampler and plain
DDIM on the teacher at the student's step counts (the baseline a student must beat), all on this
sentence with the same seed. Quality goal against the teacher: {GOAL}.

| model and sampler | jawOpen r with ground truth | arm speed / corpus | arm acceleration / corpus | wall s per s of speech | meets the goal |
|---|---|---|---|---|---|
{table}

{decision} One sentence and one seed: a gate for this run, not a benchmark
(`tools/bench_sampling.py` scores the samplers on the test split over seeds; docs/sampling.md).
"""

"""``motiongen evaluate`` on a sign corpus (a cache whose format has a text-label condition, e.g. Slovo):
every clip of a split is generated from its label (and signer, when the model knows them) and
compared with the real clip.

Per checkpoint row (means over clips and samples):

* for every landmark block the format declares (2-D or 3-D landmarks, in the block's units):
  ``dtw_mje.<block>`` (DTW-MJE against the real clip, joints the detector missed in the real frame
  left out), ``travel_ratio.<block>`` (summed path length, generated / real) and
  ``duration_ratio.<block>`` (active signing span, generated / real) of
  :mod:`motiongen.evaluation.metrics.sign`;
* ``hand_travel_ratio``: path length of the wrists (the MediaPipe pose landmarks
  ``pose.left_wrist`` / ``pose.right_wrist``, wherever a landmark block declares them), generated /
  real — how far the hands move through signing space (None without wrist landmarks);
* ``recognition_top1`` / ``recognition_top5``: the sign classifier of the cache
  (:mod:`motiongen.evaluation.sign_training`) recognises the generated clip as its label;
* ``fd_sign``: Fréchet distance between the classifier features of the generated clips and of the
  real clips of the split.

Each clip's length follows the corpus's rule (:meth:`~motiongen.datasets.base.Corpus.generation_frames`,
the one ``motiongen generate`` uses) asked for the real clip's length: a clip longer than a
checkpoint's window, from a model without seed frames (which generates one window), is generated
for the window's length and scored against the whole real clip (the
duration and travel ratios show the shortfall); such clips are logged with their count and listed
in the row's ``checkpoint.longer_than_window``.

The ground-truth row is the ceiling: the real clips scored the same way (DTW-MJE 0 and ratios 1 by
construction; the classifier's own recognition accuracy on the split; FD between two halves of the
real clips when there are at least four).

Of ``conf/evaluate.yaml``, the split, ``num_samples``, ``seed``, ``max_takes``, ``precision``,
``untrained_baseline`` and ``sampler`` apply; signs are whole clips (``max_seconds`` is not used)
and the speech-gesture settings (``beat_joint``, ``wind_components``) have no counterpart
(``extractor.gesture``, BEAT's FGD network, is refused).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from motiongen.cache.info import CacheInfo, corpus_of_cache
from motiongen.core.errors import ConfigError
from motiongen.core.motion_format import ConditionKind, MotionBlock, MotionFormat, Representation
from motiongen.evaluation.run import EvaluationSettings, StageTimer, checkpoint_label, untrained_network
from motiongen.evaluation.sign_training import SIGN_FILE, clip_channels, label_stream, load_sign_classifier
from motiongen.evaluation.evaluator_files import evaluator_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignClip:
    """A real clip of the evaluated split.

    Attributes:
        take_id: the cached take.
        label / label_index: its sign label and class index in the cache's text-label stream.
        signer: its speaker label (None when the format has no speaker stream).
        blocks: ``{block: (T, width)}`` raw values of every declared block.
        channel_masks: ``{block: (T, width)}`` observed weights (1 seen, 0 filled) of blocks with mask groups.
    """

    take_id: str
    label: str
    label_index: int
    signer: str | None
    blocks: dict[str, np.ndarray]
    channel_masks: dict[str, np.ndarray]

    @property
    def frames(self) -> int:
        return len(next(iter(self.blocks.values())))


def sign_clips(info: CacheInfo, split: str, max_takes: int | None = None) -> list[SignClip]:
    """The clips of ``split`` (the first ``max_takes``).

    Raises:
        ConfigError: not a sign corpus, or no take in the split.
    """
    fmt = info.format
    labels = label_stream(fmt)
    if labels is None:
        raise ConfigError(f"the cache {info.cache_dir} declares no text-label condition: it is not a sign corpus")
    speakers = next((c for c in fmt.conditions if c.kind == ConditionKind.SPEAKER), None)
    takes = info.takes_in(split)[: max_takes or None]
    if not takes:
        raise ConfigError(f"the cache {info.cache_dir} has no takes in the {split!r} split")
    out = []
    for take in takes:
        blocks = {b.name: np.asarray(info.block(take.take_id, b.name), np.float32) for b in fmt.blocks}
        masks = {b.name: b.channel_mask(info.block(take.take_id, b.mask_name)) for b in fmt.blocks if b.mask_name}
        label = take.categories[labels.name]
        out.append(SignClip(take.take_id, label, labels.index_of(label),
                            take.categories.get(speakers.name) if speakers else None, blocks, masks))
    return out


def landmark_blocks(fmt: MotionFormat) -> tuple[MotionBlock, ...]:
    """The 2-D and 3-D landmark blocks of the format (the blocks the joint metrics apply to)."""
    return fmt.blocks_of(Representation.LANDMARKS_2D, Representation.LANDMARKS_3D)


#: Landmark names (MediaPipe Holistic, :mod:`motiongen.core.holistic_layout`) whose travel is the hands' travel.
WRIST_LANDMARKS = ("pose.left_wrist", "pose.right_wrist")


def as_joints(block: MotionBlock, values: np.ndarray) -> np.ndarray:
    """``(..., T, width)`` → ``(..., T, J, D)`` with ``D`` the block's values per landmark."""
    return values.reshape(*values.shape[:-1], -1, block.values_per_name)


def score_signs(fmt: MotionFormat, clips: list[SignClip], generated: list[dict[str, np.ndarray]], classifier,
                real_features: np.ndarray) -> dict:
    """Metrics of one row (module docstring).

    Args:
        clips: the real clips.
        generated: per clip ``{block: (K, T, width)}`` raw values, ``T`` = the clip's frames.
        classifier: the :class:`~motiongen.evaluation.sign_classifier.SignClassifier`.
        real_features: ``(N, feature_dim)`` classifier features of the real clips.
    """
    from motiongen.evaluation.metrics import dtw_mje, duration_ratio, frechet_distance_of_features, top_k_accuracy, travel_ratio

    row: dict = {}
    for block in landmark_blocks(fmt):
        scores: dict[str, list[float]] = {"dtw_mje": [], "travel_ratio": [], "duration_ratio": []}
        for clip, samples in zip(clips, generated):
            reference = as_joints(block, clip.blocks[block.name])
            mask = clip.channel_masks.get(block.name)
            joint_mask = None if mask is None else mask[:, :: block.values_per_name]
            for sample in as_joints(block, samples[block.name]):
                scores["dtw_mje"].append(dtw_mje(sample, reference, joint_mask))
                scores["travel_ratio"].append(travel_ratio(sample, reference))
                scores["duration_ratio"].append(duration_ratio(sample, reference))
        row.update({f"{metric}.{block.name}": float(np.mean(values)) for metric, values in scores.items()})
    hand_travel = [
        travel_ratio(as_joints(block, sample)[:, wrists], as_joints(block, clip.blocks[block.name])[:, wrists])
        for block in landmark_blocks(fmt)
        if (wrists := [i for i, name in enumerate(block.names) if name in WRIST_LANDMARKS])
        for clip, samples in zip(clips, generated) for sample in samples[block.name]
    ]
    row["hand_travel_ratio"] = float(np.mean(hand_travel)) if hand_travel else None
    inputs, labels = [], []
    for clip, samples in zip(clips, generated):
        count = len(next(iter(samples.values())))
        inputs += [clip_channels(fmt, {name: value[k] for name, value in samples.items()}) for k in range(count)]
        labels += [clip.label_index] * count
    features, logits = classifier.embed(inputs)
    row["recognition_top1"] = top_k_accuracy(logits, np.array(labels), 1)
    row["recognition_top5"] = top_k_accuracy(logits, np.array(labels), 5)
    enough = len(features) >= 2 and len(real_features) >= 2
    row["fd_sign"] = frechet_distance_of_features(real_features, features) if enough else None
    return row


def ground_truth_row(fmt: MotionFormat, clips: list[SignClip], classifier, real_features: np.ndarray) -> dict:
    """The ceiling row: the real clips as the generated ones; FD between two halves of the real clips."""
    from motiongen.evaluation.metrics import frechet_distance_of_features

    row = score_signs(fmt, clips, [{n: v[None] for n, v in clip.blocks.items()} for clip in clips], classifier, real_features)
    middle = len(real_features) // 2
    row["fd_sign"] = (frechet_distance_of_features(real_features[:middle], real_features[middle:])
                      if len(real_features) >= 4 else None)
    return {"name": "Ground truth (real clips)", "checkpoint": None, **row}


def generate_signs(checkpoint: Path, info: CacheInfo, clips: list[SignClip], settings: EvaluationSettings,
                   progress: bool, untrained: bool = False) -> tuple[list[dict[str, np.ndarray]], dict]:
    """Generate every clip from its label (``K = num_samples``, seeds ``seed + clip index``): per clip
    ``{block: (K, T, width)}`` (``T`` the clip's frames, at most the window of a model without seed
    frames), and the model's source with the clips longer than that window (``longer_than_window``).

    Raises:
        ConfigError: the checkpoint's blocks or labels do not match the cache's.
    """
    from dataclasses import replace

    from motiongen.diffusion.samplers import SamplerSettings
    from motiongen.generation.checkpoint import load_assets
    from motiongen.generation.labels import label_frames
    from motiongen.generation.sampling import generate
    from motiongen.generation.types import GenerationRequest

    assets = load_assets(checkpoint, precision=settings.precision)
    for block in info.format.blocks:
        if block.name not in assets.motion_format.block_names() or assets.motion_format.block(block.name).names != block.names:
            raise ConfigError(f"{checkpoint}: its motion blocks differ from the cache's {block.name!r} block: evaluate a "
                              "checkpoint on the cache it was trained on")
    labels = assets.category_stream(ConditionKind.TEXT_LABEL)
    if labels is None:
        raise ConfigError(f"{checkpoint}: the model has no sign-label condition; it cannot perform the signs of the cache")
    speakers = assets.category_stream(ConditionKind.SPEAKER)
    if untrained:
        assets = replace(assets, model=untrained_network(assets))
    sampler = SamplerSettings.from_config(settings.sampler)
    corpus = corpus_of_cache(info)
    out, longer = [], []
    for index, clip in enumerate(tqdm(clips, desc=f"sampling {checkpoint.name}", disable=not progress, leave=False)):
        if clip.label not in labels.labels:
            raise ConfigError(f"take {clip.take_id}: the model does not know the sign {clip.label!r}")
        signer = clip.signer if speakers is not None and clip.signer in speakers.labels else None
        frames, _ = label_frames(corpus, assets, {labels.name: clip.label}, clip.frames)
        if frames < clip.frames:
            longer.append(clip.take_id)
        request = GenerationRequest(seconds=frames / info.fps, text_label=clip.label, speaker=signer,
                                    seed=settings.seed + index, num_samples=settings.num_samples, sampler=sampler)
        motion = generate(assets, request)
        if motion.num_frames < frames:
            raise ConfigError(f"take {clip.take_id}: generated {motion.num_frames} frames for {frames} asked")
        out.append({b.name: np.asarray(motion.blocks[b.name][:, :frames], np.float32) for b in info.format.blocks})
    if longer:
        window = assets.window_frames
        log.warning(f"{checkpoint}: {len(longer)} of {len(clips)} clips are longer than the model's {window}-frame "
                    f"window; generated {window} frames for each: {', '.join(longer)}")
    return out, {**assets.source, "weights": "initial (untrained)" if untrained else "EMA", "longer_than_window": longer}


def evaluate_signs(checkpoints: list[str | Path], cache_dir: str | Path, out_dir: str | Path,
                   settings: EvaluationSettings, progress: bool = True) -> dict:
    """Evaluate ``checkpoints`` on ``settings.split`` of a sign-corpus cache; write ``metrics.json`` and
    ``metrics.md`` into ``out_dir`` and return the report."""
    from motiongen.evaluation.sign_table import sign_markdown_table

    if settings.num_samples < 1:
        raise ConfigError(f"num_samples must be >= 1, got {settings.num_samples}")
    paths = [Path(c) for c in checkpoints]
    for path in paths:
        if not path.is_file():
            raise ConfigError(f"checkpoint={path}: no such file")
    timer = StageTimer()
    with timer("load"):
        info = CacheInfo.load(cache_dir)
        classifier, payload = load_sign_classifier(cache_dir, info.format)
        clips = sign_clips(info, settings.split, settings.max_takes)
    with timer("ground truth"):
        real_features, _ = classifier.embed([clip_channels(info.format, clip.blocks) for clip in clips])
        rows = [ground_truth_row(info.format, clips, classifier, real_features)]
    jobs = [(path, False) for path in paths]
    if settings.untrained_baseline:
        jobs.insert(0, (paths[0], True))
    for path, untrained in jobs:
        label = checkpoint_label(path) + (" (untrained)" if untrained else "")
        with timer(f"sampling {label}"):
            generated, source = generate_signs(path, info, clips, settings, progress, untrained)
        with timer(f"metrics {label}"):
            rows.append({"name": label, "checkpoint": source, **score_signs(info.format, clips, generated, classifier,
                                                                           real_features)})
    report = {
        "kind": "sign", "split": settings.split, "cache_dir": str(Path(cache_dir).resolve()),
        "takes": [clip.take_id for clip in clips], "labels": [clip.label for clip in clips],
        "seconds_of_motion": float(sum(clip.frames for clip in clips) / info.fps),
        "landmark_blocks": {b.name: b.units for b in landmark_blocks(info.format)},
        "settings": dict(vars(settings)),
        "evaluators": {"sign": {"hash": payload["hash"], "path": str(evaluator_dir(cache_dir) / SIGN_FILE)}},
        "sign_classifier_held_out": payload["info"].get("held_out", {}),
        "rows": rows, "timing_seconds": timer.seconds,
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(report, indent=1, default=float, ensure_ascii=False), encoding="utf-8")
    (out_dir / "metrics.md").write_text(sign_markdown_table(report), encoding="utf-8")
    return report

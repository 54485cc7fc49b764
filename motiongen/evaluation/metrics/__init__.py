"""Evaluation metrics as plain functions on arrays (no motion-block names, no models).

Each module states the reference implementation it follows and where it differs; docs/metrics.md
tabulates them.
"""

from motiongen.evaluation.metrics.beat_align import (
    BEAT_ALIGN_JOINT,
    BEAT_POSE_FPS,
    LIBROSA_DEFAULT_SR,
    TRUE_RATE,
    beat_align_beat,
    beat_consistency_emage,
    decimate,
    gaussian_alignment,
    onset_frames_beat,
    onset_frames_to_seconds,
    onsets_emage,
    trimmed_frames,
    upper_body_joints,
)
from motiongen.evaluation.metrics.diversity import chunked_diversity, feature_diversity, l1div
from motiongen.evaluation.metrics.face import face_lvd, face_mse, mouth_channels
from motiongen.evaluation.metrics.frechet import feature_statistics, frechet_distance, frechet_distance_of_features
from motiongen.evaluation.metrics.sign import (
    active_duration,
    duration_ratio,
    dtw_mje,
    joint_error_matrix,
    path_length,
    top_k_accuracy,
    travel_ratio,
)
from motiongen.evaluation.metrics.srgr import frame_semantic_scores, srgr, srgr_normalised
from motiongen.evaluation.metrics.wind import wind

__all__ = [
    "BEAT_ALIGN_JOINT", "BEAT_POSE_FPS", "LIBROSA_DEFAULT_SR", "TRUE_RATE", "beat_align_beat", "beat_consistency_emage",
    "decimate", "gaussian_alignment", "onset_frames_beat", "onset_frames_to_seconds", "onsets_emage", "trimmed_frames",
    "upper_body_joints",
    "chunked_diversity", "feature_diversity", "l1div", "face_lvd", "face_mse", "mouth_channels",
    "feature_statistics", "frechet_distance", "frechet_distance_of_features", "frame_semantic_scores", "srgr", "srgr_normalised", "wind",
    "active_duration", "duration_ratio", "dtw_mje", "joint_error_matrix", "path_length", "top_k_accuracy", "travel_ratio",
]

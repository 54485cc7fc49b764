"""render: the separate neural renderer — a reference image plus driving motion → avatar video.

Two renderers read one conditioning interface (2-D landmarks in MediaPipe Holistic order, drawn as
a conditioning image): a fast keypoint renderer (dense motion from keypoint heat-maps, feature
warping, occlusion, a decoder that also sees the drawn landmarks) and a diffusion renderer built
from diffusers blocks (ReferenceNet, pose guider, temporal modules). The package reads motion files
and motiongen's bottom layer (``motiongen.core``, ``motiongen.formats``) only.
"""

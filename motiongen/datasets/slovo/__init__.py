"""Slovo (Kapitanov et al. 2023), the Russian Sign Language corpus: everything that names it.

* :mod:`~motiongen.datasets.slovo.videos` — the annotated videos and their splits;
* :mod:`~motiongen.datasets.slovo.motion` and :mod:`~motiongen.datasets.slovo.format` — the motion
  blocks from MediaPipe Holistic landmarks and their declared format;
* :mod:`~motiongen.datasets.slovo.face_mesh` and :mod:`~motiongen.datasets.slovo.face_mesh_file` —
  the face-mesh model a checkpoint carries;
* :mod:`~motiongen.datasets.slovo.corpus` — :class:`SlovoCorpus`, the corpus interface
  (``_target_: motiongen.datasets.slovo.SlovoCorpus`` in ``conf/data/slovo.yaml``).
"""

from motiongen.datasets.slovo.corpus import SlovoCorpus

__all__ = ["SlovoCorpus"]

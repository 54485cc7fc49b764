"""Exporters for generated motion, chosen by the motion format (:mod:`motiongen.export.registry`):
``bvh`` (motion.bvh), ``arkit`` (BEAT face.json, Live Link face_livelink.csv), ``preview``
(preview.mp4, face_curves.png), ``smplx`` (smplx.npz, BEAT2 layout), ``smplx_preview``
(smplx_preview.mp4), ``landmarks`` (MediaPipe Holistic landmarks.npz, landmarks.json) and
``landmarks_preview`` (landmarks_preview.mp4); every run also writes the arrays (motion.npz)."""

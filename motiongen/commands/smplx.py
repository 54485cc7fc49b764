"""``motiongen smplx``: SMPL-X motion files in the EMAGE layout (``poses``, ``expressions``, ``trans``, ``betas``).

Examples::

    motiongen smplx convert take.bvh --face take.json --out take.npz
    motiongen smplx preview take.npz --audio take.wav --smplx-model models/smplx --out preview.mp4

``convert`` retargets BVH motion of the 75-joint mocap skeleton (the packaged template's joints) onto SMPL-X (name map and rest-pose alignment; limits in
:mod:`motiongen.export.smplx_retarget`) at 30 fps and writes ``poses``, ``expressions`` (zeros:
FLAME is not derived from ARKit), ``trans``, ``betas`` (zeros), ``gender``, ``mocap_frame_rate``;
with ``--face`` the jaw follows the ARKit ``jawOpen`` curve. ``preview`` renders an SMPL-X npz on
the mesh of a local SMPL-X model folder (the licensed ``SMPLX_NEUTRAL*.npz``), with the speech;
without ``--smplx-model`` it says so and renders the skeleton.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    convert = sub.add_parser("convert", help="BVH of the 75-joint mocap skeleton (+ ARKit face JSON) -> SMPL-X npz (EMAGE layout)")
    convert.add_argument("bvh", type=Path)
    convert.add_argument("--face", type=Path, default=None, help="ARKit face JSON (blendshape frames): the jaw follows jawOpen")
    convert.add_argument("--out", type=Path, required=True, help="output .npz")
    convert.add_argument("--fps", type=float, default=30.0, help="output frame rate (default 30, as EMAGE trains)")
    convert.add_argument("--smplx-model", type=Path, default=None,
                         help="SMPL-X model folder: retarget onto its rest joints instead of the approximate ones")
    convert.add_argument("--allow-truncated", action="store_true", help="read the complete rows of a truncated BVH")
    preview = sub.add_parser("preview", help="render an SMPL-X npz as a mesh (or skeleton) video with speech")
    preview.add_argument("motion", type=Path, help="SMPL-X .npz in the EMAGE layout (poses, expressions, trans, betas)")
    preview.add_argument("--audio", type=Path, default=None, help="speech to mux (wav/flac/mp3)")
    preview.add_argument("--smplx-model", type=Path, default=None, help="folder with SMPLX_NEUTRAL(_2020).npz")
    preview.add_argument("--flat-hand-mean", action="store_true",
                         help="hand poses are absolute (default: the model's mean hand pose is added, as EMAGE does)")
    preview.add_argument("--out", type=Path, default=None, help="output .mp4 (default: beside the npz)")


def _convert(args) -> int:
    import dataclasses

    from motiongen.core.framerate import resample_motion
    from motiongen.export.smplx_retarget import retarget_bvh_to_smplx
    from motiongen.formats.bvh import TruncatedBvhError, read_bvh
    from motiongen.formats.smplx_motion import SmplxMotion, write_smplx_motion

    try:
        motion = read_bvh(args.bvh, allow_truncated=args.allow_truncated)
    except TruncatedBvhError as err:
        raise err.with_remedy("pass --allow-truncated to convert the complete rows") from None
    euler, root = resample_motion(motion.skeleton, motion.euler_deg, motion.root_translation, motion.fps, args.fps)
    motion = dataclasses.replace(motion, euler_deg=euler, root_translation=root, frame_time=1.0 / args.fps)
    jaw = None
    if args.face is not None:
        from motiongen.formats.arkit import ARKIT_NAMES, read_beat_face_json

        weights = read_beat_face_json(args.face, target_fps=args.fps).weights[:, ARKIT_NAMES.index("jawOpen")]
        jaw = weights[:motion.num_frames]
        if len(jaw) < motion.num_frames:
            jaw = np.pad(jaw, (0, motion.num_frames - len(jaw)), mode="edge")
    rest = None
    if args.smplx_model is not None:
        from motiongen.export.mesh_preview import load_smplx_body

        rest = load_smplx_body(args.smplx_model).rest_joints()
    result = retarget_bvh_to_smplx(motion.skeleton, motion.euler_deg, motion.root_translation, rest, jaw)
    frames = len(result.poses)
    write_smplx_motion(args.out, SmplxMotion(poses=result.poses, expressions=np.zeros((frames, 100), np.float32),
                                             trans=result.trans, fps=args.fps))
    print(f"wrote {args.out} ({frames} frames at {args.fps:g} fps)")
    return 0


def _preview(args) -> int:
    from motiongen.export.mesh_preview import write_smplx_preview
    from motiongen.formats.audio import load_audio
    from motiongen.formats.smplx_motion import read_smplx_motion

    motion = read_smplx_motion(args.motion)
    audio = load_audio(args.audio, target_sr=None) if args.audio is not None else None
    out = args.out or args.motion.with_suffix(".mp4")
    result = write_smplx_preview(out, motion, args.smplx_model, audio=audio, flat_hand_mean=args.flat_hand_mean)
    for message in result.warnings:
        print(f"warning: {message}")
    print(f"wrote {result.path} ({result.num_frames} frames at {result.fps:g} fps)")
    return 0


def run(args: argparse.Namespace) -> int:
    return _convert(args) if args.action == "convert" else _preview(args)

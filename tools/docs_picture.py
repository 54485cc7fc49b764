"""Write the README's picture: one frame of a generated preview video, as a PNG.

    python tools/docs_picture.py quickstart/generated/preview.mp4 docs/images/quickstart-preview.png [--second 3.0]

Reads the video with PyAV, takes the first frame at or after ``--second`` and saves it with Pillow
(scaled to at most ``--width`` pixels wide).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--second", type=float, default=3.0, help="time of the frame in seconds (default 3)")
    parser.add_argument("--width", type=int, default=720, help="largest width of the picture in pixels")
    args = parser.parse_args()
    if not args.video.is_file():
        raise SystemExit(f"docs_picture: no video file {args.video}")
    with av.open(str(args.video)) as container:
        stream = container.streams.video[0]
        picture = None
        for frame in container.decode(stream):
            picture = frame.to_image()
            if frame.time is not None and frame.time >= args.second:
                break
    if picture is None:
        raise SystemExit(f"docs_picture: {args.video} has no video frames")
    if picture.width > args.width:
        picture = picture.resize((args.width, round(picture.height * args.width / picture.width)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(args.out, optimize=True)
    print(f"{args.out}: {picture.width}x{picture.height} from {args.video} at {args.second:g} s")


if __name__ == "__main__":
    main()

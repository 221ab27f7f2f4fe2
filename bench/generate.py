"""End-to-end offline benchmark: `reelforge generate` of a Korean shortform, topic to MP4.

Runs the real CLI in a fresh data folder (offline writer, offline artist, espeak-ng,
default quality) and prints the wall time, the video's length and size. Goal: a ~60 s
Korean shortform in <= 60 s wall on the 2-core machine.

Usage: .venv/bin/python bench/generate.py [--topic "..."] [--quality standard]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reelforge.config import Settings
from reelforge.render.probe import probe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", default="가을 단풍은 왜 붉게 물들까")
    parser.add_argument("--quality", default="standard")
    parser.add_argument("--type", default="shortform")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rf-gen-"))
    try:
        env = {**os.environ, "REELFORGE_DATA_DIR": str(folder / "data"), "REELFORGE_LLM_PROVIDER": "offline"}
        out = folder / "out.mp4"
        cli = Path(sys.executable).with_name("reelforge")
        argv = [str(cli), "generate", args.topic, "--type", args.type, "--lang", "ko", "-o", str(out)]
        argv += ["--quality", args.quality]
        t0 = time.monotonic()
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.monotonic() - t0
        info = probe(Settings(_env_file=None), out)
        print(
            f"reelforge generate ({args.type}, ko, {args.quality}): {wall:.1f} s wall -> "
            f"{info.duration:.1f} s video, {info.width}x{info.height}, {out.stat().st_size / 1e6:.1f} MB"
        )
        print(f"realtime factor: {wall / info.duration:.2f} (goal: 60 s video in <= 60 s)")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

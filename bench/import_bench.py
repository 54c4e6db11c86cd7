"""Benchmark: `records import` of a folder of small images (the issue's goal: at least 200 files/s).

Run: uv run --group test python -m bench.import_bench [--files 10000] [--write]

Writes ``--files`` small images (64x64, a few KB) to a temp folder: 60% A1111 PNGs, 20% ComfyUI
PNGs with their graph, 10% JPEGs with EXIF UserComment, 10% PNGs without metadata. Then times the
importer's plan in this process (reading, hashing, parsing, building records), and the whole
command in a subprocess (start-up, the history's sha256 look-up, the group commit), best of
``--repeat``. ``--write`` replaces the section in docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, PngImagePlugin

from adapters.importer.image_importer import collect_images, plan_import
from bench.report import write_section

GOAL = 200  # files per second
INFOTEXT = (
    "a lighthouse at dusk, {n}\nNegative prompt: blurry\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: {n}, Size: 512x768, "
    "Model hash: 31e35c80fc, Model: sdxl-base, Version: v1.10.1"
)


def _graph(n: int) -> str:
    node = {
        "class_type": "KSampler",
        "inputs": {
            "seed": n,
            "steps": 20,
            "cfg": 7,
            "sampler_name": "euler",
            "scheduler": "normal",
            "positive": ["6", 0],
            "negative": ["7", 0],
            "latent_image": ["5", 0],
            "model": ["4", 0],
        },
    }
    return json.dumps(
        {
            "3": node,
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
            "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": f"a fox {n}"}},
            "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry"}},
        }
    )


def _unicode_exif(text: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + text.encode("utf-16-be")
    return exif.tobytes()


def make_folder(folder: Path, count: int) -> None:
    base = Image.new("RGB", (64, 64), "teal")
    for n in range(count):
        kind = n % 10
        buffer = io.BytesIO()
        suffix = ".png"
        info = PngImagePlugin.PngInfo()
        if kind == 7:
            base.save(buffer, format="JPEG", exif=_unicode_exif(INFOTEXT.format(n=n)))
            suffix = ".jpg"
        else:
            if kind < 6:
                info.add_text("parameters", INFOTEXT.format(n=n))
            elif kind in (6, 8):
                info.add_text("prompt", _graph(n))
            else:
                info.add_text("Software", f"paint {n}")
            base.save(buffer, format="PNG", pnginfo=info, compress_level=1)
        (folder / f"{n:06d}{suffix}").write_bytes(buffer.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write the figures to docs/performance.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp, "images")
        folder.mkdir()
        make_folder(folder, args.files)
        size = sum(path.stat().st_size for path in folder.iterdir())
        files = collect_images([folder])
        plan_seconds = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            plan = plan_import(files, set())
            plan_seconds.append(time.perf_counter() - started)
        imported = len(plan.records)
        command_seconds = []
        for attempt in range(args.repeat):
            home = Path(temp, f"home{attempt}")
            home.mkdir()
            (home / "settings.toml").write_text("", encoding="utf-8")
            env = {**os.environ, "STABLENEW_SETTINGS": str(home / "settings.toml")}
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "adapters.cli", "records", "import", str(folder)],
                cwd=home,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            command_seconds.append(time.perf_counter() - started)
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                return 1
    best_plan, best_command = min(plan_seconds), min(command_seconds)
    rows = [
        ("plan (read, hash, parse, build records), in process", best_plan),
        ("`stablenew records import FOLDER`, whole process", best_command),
    ]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {args.files:,} files "
        f"({size / args.files / 1024:.1f} KB each on average: 60% A1111 PNG, 20% ComfyUI PNG, "
        f"10% JPEG with EXIF, 10% PNG without metadata), {imported:,} imported; best of {args.repeat}. "
        f"Goal: {GOAL} files/s.",
        "",
        "| what | seconds | files/s |",
        "|---|---:|---:|",
        *(f"| {label} | {seconds:.2f} | {args.files / seconds:,.0f} |" for label, seconds in rows),
    ]
    markdown = "## Import of a folder of small images\n\n" + "\n".join(lines)
    print(markdown)
    if args.write:
        write_section(
            "import",
            markdown,
            f"uv run --group test python -m bench.import_bench --files {args.files} --write",
        )
    return 0 if args.files / best_command >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())

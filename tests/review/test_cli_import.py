"""``stablenew records import``: a line per file naming its format, a summary per format, exit codes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.importer.graphs import txt2img_graph
from tests.importer.images import chunk, jpeg_bytes, png_bytes, tiff_exif, unicode_comment, write

Invoke = Callable[..., subprocess.CompletedProcess[str]]
INFOTEXT = "a fox\nNegative prompt: rain\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 9, Size: 64x64"


def bad_and_good_folder(home: Path) -> Path:
    folder = home / "pictures"
    write(folder / "a1111.png", png_bytes([("parameters", INFOTEXT, "tEXt")]))
    write(folder / "sdnext.jpg", jpeg_bytes(tiff_exif(unicode_comment(INFOTEXT + ", App: SD.Next"))))
    write(folder / "comfy.png", png_bytes([("prompt", json.dumps(txt2img_graph()), "zTXt")]))
    write(folder / "comfy-broken.png", png_bytes([("prompt", '{"3": {"class_type": "KSampler", ', "tEXt")]))
    write(folder / "plain.png", png_bytes())
    write(folder / "empty.png", b"")
    write(folder / "truncated.png", png_bytes()[:40])
    write(folder / "words.webp", b"just some text, named like an image")
    huge = png_bytes()
    idat = huge.index(b"IDAT") - 4
    write(
        folder / "huge.png", huge[:idat] + chunk(b"tEXt", b"parameters\0" + b"x" * 50_000_000) + huge[idat:]
    )
    return folder


def test_each_file_gets_one_line_and_the_import_goes_on(tmp_path: Path, invoke: Invoke) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    bad_and_good_folder(tmp_path)
    done = invoke(tmp_path, "records", "import", "pictures")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    out = done.stdout.splitlines()
    assert sorted(line for line in out if line.startswith("imported pictures")) == [
        "imported pictures/a1111.png (a1111-infotext, a1111)",
        "imported pictures/comfy.png (comfyui-prompt, comfyui)",
        "imported pictures/sdnext.jpg (a1111-infotext, sdnext)",
    ]
    assert "  a1111-infotext: 2 imported" in out
    assert "  comfyui-prompt: 1 imported, 1 failed" in out
    assert out[-1].endswith("(0 already there, 1 without metadata, 5 failed)")
    reasons = dict(line.split(": ", 1) for line in done.stderr.splitlines())
    assert reasons == {
        "failed pictures/comfy-broken.png": "comfyui-prompt: the 'prompt' graph is not JSON"
        " (Expecting property name enclosed in double quotes: line 1 column 34 (char 33))",
        "failed pictures/empty.png": "empty file (0 bytes)",
        "failed pictures/truncated.png": "no readable generation metadata in this PNG:"
        " file cut short (no end chunk)",
        "failed pictures/words.webp": "not a PNG, JPEG or WEBP image (by its content)",
        "skipped pictures/plain.png": "no generation metadata (a PNG with no text chunks or EXIF comment)",
        "failed pictures/huge.png": "no readable generation metadata in this PNG:"
        " text chunk 'parameters' is over 8,388,608 characters: left out",
    }
    rows = json.loads(invoke(tmp_path, "records", "list", "--json").stdout)
    assert len(rows) == 3


def test_exit_0_when_every_file_was_imported_or_held_no_metadata(tmp_path: Path, invoke: Invoke) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    write(tmp_path / "p" / "a.png", png_bytes([("parameters", INFOTEXT, "tEXt")]))
    write(tmp_path / "p" / "none.png", png_bytes())
    done = invoke(tmp_path, "records", "import", "p")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith("(0 already there, 1 without metadata, 0 failed)")


def test_json_report_and_dry_run(tmp_path: Path, invoke: Invoke) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    write(tmp_path / "p" / "a.png", png_bytes([("parameters", INFOTEXT, "tEXt")]))
    write(tmp_path / "p" / "broken.png", png_bytes([("invokeai_metadata", "{oops", "tEXt")]))
    done = invoke(tmp_path, "records", "import", "p", "--json", "--dry-run")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["dry_run"] is True
    assert (report["imported"], report["skipped"], report["failed"]) == (1, 0, 1)
    assert report["by_format"] == {
        "a1111-infotext": {"imported": 1, "failed": 0},
        "invokeai": {"imported": 0, "failed": 1},
    }
    imported, failed = report["files"]
    assert (imported["outcome"], imported["format"], imported["tool"]) == (
        "imported",
        "a1111-infotext",
        "a1111",
    )
    assert (failed["outcome"], failed["format"]) == ("failed", "invokeai")
    assert failed["reason"].startswith("invokeai: the 'invokeai_metadata' text is not JSON")
    assert not (tmp_path / "records" / "learning_records.jsonl").exists()


def old_import(home: Path, image: Path) -> str:
    """Store the record an older importer (version 1: no parser_version) made of ``image``."""
    from dataclasses import replace

    from adapters.importer.image_importer import plan_import
    from adapters.record_store.jsonl import JsonlRecordStore

    (record,) = plan_import([image], set()).records
    old_meta = {key: value for key, value in record.metadata["import"].items() if key != "parser_version"}
    old = replace(
        record,
        config={**record.config, "sampler": "DPM++ 2M Karras", "scheduler": ""},
        metadata={"import": old_meta},
    )
    store = JsonlRecordStore(home / "records" / "learning_records.jsonl")
    store.append_records([old])
    store.close()
    return record.run_id


def test_reparse_reads_old_imports_again_and_the_new_record_supersedes_the_old(
    tmp_path: Path, invoke: Invoke
) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    image = write(
        tmp_path / "p" / "a.png",
        png_bytes([("parameters", INFOTEXT.replace("Euler a", "DPM++ 2M Karras"), "tEXt")]),
    )
    run_id = old_import(tmp_path, image)
    assert invoke(tmp_path, "records", "rate", run_id[:8], "4").returncode == 0

    plain = invoke(tmp_path, "records", "import", "p")
    assert plain.returncode == 0
    assert "imported 0 image(s)" in plain.stdout  # without --reparse: already there

    done = invoke(tmp_path, "records", "import", "p", "--reparse")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "read again p/a.png (a1111-infotext, a1111)"
    assert "imported 1 image(s) (1 read again)" in done.stdout
    (row,) = json.loads(invoke(tmp_path, "records", "list", "--json").stdout)
    assert (row["run_id"], row["sampler"], row["scheduler"], row["rating"]) == (
        run_id,
        "DPM++ 2M",
        "Karras",
        4,
    )
    record = json.loads(invoke(tmp_path, "records", "show", run_id, "--json").stdout)["record"]
    assert record["metadata"]["import"]["reparsed"] is True
    shown = invoke(tmp_path, "records", "show", run_id).stdout.splitlines()
    assert f"imported   from a1111 (a1111-infotext) at {image.resolve()}" in shown
    assert record["metadata"]["import"]["parser_version"] == 2

    again = invoke(tmp_path, "records", "import", "p", "--reparse")
    assert "imported 0 image(s)" in again.stdout  # the new record is current: nothing to read again


@pytest.mark.slow
def test_watch_imports_what_appears_until_ctrl_c(tmp_path: Path) -> None:
    """A real process, a real folder written while it watches, and a real SIGINT."""
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    folder = tmp_path / "out"
    write(folder / "first.png", png_bytes([("parameters", INFOTEXT, "tEXt")]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
    watching = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "records", "import", "out", "--watch"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert watching.stdout is not None
        assert watching.stdout.readline() == "imported out/first.png (a1111-infotext, a1111)\n"
        time.sleep(1.0)  # the watcher is listening
        write(
            folder / "second.png",
            png_bytes([("parameters", INFOTEXT.replace("Seed: 9", "Seed: 10"), "tEXt")]),
        )
        (folder / "notes.txt").write_text("not an image", encoding="utf-8")
        assert watching.stdout.readline() == "imported out/second.png (a1111-infotext, a1111)\n"
        watching.send_signal(signal.SIGINT)
        out, err = watching.communicate(timeout=30)
    finally:
        watching.kill()

    assert watching.returncode == 0, err
    assert out == ""
    assert err.splitlines() == ["watching out (Ctrl-C stops)", "stopped watching (0 file(s) failed)"]
    listed = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "records", "list", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(row["seed"] for row in json.loads(listed.stdout)) == [9, 10]


def test_watch_refuses_options_that_make_no_sense_with_it(tmp_path: Path, invoke: Invoke) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    (tmp_path / "out").mkdir()
    done = invoke(tmp_path, "records", "import", "out", "--watch", "--dry-run")
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "error: --watch cannot be combined with --dry-run, --json or --reparse",
    )

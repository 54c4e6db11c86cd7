"""``stablenew export llm`` end to end, through the real command in a subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from domain.llm_summary import CUT_ORDER
from tests.insights.test_cli_insights import write_home
from tests.integration.cli import run_cli


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("export", "llm", *args, cwd=home, env={"STABLENEW_SETTINGS": str(home / "settings.toml")})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return write_home(tmp_path / "home")


def test_the_same_history_gives_the_same_bytes_whatever_the_order_of_the_files_lines(
    home: Path, tmp_path: Path
) -> None:
    done = cli(home, "--pack", "portraits")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["coverage"]["runs"] == 21
    assert summary["coverage"]["scorers"] == ["aesthetic@1.0"]
    assert done.stdout.count("\n") == 1  # one line of JSON
    for seed in (1, 2):
        shuffled = write_home(tmp_path / f"shuffled{seed}", shuffle=seed)
        again = cli(shuffled, "--pack", "portraits")
        assert again.returncode == 0, again.stderr
        assert again.stdout == done.stdout


def test_max_chars_cuts_in_the_documented_order_and_says_what_it_cut(home: Path, tmp_path: Path) -> None:
    whole = cli(home, "--pack", "portraits").stdout.rstrip("\n")
    limit = len(whole) * 2 // 3
    out = tmp_path / "summary.json"

    done = cli(home, "--pack", "portraits", "--max-chars", str(limit), "-o", str(out))

    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    text = out.read_text(encoding="utf-8").rstrip("\n")
    assert len(text) <= limit
    summary = json.loads(text)
    sections = [entry["section"] for entry in summary["cut"]]
    assert sections
    positions = [CUT_ORDER.index(section) for section in sections]
    assert positions == sorted(positions)
    # every section before the last one touched is empty (a section with nothing in it is not listed)
    assert all(summary[section] == [] for section in CUT_ORDER[: positions[-1]])
    assert done.stderr.startswith(f"wrote {out} ({len(text)} characters; cut examples -")


def test_reading_changes_nothing_stored(home: Path) -> None:
    files = sorted((home / "records").glob("*.jsonl"))
    before = [path.read_bytes() for path in files]
    assert cli(home, "--pack", "portraits").returncode == 0
    assert [path.read_bytes() for path in files] == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--pack", "nope"), 2, "error: --pack: no runs in pack 'nope' (packs: landscapes, portraits)"),
        (("--pack", "portraits", "--model", "nope"), 2, "error: --model: no runs with model 'nope'"),
        (
            ("--pack", "portraits", "--max-chars", "40"),
            2,
            "error: --max-chars 40: the summary needs at least",
        ),
        (("--pack", "portraits", "--max-chars", "0"), 2, "error: Invalid value for '--max-chars'"),
        ((), 2, "error: Missing option '--pack'"),
        (("--pack", "portraits", "--records", "missing.jsonl"), 1, "error: records file /"),
        (("--pack", "portraits", "-o", "/"), 2, "error: --output: / is a folder; give a file name such as"),
    ],
)
def test_bad_requests_give_one_line_their_exit_code_and_change_nothing(
    home: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    files = sorted((home / "records").glob("*.jsonl"))
    before = [path.read_bytes() for path in files]
    done = cli(home, *args)
    assert done.returncode == code
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith(message)
    assert [path.read_bytes() for path in files] == before

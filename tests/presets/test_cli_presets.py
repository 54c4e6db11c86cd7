"""``stablenew preset`` and ``run --preset`` end to end, through the real command in a subprocess."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.insights.rows import rating
from tests.integration.cli import run_cli
from tests.presets.history import BAD, GOOD, PACK, RUNS, add_ratings, ratings, specs, write_history


def cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=home, env={"STABLENEW_SETTINGS": str(home / "settings.toml"), **(env or {})})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return write_history(tmp_path / "home")


@pytest.fixture
def derived(home: Path) -> Path:
    done = cli(home, "preset", "derive", "--pack", PACK, "--name", "best")
    assert done.returncode == 0, done.stderr
    return home


def last_record(home: Path) -> dict[str, object]:
    lines = (home / "records" / "learning_records.jsonl").read_text(encoding="utf-8").splitlines()
    record: dict[str, object] = json.loads(lines[-1])
    return record


def test_derive_writes_only_the_setting_that_is_confidently_best(derived: Path) -> None:
    data = tomllib.loads((derived / "presets" / "best.toml").read_text(encoding="utf-8"))
    assert data["settings"] == {"sampler": GOOD}  # steps made no difference: left out
    assert set(data["evidence"]) == {"sampler"}
    evidence = data["evidence"]["sampler"]
    assert evidence["runner_up"] == BAD
    assert evidence["mean_low"] > evidence["runner_up_mean"]
    assert (evidence["ratings"], evidence["raters"], evidence["evidence"]) == (RUNS // 2, 1, "controlled")
    assert data["preset"]["pack"] == PACK
    assert len(data["preset"]["fingerprint"]) == 64


def test_derive_refuses_to_overwrite_unless_forced(derived: Path) -> None:
    path = derived / "presets" / "best.toml"
    before = path.read_bytes()
    again = cli(derived, "preset", "derive", "--pack", PACK, "--name", "best")
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert "--force" in again.stderr
    assert path.read_bytes() == before
    forced = cli(derived, "preset", "derive", "--pack", PACK, "--name", "best", "--force")
    assert forced.returncode == 0, forced.stderr


def test_nothing_confidently_best_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    home = write_history(tmp_path / "home", ratings(good=(4, 2), bad=(3, 3)))
    done = cli(home, "preset", "derive", "--pack", PACK, "--name", "best", "--presets-dir", "mine")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert "nothing is confidently best" in done.stderr
    assert not (home / "mine").exists()


def test_verify_is_0_while_the_ratings_hold_and_3_with_a_diff_once_they_flip(derived: Path) -> None:
    held = cli(derived, "preset", "verify", "best")
    assert held.returncode == 0, held.stderr
    assert "holds" in held.stdout
    later = "2026-11-25T10:00:00.000Z"
    flipped = [rating(spec.run_id, 1 if spec.sampler == GOOD else 5, at=later) for spec in specs()]
    add_ratings(derived, flipped)
    changed = cli(derived, "preset", "verify", "best")
    assert changed.returncode == 3, changed.stderr
    assert f"~ sampler: '{GOOD}' -> '{BAD}'" in changed.stdout
    assert (
        "sampler"
        in tomllib.loads((derived / "presets" / "best.toml").read_text(encoding="utf-8"))["settings"]
    )  # verify writes nothing


def test_verify_names_a_value_whose_evidence_is_gone(derived: Path) -> None:
    later = "2026-11-25T10:00:00.000Z"
    add_ratings(derived, [rating(spec.run_id, 3, at=later) for spec in specs()])
    changed = cli(derived, "preset", "verify", "best")
    assert changed.returncode == 3
    assert f"- sampler = '{GOOD}': no longer confidently best" in changed.stdout


def test_list_and_show_print_the_preset_and_json_is_its_contents(derived: Path) -> None:
    listed = cli(derived, "preset", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"best  pack {PACK}  sampler={GOOD}")
    shown = cli(derived, "preset", "show", "best", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["settings"] == {"sampler": GOOD}
    assert data["name"] == "best"


def test_run_applies_the_preset_and_the_record_names_it(derived: Path) -> None:
    done = cli(derived, "run", "-p", "a cat", "--stages", "txt2img", "--learning", "--preset", "best")
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr  # the fake backend's model is the preset's
    record = last_record(derived)
    config = record["config"]
    assert isinstance(config, dict)
    assert config["sampler"] == GOOD
    shown = json.loads(cli(derived, "preset", "show", "best", "--json").stdout)
    assert config["metadata"] == {"preset": {"name": "best", "sha256": _sha256(shown)}}


def test_a_flag_overrides_the_preset(derived: Path) -> None:
    done = cli(
        derived,
        "run",
        "-p",
        "a cat",
        "--stages",
        "txt2img",
        "--learning",
        "--preset",
        "best",
        "--sampler",
        "DDIM",
    )
    assert done.returncode == 0, done.stderr
    config = last_record(derived)["config"]
    assert isinstance(config, dict)
    assert config["sampler"] == "DDIM"


def test_the_preset_wins_over_the_environment_and_the_settings_file(derived: Path) -> None:
    with (derived / "settings.toml").open("a", encoding="utf-8") as file:
        file.write('[pipeline]\nsampler = "Heun"\n')
    env = {"STABLENEW_PIPELINE__SAMPLER": "DDIM"}
    done = cli(
        derived, "run", "-p", "a cat", "--stages", "txt2img", "--learning", "--preset", "best", env=env
    )
    assert done.returncode == 0, done.stderr
    config = last_record(derived)["config"]
    assert isinstance(config, dict)
    assert config["sampler"] == GOOD


def test_a_bad_preset_value_is_blamed_on_the_preset(derived: Path) -> None:
    path = derived / "presets" / "best.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace(f'sampler = "{GOOD}"', "steps = 900")
        .replace("[evidence.sampler]", "[evidence.steps]"),
        encoding="utf-8",
    )
    done = cli(derived, "run", "-p", "a cat", "--stages", "txt2img", "--preset", "best")
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "error: invalid pipeline setting steps: must be 1..500, got 900 (from preset best)"
    )


def test_strict_refuses_a_model_hash_other_than_the_presets(derived: Path) -> None:
    path = derived / "presets" / "best.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('model_hash = "', 'model_hash = "ffff'), encoding="utf-8")
    warned = cli(derived, "run", "-p", "a cat", "--stages", "txt2img", "--learning", "--preset", "best")
    assert warned.returncode == 0, warned.stderr
    warnings = [line for line in warned.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "model hash ffff" in warnings[0]
    records_before = (derived / "records" / "learning_records.jsonl").read_bytes()
    refused = cli(
        derived, "run", "-p", "a cat", "--stages", "txt2img", "--learning", "--preset", "best", "--strict"
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: --strict: preset best was derived from runs of model hash ffff")
    assert (derived / "records" / "learning_records.jsonl").read_bytes() == records_before


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("[settings]", "[settings", "is not valid TOML"),
        ("[settings]", '[settings]\nprompt = "a dog"', "settings.prompt: unknown setting"),
        (f'sampler = "{GOOD}"', "sampler = 3", "settings.sampler: expected str"),
        ('name = "best"\n', "", "preset.name is missing"),
    ],
)
def test_a_nonsense_preset_file_is_one_line_and_exit_2(derived: Path, old: str, new: str, named: str) -> None:
    path = derived / "presets" / "best.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    for args in (
        ("run", "-p", "a cat", "--preset", "best"),
        ("preset", "show", "best"),
        ("preset", "verify", "best"),
    ):
        done = cli(derived, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1
        assert "Traceback" not in done.stderr
        assert named in done.stderr
        assert str(path) in done.stderr


def test_an_unknown_preset_is_exit_2(derived: Path) -> None:
    done = cli(derived, "run", "-p", "a cat", "--preset", "nope")
    assert done.returncode == 2
    assert "no preset nope" in done.stderr


def _sha256(data: dict[str, object]) -> str:
    import hashlib

    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_with_from_the_preset_wins_over_the_recalled_run_and_a_flag_over_both(derived: Path) -> None:
    first = cli(
        derived,
        "run",
        "-p",
        "a cat",
        "--stages",
        "txt2img",
        "--learning",
        "--sampler",
        "DDIM",
        "--steps",
        "12",
    )
    assert first.returncode == 0, first.stderr
    run_id = str(last_record(derived)["run_id"])
    again = cli(derived, "run", "--from", run_id, "--learning", "--preset", "best")
    assert again.returncode == 0, again.stderr
    config = last_record(derived)["config"]
    assert isinstance(config, dict)
    assert (config["sampler"], config["steps"], config["prompt"]) == (GOOD, 12, "a cat")
    assert config["metadata"]["preset"]["name"] == "best"
    flagged = cli(derived, "run", "--from", run_id, "--learning", "--preset", "best", "--sampler", "Heun")
    assert flagged.returncode == 0, flagged.stderr
    config = last_record(derived)["config"]
    assert isinstance(config, dict)
    assert config["sampler"] == "Heun"


def test_derive_for_an_unknown_pack_is_exit_2_naming_the_packs(home: Path) -> None:
    done = cli(home, "preset", "derive", "--pack", "nope", "--name", "x")
    assert done.returncode == 2
    assert f"packs: {PACK}" in done.stderr
    assert not (home / "presets").exists()


def test_list_show_verify_and_a_run_without_learning_change_no_stored_byte(derived: Path) -> None:
    def stored() -> dict[str, bytes]:
        files = [*(derived / "presets").iterdir(), *(derived / "records").glob("*.jsonl")]
        return {str(path): path.read_bytes() for path in files}

    before = stored()
    for args in (
        ("preset", "list"),
        ("preset", "show", "best"),
        ("preset", "show", "best", "--json"),
        ("preset", "verify", "best"),
        ("run", "-p", "a cat", "--stages", "txt2img", "--no-learning", "--preset", "best"),
    ):
        done = cli(derived, *args)
        assert done.returncode == 0, (args, done.stderr)
    assert stored() == before


def test_strict_without_a_preset_is_a_usage_error(home: Path) -> None:
    done = cli(home, "run", "-p", "a cat", "--strict")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --strict needs --preset NAME (it checks the preset's model)"


def test_text_from_a_preset_file_is_printed_as_it_is_never_as_markup(derived: Path) -> None:
    markup = "[bold red]dpm[/] :smile:"
    path = derived / "presets" / "best.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(GOOD, markup), encoding="utf-8")
    for args in (("preset", "list"), ("preset", "show", "best")):
        done = cli(derived, *args)
        assert done.returncode == 0, done.stderr
        assert markup in done.stdout


def test_export_prints_a_fooocus_preset_and_refuses_other_formats(derived: Path) -> None:
    done = cli(derived, "preset", "export", "best", "--format", "fooocus")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"default_sampler": "euler_ancestral"}
    other = cli(derived, "preset", "export", "best", "--format", "styles-csv")
    assert other.returncode == 2
    assert other.stderr.strip() == "error: --format: unknown export format 'styles-csv' (known: fooocus)"


def test_list_names_an_unusable_file_and_still_lists_the_others(derived: Path) -> None:
    (derived / "presets" / "broken.toml").write_text("[preset\n", encoding="utf-8")
    done = cli(derived, "preset", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("best  pack")
    assert lines[1].startswith("broken  (unusable: preset file ")
    assert "is not valid TOML" in lines[1]

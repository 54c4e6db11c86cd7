"""The names other applications import; renaming one breaks them, so a test holds them in place."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "domain": ["LearningRecord", "RecordSink", "ImageBackend", "PipelineConfig", "PipelineRunResult"],
    "application": ["PipelineRunner", "PipelineController", "build_learning_record"],
    "adapters.record_store.jsonl": ["JsonlRecordStore"],
    "adapters.record_store.null": ["NullRecordSink"],
    "adapters.sinks.jsonl": ["JsonlRecordSink", "JsonlRecordStore"],  # the names before the store moved
    "adapters.sinks.null": ["NullRecordSink"],
    "adapters.backends.fake": ["FakeImageBackend"],
    "adapters.backends.a1111": ["A1111ImageBackend"],
    "adapters.container": ["build_container"],
    "adapters.settings": ["Settings"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_are_importable(module: str) -> None:
    loaded = importlib.import_module(module)
    missing = [name for name in PUBLIC[module] if not hasattr(loaded, name)]
    assert missing == []


def test_jsonl_sink_keeps_write_as_an_alias_and_exposes_its_path(tmp_path: object) -> None:
    from adapters.record_store.jsonl import JsonlRecordStore
    from adapters.sinks.jsonl import JsonlRecordSink

    assert JsonlRecordSink is JsonlRecordStore
    assert JsonlRecordStore.write is JsonlRecordStore.append_record
    assert JsonlRecordStore(f"{tmp_path}/r.jsonl").records_path.name == "r.jsonl"


@pytest.mark.parametrize("package", ["domain", "application"])
def test_every_name_a_package_lists_is_there_and_no_other(package: str) -> None:
    loaded = importlib.import_module(package)

    assert [name for name in loaded.__all__ if not hasattr(loaded, name)] == []
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = loaded.Nope


def test_importing_one_domain_module_builds_none_of_the_others() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, domain.timefmt, domain.ports; "
        "print(sorted(m for m in sys.modules if m.startswith('domain')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "['domain', 'domain.ports', 'domain.timefmt']"

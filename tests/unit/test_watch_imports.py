"""watch_imports: new files are imported once settled, changed ones again, until stopped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.importer.image_importer import MetadataImageImporter
from adapters.record_store.jsonl import JsonlRecordStore
from application.import_images import ImportImages
from application.watch_imports import watch_imports
from domain.import_plan import ImportPlan
from tests.importer.images import png_bytes, write

INFOTEXT = "a fox\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: {seed}, Size: 64x64"


def picture(path: Path, seed: int) -> Path:
    return write(path, png_bytes([("parameters", INFOTEXT.format(seed=seed), "tEXt")]))


def test_files_are_imported_once_settled_and_again_when_changed(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    picture(folder / "old.png", 1)
    store = JsonlRecordStore(tmp_path / "records.jsonl")
    plans: list[ImportPlan] = []
    steps: list[Callable[[], object]] = [
        lambda: None,  # 1st look saw old.png; 2nd look imports it
        lambda: picture(folder / "new.png", 2),
        lambda: None,  # new.png settled: imported
        lambda: (folder / "partial.png").write_bytes(b"\x89PNG\r\n\x1a\n"),  # still being written...
        lambda: picture(folder / "partial.png", 3),  # ...finished before the next look: waits again
        lambda: None,
        lambda: None,
    ]
    looks = iter(steps)
    done: list[bool] = []

    def sleep(_seconds: float) -> None:
        step = next(looks, None)
        if step is None:
            done.append(True)
        else:
            step()

    watch_imports(
        ImportImages(MetadataImageImporter(), store),
        [folder],
        recursive=False,
        on_plan=plans.append,
        sleep=sleep,
        stop=lambda: bool(done),
        interval=0,
    )
    imported = [[item.path.name for item in plan.imported] for plan in plans]
    assert imported == [["old.png"], ["new.png"], ["partial.png"]]
    assert [plan.problems for plan in plans] == [[], [], []]
    assert sorted(record.config["seed"] for record in store.iter_records()) == [1, 2, 3]


def test_a_file_already_in_the_history_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    picture(folder / "a.png", 1)
    store = JsonlRecordStore(tmp_path / "records.jsonl")
    use_case = ImportImages(MetadataImageImporter(), store)
    use_case([folder])
    plans: list[ImportPlan] = []
    calls = iter(range(3))
    watch_imports(
        use_case,
        [folder],
        recursive=False,
        on_plan=plans.append,
        sleep=lambda _s: None,
        stop=lambda: next(calls, None) is None,
        interval=0,
    )
    assert [(plan.records, [item.problem for item in plan.skipped]) for plan in plans] == [([], [False])]

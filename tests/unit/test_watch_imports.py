"""WatchImports: what is there first, then each batch the watcher reports, until it stops."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from adapters.importer.image_importer import MetadataImageImporter
from adapters.record_store.jsonl import JsonlRecordStore
from application.import_images import ImportImages
from application.watch_imports import WatchImports
from domain.import_plan import ImportPlan
from tests.importer.images import png_bytes, write

INFOTEXT = "a fox\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: {seed}, Size: 64x64"


def picture(path: Path, seed: int) -> Path:
    return write(path, png_bytes([("parameters", INFOTEXT.format(seed=seed), "tEXt")]))


class ScriptedWatcher:
    """Runs each step (writing files), then reports the files it names, as a batch."""

    def __init__(self, steps: list[Callable[[], set[Path]]]) -> None:
        self.steps = steps
        self.asked: list[tuple[list[Path], bool]] = []

    def changes(
        self, folders: Sequence[Path], *, recursive: bool, stop: Callable[[], bool]
    ) -> Iterator[set[Path]]:
        self.asked.append((list(folders), recursive))
        for step in self.steps:
            if stop():
                return
            yield step()


def watch(
    tmp_path: Path, watcher: ScriptedWatcher, paths: list[Path]
) -> tuple[list[ImportPlan], JsonlRecordStore]:
    store = JsonlRecordStore(tmp_path / "records.jsonl")
    plans: list[ImportPlan] = []
    WatchImports(ImportImages(MetadataImageImporter(), store), watcher)(
        paths, recursive=True, on_plan=plans.append
    )
    return plans, store


def test_what_is_there_first_then_each_reported_batch(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    picture(folder / "old.png", 1)
    watcher = ScriptedWatcher(
        [
            lambda: {picture(folder / "new.png", 2)},
            lambda: {picture(folder / "a.png", 3), picture(folder / "b.png", 4)},
        ]
    )

    plans, store = watch(tmp_path, watcher, [folder])

    assert [sorted(item.path.name for item in plan.imported) for plan in plans] == [
        ["old.png"],
        ["new.png"],
        ["a.png", "b.png"],
    ]
    assert sorted(record.config["seed"] for record in store.iter_records()) == [1, 2, 3, 4]
    assert watcher.asked == [([folder], True)]


def test_a_file_reported_again_with_the_same_bytes_is_skipped_as_known(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    same = picture(folder / "a.png", 1)
    watcher = ScriptedWatcher([lambda: {same}])

    plans, store = watch(tmp_path, watcher, [folder])

    assert [len(plan.imported) for plan in plans] == [1, 0]
    assert [item.known for item in plans[1].skipped] == [True]
    assert len(list(store.iter_records())) == 1


def test_only_folders_are_watched(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    single = picture(tmp_path / "one.png", 1)
    folder.mkdir()
    watcher = ScriptedWatcher([])

    plans, _store = watch(tmp_path, watcher, [single, folder])

    assert [item.path for item in plans[0].imported] == [single]
    assert watcher.asked == [([folder], True)]

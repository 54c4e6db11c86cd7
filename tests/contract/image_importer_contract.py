"""The ImageImporter contract. Subclass it, define ``make_importer`` and ``write_importable``
(an image file your importer reads, distinct per ``variant``), to check an importer of your own."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.ports import ImageImporter
from domain.record import SOURCE_IMPORT


class ImageImporterContract:
    def make_importer(self) -> ImageImporter:
        raise NotImplementedError

    def write_importable(self, path: Path, variant: int) -> Path:
        raise NotImplementedError

    @pytest.fixture
    def importer(self) -> ImageImporter:
        return self.make_importer()

    def test_find_takes_files_as_given_and_folders_sorted(
        self, importer: ImageImporter, tmp_path: Path
    ) -> None:
        single = self.write_importable(tmp_path / "single.png", 0)
        b = self.write_importable(tmp_path / "folder" / "b.png", 1)
        a = self.write_importable(tmp_path / "folder" / "a.png", 2)
        deep = self.write_importable(tmp_path / "folder" / "sub" / "c.png", 3)
        (tmp_path / "folder" / "notes.txt").write_text("not an image")
        assert importer.find([single, tmp_path / "folder"]) == [single, a, b]
        assert deep in importer.find([tmp_path / "folder"], recursive=True)

    def test_plan_reads_each_file_into_an_imported_record(
        self, importer: ImageImporter, tmp_path: Path
    ) -> None:
        files = [self.write_importable(tmp_path / f"{n}.png", n) for n in range(3)]
        plan = importer.plan(files, set())
        assert len(plan.records) == 3
        assert plan.skipped == []
        assert plan.notes == []  # nothing in a well-formed file is left out
        assert {record.source for record in plan.records} == {SOURCE_IMPORT}
        assert [record.outputs[0].path for record in plan.records] == [str(path) for path in files]
        assert len({record.run_id for record in plan.records}) == 3

    def test_known_and_repeated_images_are_skipped_without_a_problem(
        self, importer: ImageImporter, tmp_path: Path
    ) -> None:
        first = self.write_importable(tmp_path / "first.png", 0)
        again = tmp_path / "again.png"
        again.write_bytes(first.read_bytes())
        known = importer.plan([first], set()).records[0].outputs[0].sha256
        plan = importer.plan([first, again], {known})
        assert plan.records == []
        assert [(item.path, item.problem) for item in plan.skipped] == [(first, False), (again, False)]
        plan = importer.plan([first, again], set())
        assert len(plan.records) == 1
        assert [(item.path, item.problem) for item in plan.skipped] == [(again, False)]

    def test_files_that_cannot_be_imported_are_listed_never_raised(
        self, importer: ImageImporter, tmp_path: Path
    ) -> None:
        good = self.write_importable(tmp_path / "good.png", 0)
        text = tmp_path / "text.png"
        text.write_text("not an image at all")
        missing = tmp_path / "missing.png"
        folder = tmp_path / "folder.png"
        folder.mkdir()
        plan = importer.plan([text, missing, good, folder], set())
        assert len(plan.records) == 1
        assert [item.path for item in plan.problems] == [text, missing, folder]
        assert all(item.reason for item in plan.problems)

    def test_a_file_to_read_again_keeps_the_earlier_run_id(
        self, importer: ImageImporter, tmp_path: Path
    ) -> None:
        first = self.write_importable(tmp_path / "first.png", 0)
        (record,) = importer.plan([first], set()).records
        earlier = "0123456789abcdef" * 2
        plan = importer.plan([first], set(), reread={record.outputs[0].sha256: earlier})
        assert [item.run_id for item in plan.records] == [earlier]
        assert [(item.path, item.run_id, item.reparsed) for item in plan.imported] == [(first, earlier, True)]
        assert importer.parser_version >= 1

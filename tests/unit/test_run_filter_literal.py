"""``literal``: a text filter's pattern that matches one text itself."""

from __future__ import annotations

import pytest

from domain.images import BackendInfo
from domain.run_filter import RunFilter, literal
from domain.run_row import RunRow
from tests.factories import make_record


@pytest.mark.parametrize("name", ["sd [v2]*", "what?", "plain-model", "[*?]"])
def test_a_literal_pattern_matches_its_text_in_any_case_and_nothing_else(name: str) -> None:
    def row(model: str) -> RunRow:
        return RunRow.of(make_record(backend=BackendInfo("fake", model=model)))

    wanted = RunFilter(model=literal(name))
    assert wanted.matches(row(name))
    assert wanted.matches(row(name.upper()))
    for other in (f"{name}x", f"x{name}", name.replace("[", "").replace("*", "s"), "sd v2"):
        if other != name:
            assert not wanted.matches(row(other)), other

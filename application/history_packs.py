"""Which prompt packs the history holds, with how many runs and rated runs each."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from application.history import History


@dataclass(frozen=True, slots=True)
class PackCount:
    """One prompt pack (None: runs without one) and its runs; ``rated`` counts runs with a rating."""

    pack: str | None
    runs: int
    rated: int
    first: str
    last: str

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class ListPacks:
    """Every pack of the history by name (runs without a pack last); reads, never writes."""

    def __init__(self, history: History) -> None:
        self._history = history

    def __call__(self) -> list[PackCount]:
        runs: Counter[str | None] = Counter()
        rated: Counter[str | None] = Counter()
        first: dict[str | None, str] = {}
        last: dict[str | None, str] = {}
        for row in self._history.iter_rows():
            runs[row.pack] += 1
            rated[row.pack] += row.rating is not None
            first[row.pack] = min(first.get(row.pack, row.timestamp), row.timestamp)
            last[row.pack] = max(last.get(row.pack, row.timestamp), row.timestamp)
        order = sorted(runs, key=lambda pack: (pack is None, pack or ""))
        return [PackCount(pack, runs[pack], rated[pack], first[pack], last[pack]) for pack in order]

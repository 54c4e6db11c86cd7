"""What each MCP tool does, in plain Python (no SDK): parse, call one use case, return JSON values.

Every method returns a dict of plain JSON values and raises a ``StableNewError`` or ``ValueError``
(a one-line message for the assistant) for bad input. Write tools exist only when ``allow_write`` was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.container import Container
    from application.history import History
    from domain.ports import BadLineReport

MAX_RUNS = 200
"""The most runs one search returns."""


class HistoryTools:
    """The history's use cases, built by the container for each call (the index stays current)."""

    def __init__(self, container: Container, on_bad_line: BadLineReport) -> None:
        self._container = container
        self._on_bad_line = on_bad_line

    def _history(self) -> History:
        return self._container.history(index__on_bad_line=self._on_bad_line)

    def packs(self) -> dict[str, Any]:
        listed = self._container.list_packs(history__index__on_bad_line=self._on_bad_line)()
        return {"packs": [pack.to_dict() for pack in listed]}

    def summary(
        self, pack: str, model: str | None, max_chars: int | None, redact_prompts: bool
    ) -> dict[str, Any]:
        use_case = self._container.summarize_for_llm(
            history__index__on_bad_line=self._on_bad_line,
            insights__history__index__on_bad_line=self._on_bad_line,
        )
        answer = use_case(pack=pack, model=model, max_chars=max_chars, redact_prompts=redact_prompts)
        data: dict[str, Any] = answer.to_dict()
        return data

    def insights(
        self, pack: str | None, model: str | None, parameters: str | None, by_rater: bool
    ) -> dict[str, Any]:
        from domain.insights import parse_parameters

        use_case = self._container.derive_insights(history__index__on_bad_line=self._on_bad_line)
        report = use_case(pack=pack, model=model, parameters=parse_parameters(parameters), by_rater=by_rater)
        data: dict[str, Any] = report.to_dict()
        return data

    def search_runs(
        self, filters: dict[str, str | Sequence[str] | None], text: str | None, limit: int
    ) -> dict[str, Any]:
        from domain.run_filter import parse_filter

        if not 1 <= limit <= MAX_RUNS:
            raise ValueError(f"limit: give 1 to {MAX_RUNS}, not {limit}")
        run_filter = parse_filter(filters, datetime.now(UTC))
        rows = self._history().recent(limit, run_filter, text)
        return {"runs": [row.to_dict() for row in rows], "limit": limit}

    def run(self, run_id: str) -> dict[str, Any]:
        detail = self._history().detail(run_id)
        return {
            "record": detail.record.to_dict(),
            "feedback": detail.feedback.to_dict(),
            "images": [
                {**output.to_dict(), "exists": Path(output.path).is_file()}
                for output in detail.record.outputs
            ],
        }

    def presets(self) -> dict[str, Any]:
        from domain.preset import PresetError

        store = self._container.preset_store()
        found: list[dict[str, Any]] = []
        for name in store.names():
            try:
                preset = store.load(name)
            except PresetError as exc:
                found.append({"name": name, "error": str(exc)})
                continue
            found.append(
                {
                    "name": name,
                    "pack": preset.pack,
                    "model": preset.model or None,
                    "model_hash": preset.model_hash or None,
                    "stages": list(preset.stages),
                    "settings": dict(sorted(preset.settings.items())),
                    "evidence": {key: value.to_dict() for key, value in sorted(preset.evidence.items())},
                }
            )
        return {"presets": found}

    def rate(self, run_id: str, rating: int, tags: Sequence[str], note: str | None) -> dict[str, Any]:
        recorder = self._container.feedback_recorder(history=self._history())
        events = recorder.rate(run_id, rating, tags, note)
        return {"stored": [event.to_dict() for event in events]}

    def tag(self, run_id: str, add: Sequence[str], remove: Sequence[str]) -> dict[str, Any]:
        recorder = self._container.feedback_recorder(history=self._history())
        event = recorder.tag(run_id, add, remove)
        return {"stored": [event.to_dict()]}

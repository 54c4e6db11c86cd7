"""ReviewApi: what the review page asks for, as plain JSON values; no HTTP in here."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from adapters.review.files import SafeFiles
from adapters.review.insights_api import InsightsRequestError, MakePicture, insights_answer
from adapters.review.plan_api import BadPlanRequest, PlanApi
from adapters.review.thumbnails import Thumbnails
from application.feedback_recorder import FeedbackRecorder
from application.history import History
from application.insights_view import Example
from domain.feedback import FeedbackEvent
from domain.run_filter import FILTER_NAMES, parse_filter
from domain.run_row import RunRow
from domain.store_health import BadLine

MAX_LIMIT = 500
_KNOWN_RUNS = 2000


class BadRequest(ValueError):
    """The request itself is wrong (HTTP 400); the message says what."""


class ReviewApi:
    """Lists runs, shows one, stores feedback, and finds the image files a page may load.

    ``make_history`` builds a History whose bad lines go to the given callback (one per request,
    so each answer can carry its own warnings); ``recorder`` stores feedback through the port.
    """

    def __init__(
        self,
        make_history: Callable[[Callable[[str, BadLine], None]], History],
        recorder: Callable[[History], FeedbackRecorder],
        files: SafeFiles,
        thumbnails: Thumbnails | None = None,
        insights: MakePicture | None = None,
        plans: Callable[[], PlanApi] | None = None,
    ) -> None:
        self._make_history = make_history
        self._recorder = recorder
        self._files = files
        self._thumbnails = thumbnails
        self._insights = insights
        self._plans = plans
        self._outputs: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._finals: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def runs(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        warnings: list[str] = []
        history = self._history(warnings)
        limit = _limit(query.get("limit", ["60"])[-1])
        options = {name: values for name, values in query.items() if name in FILTER_NAMES}
        search = " ".join(query.get("search", [])) or None
        rows = history.recent(limit, parse_filter(options, datetime.now(UTC)), search)
        with self._lock:
            for row in rows:
                if row.image_path:
                    self._finals[row.run_id] = row.image_path
            while len(self._finals) > _KNOWN_RUNS:
                self._finals.popitem(last=False)
        return {"runs": [self._row(row) for row in rows], "warnings": warnings}

    def run(self, run_id: str) -> dict[str, Any]:
        warnings: list[str] = []
        detail = self._history(warnings).detail(run_id)
        record = detail.record
        self._remember(record.run_id, tuple(o.path for o in record.outputs))
        return {
            "run": self._row(detail.row),
            "record": record.to_dict(),
            "feedback": detail.feedback.to_dict(),
            "images": [
                {
                    "stage": o.stage,
                    "index": i,
                    "width": o.width,
                    "height": o.height,
                    "path": o.path,
                    "url": image_url(record.run_id, i),
                }
                for i, o in enumerate(record.outputs)
            ],
            "warnings": warnings,
        }

    def insights(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """The insights view's data (``pack`` and ``model`` filters); each example run's thumbnail URL."""
        if self._insights is None:
            raise BadRequest("this server does not show insights")
        warnings: list[str] = []
        history = self._history(warnings)
        try:
            return insights_answer(self._insights(history), query, self._thumb_url, warnings)
        except InsightsRequestError as exc:
            raise BadRequest(str(exc)) from None

    def _thumb_url(self, example: Example) -> str | None:
        if example.image_path is None or not self._files.serves(example.image_path):
            return None
        with self._lock:
            self._finals[example.run_id] = example.image_path
            while len(self._finals) > _KNOWN_RUNS:
                self._finals.popitem(last=False)
        return image_url(example.run_id, -1) + "?size=thumb"

    def feedback(self, body: Any) -> dict[str, Any]:
        """Store one piece of feedback: ``{"kind": "rating"|"tags"|"note"|"choice", ...}``."""
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        kind = body.get("kind")
        warnings: list[str] = []
        history = self._history(warnings)
        recorder = self._recorder(history)
        events: list[FeedbackEvent]
        if kind == "rating":
            events = recorder.rate(_text(body, "run_id"), _int(body, "rating"))
        elif kind == "tags":
            events = [recorder.tag(_text(body, "run_id"), _texts(body, "add"), _texts(body, "remove"))]
        elif kind == "note":
            events = [recorder.note(_text(body, "run_id"), _text(body, "note"))]
        elif kind == "choice":
            events = [recorder.choose(_text(body, "better"), _text(body, "worse"))]
        else:
            raise BadRequest("kind must be rating, tags, note or choice")
        touched = {events[0].run_id, *(e.worse_run_id for e in events if e.worse_run_id)}
        return {
            "events": [event.to_dict() for event in events],
            "feedback": {run: history.feedback(run).to_dict() for run in sorted(touched)},
        }

    def plans(self) -> dict[str, Any]:
        """The plans whose runs the records hold (newest first)."""
        return self._plan_api().plans()

    def plan(self, plan_id: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """One plan's grid along ``x`` and ``y`` (query), its race and suggested pairs; raises
        PlanError when no plan has that id."""
        try:
            return self._plan_api().plan(plan_id, query)
        except BadPlanRequest as exc:
            raise BadRequest(str(exc)) from None

    def _plan_api(self) -> PlanApi:
        if self._plans is None:
            raise BadRequest("this review server shows no plans")
        return self._plans()

    def image(self, run_id: str, index: int, *, thumbnail: bool = False) -> Path | None:
        """The file of output ``index`` (-1: the last) of ``run_id``, or its thumbnail; None if
        unknown; raises Refused if the stored path is outside the served folders."""
        found = self._image(run_id, index)
        if found is not None and thumbnail and self._thumbnails is not None:
            return self._thumbnails.of(found)
        return found

    def _image(self, run_id: str, index: int) -> Path | None:
        with self._lock:
            outputs = self._outputs.get(run_id)
            final = self._finals.get(run_id)
        if index == -1 and final is not None:
            return self._files.resolve(final)
        if outputs is None:
            record = self._history([]).resolve(run_id)
            if record.run_id != run_id:
                return None
            outputs = tuple(o.path for o in record.outputs)
            self._remember(run_id, outputs)
        if not -1 <= index < len(outputs) or not outputs:
            return None
        return self._files.resolve(outputs[index])

    def _row(self, row: RunRow) -> dict[str, Any]:
        served = row.image_path is not None and self._files.serves(row.image_path)
        return {
            **row.to_dict(),
            "image_url": image_url(row.run_id, -1) if served else None,
            "image_note": _outside_note(row.image_path) if row.image_path and not served else None,
        }

    def _history(self, warnings: list[str]) -> History:
        return self._make_history(
            lambda source, bad: warnings.append(f"{source} line {bad.line_number}: {bad.reason}")
        )

    def _remember(self, run_id: str, outputs: tuple[str, ...]) -> None:
        with self._lock:
            self._outputs[run_id] = outputs
            self._outputs.move_to_end(run_id)
            while len(self._outputs) > _KNOWN_RUNS:
                self._outputs.popitem(last=False)


def _outside_note(path: str) -> str:
    return f"image outside the served folders: add --serve-dir {Path(path).parent}"


def image_url(run_id: str, index: int) -> str:
    return f"/img/{quote(run_id, safe='')}/{index}"


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"limit must be a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise BadRequest(f"limit must be 1..{MAX_LIMIT}, got {value}")
    return value


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{key} must be non-empty text")
    return value


def _int(body: Mapping[str, Any], key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"{key} must be a whole number")
    return value


def _texts(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest(f"{key} must be a list of texts")
    return value

"""The /api/insights answer: the insights with example runs, their thumbnails as URLs of this server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from application.history import History
from application.insights_view import Example, PictureInsights
from domain.insights import InsightsError

FILTERS = ("pack", "model")


class InsightsRequestError(ValueError):
    """The request names a pack or model the history does not hold, or an unknown query key."""


def insights_answer(
    picture: PictureInsights,
    query: Mapping[str, list[str]],
    thumb_url: Callable[[Example], str | None],
    warnings: list[str],
) -> dict[str, Any]:
    """The JSON of the insights view; "nothing to compare" is an answer (``message``), not an error."""
    unknown = sorted(set(query) - set(FILTERS))
    if unknown:
        raise InsightsRequestError(f"unknown query key {unknown[0]!r}; expected pack or model")
    chosen = {name: (query.get(name) or [""])[-1].strip() or None for name in FILTERS}
    try:
        shown = picture(pack=chosen["pack"], model=chosen["model"])
    except InsightsError as exc:
        if exc.usage:
            raise InsightsRequestError(str(exc)) from None
        packs, models = picture.choices()
        return {
            "insights": [],
            "orphan_ratings": 0,
            "packs": list(packs),
            "models": list(models),
            "message": str(exc),
            "filters": chosen,
            "warnings": warnings,
        }
    data = shown.to_dict(lambda example: {"thumb_url": thumb_url(example)})
    return {**data, "message": None, "filters": chosen, "warnings": warnings}


MakePicture = Callable[[History], PictureInsights]

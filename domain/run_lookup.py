"""Finding a run by its id or an id prefix, and the errors when there is no such run or several."""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import StableNewError

MIN_PREFIX = 4
"""A prefix shorter than this never matches (an exact id of any length does)."""


class RunNotFound(StableNewError, LookupError):
    """No run of the history has this id (or id prefix)."""


class AmbiguousRunId(StableNewError, LookupError):
    """Several runs start with this prefix; ``candidates`` holds some of them."""

    def __init__(self, prefix: str, candidates: tuple[str, ...]) -> None:
        shown = ", ".join(candidates[:5])
        super().__init__(f"run id prefix {prefix!r} matches several runs ({shown}); give more characters")
        self.candidates = candidates


def wanted_run_id(text: str) -> str:
    """``text`` without surrounding space; an empty id raises RunNotFound."""
    wanted = text.strip()
    if not wanted:
        raise RunNotFound("a run id must not be empty")
    return wanted


def pick_run_id(wanted: str, run_ids: Iterable[str]) -> str:
    """``wanted`` if it is one of ``run_ids``, else the only id starting with it.

    An exact id ends the scan. Raises AmbiguousRunId when several ids start with ``wanted``, or
    RunNotFound (with a hint when ``wanted`` is shorter than MIN_PREFIX).
    """
    matches: list[str] = []
    for run_id in run_ids:
        if run_id == wanted:
            return run_id
        if len(wanted) >= MIN_PREFIX and run_id.startswith(wanted) and run_id not in matches:
            matches.append(run_id)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousRunId(wanted, tuple(matches))
    raise not_found(wanted)


def not_found(wanted: str) -> RunNotFound:
    hint = "" if len(wanted) >= MIN_PREFIX else f" (prefixes need at least {MIN_PREFIX} characters)"
    return RunNotFound(f"no run with id {wanted!r} in the history{hint}")

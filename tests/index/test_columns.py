"""The index's fast reading of a record and its full-text words agree with the domain's definitions."""

from __future__ import annotations

import copy
import sqlite3
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.index.columns import record_columns, row_columns
from adapters.index.schema import TEXT_OPTIONS
from adapters.index.words import fts_query, searchable
from bench.index_bench import record as compact_record
from domain.errors import UnsupportedSchemaVersion
from domain.record import NOT_A_RECORD, LearningRecord
from domain.run_row import RunRow
from domain.run_search import Search, words
from tests.factories import make_record
from tests.review.history_data import generate

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
)
TEXTS = st.text(max_size=8) | st.sampled_from(["succeeded", "2026-11-24T09:00:00Z", "txt2img", "", "x"])
JSON = st.recursive(
    SCALARS | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


FTS_TABLE = f"CREATE VIRTUAL TABLE t USING fts5({TEXT_OPTIONS})"


def samples() -> list[dict[str, Any]]:
    import random

    _specs, records, _events = generate(6, seed=11)
    return [
        make_record("sample01").to_dict(),
        compact_record(5, random.Random(5)),
        *[record.to_dict() for record in records],
    ]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a payload, to damage one of them."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def damaged(data: st.DataObject) -> dict[str, Any]:
    """A sample record with one to three of its fields deleted or replaced by any JSON value."""
    payload = copy.deepcopy(data.draw(st.sampled_from(samples())))
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(paths(payload)))
        parent = payload
        for key in where[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[where[-1]]
        else:
            parent[where[-1]] = data.draw(JSON)
        if not paths(payload):
            break
    return payload


def reference(payload: dict[str, Any]) -> Any:
    """What the index must store: LearningRecord.from_dict, then RunRow.of, or the same error."""
    try:
        return row_columns(RunRow.of(LearningRecord.from_dict(copy.deepcopy(payload))))
    except UnsupportedSchemaVersion as exc:
        return ("newer", str(exc))
    except (*NOT_A_RECORD, OverflowError) as exc:
        return ("bad", type(exc), str(exc))


def indexed(payload: dict[str, Any]) -> Any:
    try:
        return record_columns(copy.deepcopy(payload))
    except UnsupportedSchemaVersion as exc:
        return ("newer", str(exc))
    except (*NOT_A_RECORD, OverflowError) as exc:
        return ("bad", type(exc), str(exc))


@pytest.mark.parametrize("payload", samples(), ids=lambda payload: payload["run_id"][:8])
def test_records_as_written_take_the_fast_path_to_the_same_columns(payload: dict[str, Any]) -> None:
    assert indexed(payload) == reference(payload)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damaged_record_is_judged_and_read_as_the_domain_does(data: st.DataObject) -> None:
    payload = damaged(data)
    assert indexed(payload) == reference(payload)


DAMAGES: list[tuple[tuple[Any, ...], Any]] = [
    (("schema_version",), True),
    (("schema_version",), 2),
    (("schema_version",), "1"),
    (("run_id",), ""),
    (("timestamp",), 5),
    (("status",), None),
    (("source",), None),
    (("stages_executed",), "txt2img"),
    (("stages_executed",), ["txt2img", 5]),
    (("stage_plan",), None),
    (("config",), [["prompt", "a pair list"]]),
    (("config", "steps"), "30"),
    (("config", "cfg_scale"), "7.5"),
    (("config", "width"), 512.9),
    (("config", "prompt"), {"nested": True}),
    (("stage_events", 0, "status"), "exploded"),
    (("stage_events", 0, "status"), ["succeeded"]),
    (("stage_events", 0, "started_at"), "yesterday"),
    (("stage_events", 0, "started_at"), 5),
    (("stage_events", 0, "image_count"), "1"),
    (("stage_events", 0, "image_count"), True),
    (("stage_events", 0, "duration_ms"), "slow"),
    (("stage_events", 0), "not an event"),
    (("outputs", 0, "index"), "0"),
    (("outputs", 0, "seed"), "7"),
    (("outputs", 0, "path"), 5),
    (("outputs", 0, "sha256"), None),
    (("metrics", "total_duration_ms"), "100"),
    (("metrics", "image_count"), 1.5),
    (("metrics",), [1, 2]),
    (("backend",), ["fake"]),
    (("backend", "model"), 5),
    (("backend", "model_hash"), 2**64 - 1),
    (("resolved",), [["txt2img", {}]]),
    (("resolved", "txt2img"), [["seed", 1]]),
    (("resolved", "txt2img", "seed"), 2**64 - 1),
    (("resolved", "txt2img", "steps"), 1e300),
    (("metadata",), [["a", 1]]),
    (("metadata",), "x"),
    (("prompt_pack_id",), ["a"]),
    (("variant_index",), False),
]


@pytest.mark.parametrize(("where", "value"), DAMAGES, ids=str)
def test_each_known_damage_is_judged_and_read_as_the_domain_does(where: tuple[Any, ...], value: Any) -> None:
    for sample in samples():
        payload = copy.deepcopy(sample)
        parent = payload
        try:
            for key in where[:-1]:
                parent = parent[key]
            parent[where[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
        assert indexed(payload) == reference(payload)


def test_every_ascii_character_splits_words_as_the_search_definition_does() -> None:
    db = sqlite3.connect(":memory:")
    db.execute(FTS_TABLE)
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    for code in range(128):
        text = f"Ab{chr(code)}cD 9{chr(code)}z"
        db.execute("INSERT INTO t (t) VALUES ('delete-all')")
        db.execute("INSERT INTO t (rowid, words) VALUES (1, ?)", (searchable(text, ""),))
        assert {row[0] for row in db.execute("SELECT term FROM v")} == set(words(text)), repr(chr(code))


@pytest.mark.parametrize(
    ("prompt", "text", "found"),
    [
        ("東京の夜", "東京の夜", True),
        ("東京の夜", "東*", True),
        ("東京の夜", "京", False),
        ("Straße", "strasse", True),
        ("ﬁne art", "fine", True),
        ("crème brûlée", "creme brulee", True),
        ("crème", "crème*", True),
        ("u00e8me", "ème", False),  # looks like the encoded form, is not the word
    ],
)
def test_non_ascii_words_are_found_through_their_encoded_form(prompt: str, text: str, found: bool) -> None:
    db = sqlite3.connect(":memory:")
    db.execute(FTS_TABLE)
    db.execute("INSERT INTO t (rowid, words) VALUES (1, ?)", (searchable(prompt, ""),))
    search = Search.parse(text)
    candidate = db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (fts_query(search),)).fetchone()[0] == 1
    assert search.matches(prompt, "") is found
    assert candidate or not found  # SQLite finds every match (and may find more: the row is checked)

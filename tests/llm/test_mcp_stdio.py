"""``stablenew mcp`` over real stdio: the SDK's own client starts the command and calls its tools."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from adapters.feedback.jsonl import JsonlFeedbackStore
from tests.insights.test_cli_insights import write_home
from tests.integration.cli import run_cli

READ_TOOLS = {"packs", "summary", "insights", "search_runs", "run", "presets"}
TIMEOUT = 180  # seconds for one whole session: generous for a loaded machine

Conversation = Callable[[ClientSession], Awaitable[Any]]


def talk(home: Path, conversation: Conversation, *flags: str) -> Any:
    """Start ``stablenew mcp`` in ``home`` and hold ``conversation`` with it over its stdin/stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
    env["STABLENEW_SETTINGS"] = str(home / "settings.toml")
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "adapters.cli", "mcp", *flags], cwd=home, env=env
    )

    async def session() -> Any:
        with anyio.fail_after(TIMEOUT):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
                await client.initialize()
                return await conversation(client)

    return anyio.run(session)


async def call(client: ClientSession, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)  # type: ignore[union-attr]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return write_home(tmp_path / "home")


def test_read_only_tools_answer_and_write_tools_are_absent(home: Path) -> None:
    files = sorted((home / "records").glob("*.jsonl"))
    before = [path.read_bytes() for path in files]

    async def conversation(client: ClientSession) -> dict[str, Any]:
        tools = await client.list_tools()
        refused = await client.call_tool("search_runs", {"steps": "lots"})
        unknown_pack = await client.call_tool("summary", {"pack": "nope"})
        rate = await client.call_tool("rate_run", {"run_id": "0", "rating": 5})
        no_run = await client.call_tool("run", {"run_id": "zzzz"})
        return {
            "tools": {tool.name: tool for tool in tools.tools},
            "packs": await call(client, "packs"),
            "search": await call(client, "search_runs", pack="portraits", steps="30..", sampler="Euler*"),
            "insights": await call(client, "insights", pack="portraits", parameters="steps"),
            "summary": await call(client, "summary", pack="portraits", max_chars=3000),
            "refused": refused,
            "unknown_pack": unknown_pack,
            "rate": rate,
            "no_run": no_run,
            "presets": await call(client, "presets"),
        }

    got = talk(home, conversation)

    assert set(got["tools"]) == READ_TOOLS
    assert all(tool.annotations.read_only_hint for tool in got["tools"].values())
    assert [pack["pack"] for pack in got["packs"]["packs"]] == ["landscapes", "portraits"]
    runs = got["search"]["runs"]
    assert runs
    assert all(r["pack"] == "portraits" and r["steps"] >= 30 and r["sampler"] == "Euler a" for r in runs)
    (insight, *_) = got["insights"]["insights"]
    assert [p["parameter"] for p in insight["parameters"]] == ["steps"]
    assert len(json.dumps(got["summary"], separators=(",", ":"))) <= 3000
    assert got["refused"].is_error
    assert "--steps: 'lots' is not a number" in got["refused"].content[0].text
    assert "no runs in pack 'nope'" in got["unknown_pack"].content[0].text
    assert got["rate"].is_error  # no such tool without --allow-write
    assert got["no_run"].is_error
    assert "zzzz" in got["no_run"].content[0].text
    assert got["presets"] == {"presets": []}
    assert [path.read_bytes() for path in files] == before  # reading stored nothing


def test_with_allow_write_a_rating_and_tags_land_in_the_feedback_store(home: Path) -> None:
    feedback = home / "records" / "feedback.jsonl"
    before = len(list(JsonlFeedbackStore(feedback, durability="none").iter_events()))

    async def conversation(client: ClientSession) -> dict[str, Any]:
        tools = await client.list_tools()
        (run, *_) = (await call(client, "search_runs", pack="landscapes", limit=1))["runs"]
        rated = await call(client, "rate_run", run_id=run["run_id"][:8], rating=4, tags=["keeper"])
        tagged = await call(client, "tag_run", run_id=run["run_id"], add=["sky"], remove=["keeper"])
        bad = await client.call_tool("rate_run", {"run_id": run["run_id"], "rating": 9})
        shown = await call(client, "run", run_id=run["run_id"])
        return {
            "tools": {t.name for t in tools.tools},
            "run": run,
            "rated": rated,
            "tagged": tagged,
            "bad": bad,
            "shown": shown,
        }

    got = talk(home, conversation, "--allow-write")

    assert got["tools"] == READ_TOOLS | {"rate_run", "tag_run"}
    assert got["bad"].is_error
    events = list(JsonlFeedbackStore(feedback, durability="none").iter_events())
    added = events[before:]
    assert [(e.kind, e.run_id, e.rating) for e in added[:1]] == [("rating", got["run"]["run_id"], 4)]
    assert [e.kind for e in added] == ["rating", "tags", "tags"]
    assert added[0].by.name == "tester"  # the configured feedback user
    assert got["shown"]["feedback"]["rating"] == 4
    assert got["shown"]["feedback"]["tags"] == ["sky"]


def test_without_the_sdk_it_says_how_to_install_it_in_one_line(home: Path) -> None:
    blocked = "import sys; sys.modules['mcp'] = None; from adapters.cli import main; main(['mcp'])"
    done = subprocess.run(
        [sys.executable, "-c", blocked],
        cwd=home,
        env={**os.environ, "STABLENEW_SETTINGS": str(home / "settings.toml")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: `stablenew mcp` needs the MCP Python SDK, an optional extra: install it with "
        "`uv sync --extra mcp` (or `pip install 'stablenew[mcp]'`)"
    ]


def test_a_missing_history_is_one_line_before_serving(tmp_path: Path) -> None:
    done = run_cli("mcp", "--records", "none.jsonl", cwd=tmp_path, stdin="")
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("error: records file ")


def test_a_feedback_path_that_is_a_folder_is_one_line_before_serving(tmp_path: Path) -> None:
    (tmp_path / "records.jsonl").write_text("", encoding="utf-8")
    done = run_cli("mcp", "--records", "records.jsonl", "--feedback", "", cwd=tmp_path, stdin="")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"error: {tmp_path} is a directory, not a feedback file"]

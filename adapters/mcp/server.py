"""The MCP server: each tool of ``HistoryTools`` registered with the SDK, over stdio.

Read-only tools always; ``rate_run`` and ``tag_run`` only with ``allow_write``. A bad request
comes back as a tool error with one line (never a traceback); nothing is written by a read tool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations

from adapters.mcp.tools import HistoryTools
from domain.errors import StableNewError

INSTRUCTIONS = (
    "The learning history of StableNew, a Stable Diffusion pipeline: runs (settings, prompts, stage "
    "timings), their ratings (1-5), tags and pairwise choices. Start with `packs`, then `summary` for a "
    "pack: it says which setting values were rated better, how sure that is, and which comparisons "
    "need more ratings. `search_runs` takes the same filters as `stablenew records list`."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)


def answer(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The tool's result, or a ToolError carrying the one-line message of a refused request."""
    try:
        return call()
    except (StableNewError, ValueError) as exc:
        raise ToolError(" ".join(str(exc).split())) from None
    except OSError as exc:  # a history file that cannot be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        raise ToolError(f"{where}{exc.strerror or exc}") from None


def build_server(tools: HistoryTools, *, allow_write: bool) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("stablenew", instructions=INSTRUCTIONS, log_level="WARNING")

    def packs() -> dict[str, Any]:
        """Every prompt pack of the history with its number of runs and rated runs."""
        return answer(tools.packs)

    def summary(
        pack: str, model: str | None = None, max_chars: int | None = None, redact_prompts: bool = False
    ) -> dict[str, Any]:
        """The compact summary of one pack (docs/llm.md): coverage, baseline, effects with verdicts,
        pairwise scores, presets, open questions, stage timings, best and worst runs."""
        return answer(lambda: tools.summary(pack, model, max_chars, redact_prompts))

    def insights(
        pack: str | None = None,
        model: str | None = None,
        parameters: str | None = None,
        by_rater: bool = False,
    ) -> dict[str, Any]:
        """Each value of model, sampler, scheduler, steps, cfg and size: its ratings' mean with a 95%
        interval, distance to the best value and a verdict. ``parameters``: e.g. "sampler,steps"."""
        return answer(lambda: tools.insights(pack, model, parameters, by_rater))

    def search_runs(
        pack: str | None = None,
        prompt_id: str | None = None,
        model: str | None = None,
        sampler: str | None = None,
        scheduler: str | None = None,
        stage: str | None = None,
        status: str | None = None,
        source: str | None = None,
        steps: str | None = None,
        cfg: str | None = None,
        rating: str | None = None,
        tag: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        text: str | None = None,
        limit: int = 20,
    ) -> dict[str, Any]:
        """Runs newest first, filtered as `stablenew records list`: globs for names ('sdxl*'),
        ranges for steps, cfg and rating ('30..', '20..40', '>=4', 'none'), tags all required,
        since/until as a date or an age ('7d'); text: words the prompt must contain; at most 200 runs."""
        filters: dict[str, Any] = {
            "pack": pack,
            "prompt_id": prompt_id,
            "model": model,
            "sampler": sampler,
            "scheduler": scheduler,
            "stage": stage,
            "status": status,
            "source": source,
            "steps": steps,
            "cfg": cfg,
            "rating": rating,
            "tag": tag,
            "since": since,
            "until": until,
        }
        return answer(lambda: tools.search_runs(filters, text, limit))

    def run(run_id: str) -> dict[str, Any]:
        """One run (id or unique prefix): its whole record, its feedback and its images."""
        return answer(lambda: tools.run(run_id))

    def presets() -> dict[str, Any]:
        """The presets derived from ratings: pack, model, the settings they set and their evidence."""
        return answer(tools.presets)

    for function in (packs, summary, insights, search_runs, run, presets):
        server.add_tool(function, annotations=READ_ONLY)

    if allow_write:

        def rate_run(
            run_id: str, rating: int, tags: list[str] | None = None, note: str | None = None
        ) -> dict[str, Any]:
            """Rate a run 1 (worst) to 5 (best), as the configured feedback user; optional tags and note."""
            return answer(lambda: tools.rate(run_id, rating, tags or (), note))

        def tag_run(
            run_id: str, add: list[str] | None = None, remove: list[str] | None = None
        ) -> dict[str, Any]:
            """Add tags to a run and/or remove tags from it."""
            return answer(lambda: tools.tag(run_id, add or (), remove or ()))

        server.add_tool(rate_run, annotations=WRITES)
        server.add_tool(tag_run, annotations=WRITES)
    return server


def serve(tools: HistoryTools, *, allow_write: bool) -> None:
    """Serve over stdin/stdout until the client closes them."""
    build_server(tools, allow_write=allow_write).run("stdio")

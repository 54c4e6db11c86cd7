"""``stablenew insights``: which setting values gave better-rated images, and how sure that is.

Exit codes: 0 a report was printed; 1 nothing to compare (no ratings, one value of every
parameter) or a file could not be read; 2 a bad request (unknown pack, model or parameter).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.common import EXIT_FAILED, EXIT_USAGE, SettingsOption, exit_with, stderr, stdout
from adapters.cli.history_session import FeedbackOption, JsonOption, RecordsOption, open_session

if TYPE_CHECKING:
    from rich.table import Table

    from adapters.cli.history_session import Session
    from domain.insights import Insights, InsightsReport, ParameterInsight, ValueEvidence
    from domain.pairwise import PairwiseFit


def register(app: typer.Typer) -> None:
    app.command("insights")(insights)


def insights(
    pack: Annotated[str | None, typer.Option("--pack", help="Only this prompt pack (glob).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Only runs of this model (glob).")] = None,
    param: Annotated[
        str | None,
        typer.Option("--param", help="Parameters to compare, e.g. sampler,steps (default: all)."),
    ] = None,
    by_rater: Annotated[
        bool, typer.Option("--by-rater", help="Each person apart, not all together.")
    ] = False,
    per_model: Annotated[bool, typer.Option("--per-model", help="One scope per model hash.")] = False,
    json_output: JsonOption = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write the insights view as one self-contained HTML file."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --html replace an existing file.")] = False,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Per pack and stage list, each value of model, sampler, scheduler, steps, cfg, size, denoising
    (strength), upscaler and preset: its ratings' mean and 4-5 share with 95% intervals, its distance
    to the best value, its failure rate and a verdict, and the Bradley-Terry scores of pairwise
    choices (docs/insights.md). Persons and each scorer version are counted apart.

    Exit codes: 0 report; 1 nothing to compare or unreadable files; 2 unknown pack, model or
    parameter, or an --html file that exists (without --force).
    """
    from domain.insights import InsightsError, parse_parameters

    if html is not None:
        if json_output:
            exit_with("--html and --json: give one of them", EXIT_USAGE)
        _refuse_to_overwrite(html, force)
    with open_session(settings, records, feedback) as session:
        if html is not None:
            try:
                _write_html(session, html, pack, model, parse_parameters(param), by_rater, per_model)
            except InsightsError as exc:
                exit_with(str(exc), EXIT_USAGE if exc.usage else EXIT_FAILED)
            return
        try:
            report = session.insights()(
                pack=pack,
                model=model,
                parameters=parse_parameters(param),
                by_rater=by_rater,
                per_model=per_model,
            )
        except InsightsError as exc:
            exit_with(str(exc), EXIT_USAGE if exc.usage else EXIT_FAILED)
        if report.orphan_ratings:
            stderr.print(
                f"note: left out {report.orphan_ratings} rating(s) of runs the records no longer hold"
            )
        if json_output:
            _print_json(report)
        else:
            _print_tables(report)


def _refuse_to_overwrite(path: Path, force: bool) -> None:
    if path.is_dir():
        exit_with(f"--html: {path} is a folder; give a file name such as {path / 'report.html'}", EXIT_USAGE)
    if path.exists() and not force:
        exit_with(f"--html: {path} exists; add --force to replace it", EXIT_USAGE)
    if not path.parent.is_dir():
        exit_with(f"--html: no folder {path.parent} to write {path.name} in", EXIT_USAGE)


def _write_html(
    session: Session,
    path: Path,
    pack: str | None,
    model: str | None,
    parameters: tuple[str, ...],
    by_rater: bool,
    per_model: bool,
) -> None:
    from rich.text import Text

    from adapters.review.report import InlineThumbnails, render_report, write_report

    picture = session.picture_insights()(
        pack=pack, model=model, parameters=parameters, by_rater=by_rater, per_model=per_model
    )
    text = render_report(picture, InlineThumbnails(Path.cwd()), {"pack": pack, "model": model})
    try:
        write_report(path, text)
    except OSError as exc:
        exit_with(f"--html: cannot write {path}: {exc.strerror or exc}", EXIT_FAILED)
    if picture.report.orphan_ratings:
        stderr.print(
            f"note: left out {picture.report.orphan_ratings} rating(s) of runs the records no longer hold"
        )
    stdout.print(Text(f"wrote {path} ({len(text.encode('utf-8')) // 1024} KB)"))


def _print_json(report: InsightsReport) -> None:
    import orjson

    text = orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    sys.stdout.write(text.decode("utf-8") + "\n")


def _print_tables(report: InsightsReport) -> None:
    for number, insight in enumerate(report.insights):
        if number:
            stdout.print("")
        stdout.print(_heading(insight))
        for parameter in insight.parameters:
            stdout.print(f"{parameter.parameter} ({parameter.evidence})")
            stdout.print(_table(parameter))
            for value in parameter.values:
                if value.confounded_with:
                    stdout.print(f"  {value.value}: only with {', '.join(value.confounded_with)}")
        if insight.single_valued:
            stdout.print(f"one value only: {', '.join(insight.single_valued)}")
        for fit in insight.pairwise:
            stdout.print(f"{fit.parameter}: pairwise choices (Bradley-Terry score, 95% bootstrap)")
            stdout.print(_pairwise_table(fit))
            if fit.groups > 1:
                stdout.print(
                    f"  {fit.groups} groups never compared with each other: rank only within a group"
                )
    stdout.print("")
    stdout.print("more data (~N): about N more ratings of each compared value would settle it.")


def _heading(insight: Insights) -> str:
    scope = insight.scope
    model = f"model {scope.model_hash}" if scope.model_hash else "mixed models"
    return (
        f"== pack {scope.pack or '(none)'} | stages {','.join(scope.stages) or '-'} | {model}\n"
        f"   rated by {insight.rater}: {insight.rated_runs} of {insight.runs} runs"
    )


def _table(parameter: ParameterInsight) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("value", no_wrap=True, overflow="ellipsis", max_width=18)
    for name in ("n", "mean (95%)", "4-5 (95%)", "vs best", "fail", "verdict"):
        table.add_column(name, no_wrap=True, justify="right" if name == "n" else "left")
    for value in parameter.values:
        cells = (
            value.value,
            str(value.ratings),
            _interval(value.mean, value.mean_low, value.mean_high, "{:.1f}"),
            _share(value),
            _difference(value),
            f"{value.failures}/{value.runs}",
            _verdict(value),
        )
        table.add_row(*(Text(cell) for cell in cells))  # stored text is never read as markup
    return table


def _pairwise_table(fit: PairwiseFit) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("value", no_wrap=True, overflow="ellipsis", max_width=18)
    for name in ("score (95%)", "won", "lost", "group"):
        table.add_column(name, no_wrap=True, justify="left" if name == "score (95%)" else "right")
    for score in fit.scores:
        cells = (
            score.value,
            f"{score.score:+.2f} ({score.low:+.2f} to {score.high:+.2f})",
            str(score.wins),
            str(score.losses),
            str(score.group),
        )
        table.add_row(*(Text(cell) for cell in cells))  # stored text is never read as markup
    return table


def _interval(centre: float | None, low: float | None, high: float | None, form: str) -> str:
    if centre is None or low is None or high is None:
        return "-"
    return f"{form.format(centre)} ({form.format(low)}-{form.format(high)})"


def _share(value: ValueEvidence) -> str:
    if value.top_share is None or value.top_low is None or value.top_high is None:
        return "-"
    return f"{value.top_share:.0%} ({100 * value.top_low:.0f}-{100 * value.top_high:.0f})"


def _difference(value: ValueEvidence) -> str:
    if value.diff_to_best is None or value.diff_high is None:
        return "-"
    return f"{value.diff_to_best:+.2f}±{value.diff_high - value.diff_to_best:.2f}"


def _verdict(value: ValueEvidence) -> str:
    if value.verdict == "best":
        return "best"
    if value.verdict == "worse":
        return "worse"
    if value.verdict == "indistinguishable":
        return "~ best"
    return f"more data (~{value.more_ratings_needed})" if value.more_ratings_needed else "more data"

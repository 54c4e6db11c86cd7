"""``stablenew review``: the local review page (a grid of recent runs to rate, tag and compare)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.common import EXIT_FAILED, EXIT_USAGE, SettingsOption, exit_with, stderr, stdout
from adapters.cli.history_session import FeedbackOption, RecordsOption, open_session

if TYPE_CHECKING:
    from application.history import History
    from application.insights_view import PictureInsights
    from domain.ports import BadLineReport


def register(app: typer.Typer) -> None:
    app.command("review")(review)


def review(
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback keeps it on this machine).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0 picks a free one).")] = 8765,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser.")] = False,
    serve_dir: Annotated[
        list[Path] | None,
        typer.Option("--serve-dir", help="Also serve images from this folder (e.g. imported PNGs)."),
    ] = None,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Serve the review page: rate (1-5), tag and compare recent runs; Ctrl-C stops it."""
    from adapters.review.api import ReviewApi, image_url
    from adapters.review.files import SafeFiles
    from adapters.review.plan_api import PlanApi
    from adapters.review.server import ReviewServer  # here, so no other command loads the web server
    from adapters.review.thumbnails import Thumbnails

    for folder in serve_dir or []:
        if not folder.is_dir():
            missing = "is not a folder" if folder.exists() else "does not exist"
            exit_with(f"--serve-dir {folder} {missing}", EXIT_USAGE)
    with open_session(settings, records, feedback, require_records=True) as session:
        roots = [Path(session.settings.output.dir), session.records_path.parent, *(serve_dir or [])]
        container = session.container
        author = container.author()

        def make_history(report: BadLineReport) -> History:
            return container.history(index__on_bad_line=report)

        thumbnails = Thumbnails(session.records_path.parent / ".thumbnails")
        session.opened.add("feedback")  # the insights view reads the ratings (through the index)
        defaults = session.settings.pipeline.model_dump()

        def insights(history: History) -> PictureInsights:
            return container.picture_insights(history=history)

        def plans() -> PlanApi:
            return PlanApi(container.plan_views(), defaults, image_url)

        api = ReviewApi(make_history, session.recorder, SafeFiles(roots), thumbnails, insights, plans)
        try:
            server = ReviewServer(api, host, port)
        except OSError as exc:
            exit_with(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_FAILED)
        if not _is_loopback(host):
            stderr.print(
                f"warning: listening on {host}: anyone who can reach this machine can see and rate your runs",
            )
        stdout.print(f"review page: {server.url}  (feedback as {author}; Ctrl-C stops)")
        if not no_browser:
            import webbrowser

            webbrowser.open(server.url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            stdout.print("stopped")
        finally:
            server.stop_listening()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

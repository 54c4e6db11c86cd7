"""A review server over a small history whose images really exist, started on a free loopback port."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.index.sqlite_index import SqliteRunIndex
from adapters.record_store.jsonl import JsonlRecordStore
from adapters.review.api import ReviewApi
from adapters.review.files import SafeFiles
from adapters.review.limits import ServerLimits
from adapters.review.server import ReviewServer
from adapters.review.thumbnails import Thumbnails
from application.feedback_recorder import FeedbackRecorder
from application.history import History
from application.insights_view import PictureInsights
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.ports import BadLineReport
from tests.fakes import FakeClock
from tests.review.history_data import Spec, build_record, generate

COLOURS = ("#2b6f8f", "#c2571a", "#5b8c3a", "#8a3d8f", "#c9a227", "#3a4f8c", "#a83248", "#2f8f7a")


@dataclass
class ReviewHome:
    folder: Path
    output: Path
    specs: list[Spec]
    records: JsonlRecordStore
    feedback: JsonlFeedbackStore
    server: ReviewServer

    @property
    def feedback_path(self) -> Path:
        return self.feedback.path


def draw(path: Path, n: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (256, 256), COLOURS[n % len(COLOURS)])
    pen = ImageDraw.Draw(image)
    for ring in range(5):
        size = 30 + ring * 22 + (n * 7) % 20
        pen.ellipse(
            (128 - size, 128 - size, 128 + size, 128 + size),
            outline=COLOURS[(n + ring + 3) % len(COLOURS)],
            width=6,
        )
    image.save(path)


def start_review(
    folder: Path,
    count: int = 12,
    limits: ServerLimits | None = None,
    *,
    specs: list[Spec] | None = None,
    events: Sequence[FeedbackEvent] = (),
) -> ReviewHome:
    """The server over ``specs`` (default: ``count`` generated runs) and the feedback ``events``."""
    output = folder / "output"
    if specs is None:
        specs, _, _ = generate(count, seed=3)
    records = JsonlRecordStore(folder / "records" / "learning_records.jsonl", durability="none")
    records.append_records(build_record(spec, str(output)) for spec in specs)
    for n, spec in enumerate(specs):
        draw(output / spec.run_id / "txt2img_0.png", n)
        if spec.upscaled:
            draw(output / spec.run_id / "upscale_0.png", n)
    feedback = JsonlFeedbackStore(folder / "records" / "feedback.jsonl")
    if events:
        feedback.append(events)
    author, clock = FeedbackAuthor.person("tester"), FakeClock()

    def make_history(report: BadLineReport) -> History:
        return History(SqliteRunIndex(records.records_path, feedback.path, on_bad_line=report))

    def recorder(history: History) -> FeedbackRecorder:
        return FeedbackRecorder(history, feedback, author, clock)

    files = SafeFiles([output, records.records_path.parent], base=folder)

    def insights(history: History) -> PictureInsights:
        return PictureInsights(history)

    thumbnails = Thumbnails(folder / "records" / ".thumbnails")
    api = ReviewApi(make_history, recorder, files, thumbnails, insights)
    server = ReviewServer(api, "127.0.0.1", 0, limits or ServerLimits()).start()
    return ReviewHome(folder, output, specs, records, feedback, server)

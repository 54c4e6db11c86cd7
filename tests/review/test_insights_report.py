"""``stablenew insights --html``: the self-contained report file, and /api/insights answers (in-process)."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.review.insights_history import MARKUP_PACK, insights_history, write_insights_home
from tests.review.review_home import ReviewHome, start_review

Invoke = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return write_insights_home(tmp_path / "home")


def embedded(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="insights-data">(.*?)</script>', html, re.DOTALL)
    assert found is not None
    return json.loads(found.group(1))


def test_the_report_is_one_file_with_its_chart_library_data_and_thumbnails(
    home: Path, invoke: Invoke
) -> None:
    result = invoke(home, "insights", "--html", "report.html")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote report.html (")
    html = (home / "report.html").read_text(encoding="utf-8")
    assert "Chart.js v4" in html
    assert "sourceMappingURL" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing to fetch from anywhere
    data = embedded(html)
    scopes = [insight["scope"]["pack"] for insight in data["insights"]]
    assert scopes == [MARKUP_PACK, "portraits"]  # "<" sorts first
    thumbs = [
        example["thumb"]
        for insight in data["insights"]
        for parameter in insight["parameters"]
        for value in parameter["values"]
        for example in value["examples"]["best"] + value["examples"]["worst"]
    ]
    assert thumbs
    assert all(t.startswith("data:image/jpeg;base64,") and len(t) < 8000 for t in thumbs)


def test_markup_in_the_data_cannot_end_the_data_block(home: Path, invoke: Invoke) -> None:
    assert invoke(home, "insights", "--html", "report.html").returncode == 0
    html = (home / "report.html").read_text(encoding="utf-8")
    assert MARKUP_PACK not in html
    assert "<b id=" not in html
    assert embedded(html)["insights"][0]["scope"]["pack"] == MARKUP_PACK


def test_the_report_takes_the_same_filters_as_insights(home: Path, invoke: Invoke) -> None:
    result = invoke(home, "insights", "--html", "report.html", "--pack", "portraits", "--param", "sampler")
    assert result.returncode == 0, result.stderr
    data = embedded((home / "report.html").read_text(encoding="utf-8"))
    assert [i["scope"]["pack"] for i in data["insights"]] == ["portraits"]
    assert [p["parameter"] for p in data["insights"][0]["parameters"]] == ["sampler"]
    assert data["filters"] == {"pack": "portraits", "model": None}


def test_an_existing_file_is_kept_without_force(home: Path, invoke: Invoke) -> None:
    target = home / "report.html"
    target.write_text("mine", encoding="utf-8")
    result = invoke(home, "insights", "--html", "report.html")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --html: report.html exists; add --force to replace it"
    ]
    assert target.read_text(encoding="utf-8") == "mine"
    assert invoke(home, "insights", "--html", "report.html", "--force").returncode == 0
    assert "Chart.js" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--pack", "nope"], 2, "--pack: no runs in pack 'nope'"),
        (["--param", "colour"], 2, "--param: unknown parameter 'colour'"),
        ([], 2, "is a folder"),
        (["--json"], 2, "--html and --json: give one of them"),
    ],
)
def test_bad_requests_write_nothing(
    home: Path, invoke: Invoke, args: list[str], code: int, message: str
) -> None:
    target = "." if not args else "report.html"
    result = invoke(home, "insights", "--html", target, *args)
    assert result.returncode == code
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert not (home / "report.html").exists()
    assert not list(home.glob(".report.html.*"))


def test_no_ratings_is_one_line_and_no_file(tmp_path: Path, invoke: Invoke) -> None:
    home = write_insights_home(tmp_path / "home")
    (home / "records" / "feedback.jsonl").write_text("", encoding="utf-8")
    result = invoke(home, "insights", "--html", "report.html")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: no ratings")
    assert not (home / "report.html").exists()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ReviewHome]:
    specs, events = insights_history()
    review = start_review(tmp_path, specs=specs, events=events)
    yield review
    review.server.stop()


def get(server: ReviewHome, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(server.server.url + path) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_api_gives_the_insights_with_thumbnail_urls_and_filter_choices(server: ReviewHome) -> None:
    status, data = get(server, "api/insights?pack=portraits")
    assert status == 200
    assert data["packs"] == sorted(["portraits", MARKUP_PACK])
    assert data["models"] == ["sdxl-base"]
    (insight,) = data["insights"]
    sampler = next(p for p in insight["parameters"] if p["parameter"] == "sampler")
    assert [v["value"] for v in sampler["values"]] == ["Euler a", "DPM++ 2M", "DDIM"]
    best = sampler["values"][0]["examples"]["best"]
    assert [e["stars"] for e in best] == [5, 5, 5]
    assert best[0]["thumb_url"] == f"/img/{best[0]['run_id']}/-1?size=thumb"
    with urllib.request.urlopen(server.server.url + best[0]["thumb_url"].lstrip("/")) as response:
        assert response.headers["content-type"] == "image/webp"


def test_the_api_refuses_an_unknown_pack_and_says_when_there_is_nothing_to_compare(
    server: ReviewHome,
) -> None:
    status, data = get(server, "api/insights?pack=nope")
    assert (status, data["error"].split(":")[0]) == (400, "--pack")
    status, data = get(server, "api/insights?colour=red")
    assert status == 400
    server.feedback_path.write_text("", encoding="utf-8")
    status, data = get(server, "api/insights")
    assert status == 200
    assert data["insights"] == []
    assert data["message"].startswith("no ratings")
    assert "portraits" in data["packs"]


def test_the_api_and_the_report_carry_the_pairwise_scores_of_insights_json(
    server: ReviewHome, home: Path, invoke: Invoke
) -> None:
    result = invoke(home, "insights", "--json")
    assert result.returncode == 0, result.stderr
    from_json = [insight["pairwise"] for insight in json.loads(result.stdout)["insights"]]
    assert [[fit["parameter"] for fit in fits] for fits in from_json] == [["sampler"], ["sampler"]]
    portraits = from_json[1][0]
    assert [(s["value"], s["wins"], s["losses"]) for s in portraits["scores"]] == [
        ("Euler a", 10, 1),
        ("DPM++ 2M", 6, 5),
        ("DDIM", 1, 11),
    ]
    status, data = get(server, "api/insights")
    assert status == 200
    assert [insight["pairwise"] for insight in data["insights"]] == from_json
    assert invoke(home, "insights", "--html", "report.html").returncode == 0
    report = embedded((home / "report.html").read_text(encoding="utf-8"))
    assert [insight["pairwise"] for insight in report["insights"]] == from_json

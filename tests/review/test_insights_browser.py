"""The insights view and the HTML report in a real headless Chromium (as test_review_browser.py).

Set UPDATE_SCREENSHOT=1 to also refresh docs/insights-screenshot.png.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.review.insights_page import report_html
from tests.review.browser import chromium
from tests.review.insights_history import MARKUP_PACK, MARKUP_VALUE, insights_history, write_insights_home
from tests.review.review_home import ReviewHome, start_review

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "insights-screenshot.png"
# Functions, not expressions: Playwright evals an expression, and the page's policy forbids eval.
READY = "() => document.body.dataset.ready === 'true'"
# What Chart.js drew, read back from the chart object behind each canvas.
CHART_DATA = """() => [...document.querySelectorAll('canvas[data-kind=stars]')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  return { parameter: canvas.dataset.parameter, labels: chart.data.labels,
           intervals: chart.data.datasets[0].data, means: chart.data.datasets[1].data };
})"""
# The pairwise charts, one per setting and group, in the page's order.
PAIRWISE_DATA = """() => [...document.querySelectorAll('canvas[data-kind=pairwise]')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  return { parameter: canvas.dataset.parameter, group: Number(canvas.dataset.group),
           labels: chart.data.labels, intervals: chart.data.datasets[0].data,
           scores: chart.data.datasets[1].data };
})"""
# Some pixels of each canvas are painted (a chart that failed to draw leaves it blank).
PAINTED = """() => [...document.querySelectorAll('canvas')].every((canvas) => {
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return painted > 500;
})"""

pytestmark = pytest.mark.slow


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium("the insights page test") as launched:
        yield launched


@pytest.fixture
def home(tmp_path: Path) -> Iterator[ReviewHome]:
    specs, events = insights_history()
    review = start_review(tmp_path, specs=specs, events=events)
    yield review
    review.server.stop()


def open_page(browser: Any, url: str, messages: list[str], **context: Any) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, **context).new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda message: messages.append(message.text))
    page.goto(url)
    page.wait_for_function(READY)
    return page


def expected_charts(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "parameter": parameter["parameter"],
            "labels": [value["value"] for value in parameter["values"]],
            "intervals": [[value["mean_low"], value["mean_high"]] for value in parameter["values"]],
            "means": [value["mean"] for value in parameter["values"]],
        }
        for insight in data["insights"]
        for parameter in insight["parameters"]
    ]


def expected_pairwise(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "parameter": fit["parameter"],
            "group": group,
            "labels": [s["value"] for s in fit["scores"] if s["group"] == group],
            "intervals": [[s["low"], s["high"]] for s in fit["scores"] if s["group"] == group],
            "scores": [s["score"] for s in fit["scores"] if s["group"] == group],
        }
        for insight in data["insights"]
        for fit in insight["pairwise"]
        for group in range(fit["groups"])
    ]


def assert_pairwise_drawn(page: Any, data: dict[str, Any]) -> None:
    """Both blocks' sampler choices are drawn and tabled with the data's numbers; markup stays text."""
    drawn = page.evaluate(PAIRWISE_DATA)
    assert drawn == expected_pairwise(data)
    assert [chart["labels"] for chart in drawn] == [
        ["Euler a", MARKUP_VALUE],
        ["Euler a", "DPM++ 2M", "DDIM"],
    ]
    portraits = page.locator("section.scope").nth(1).locator(".pairwise[data-parameter=sampler]")
    assert portraits.locator(".choices").inner_text() == (
        "from 17 A-versus-B choices between runs that differ in sampler alone"
    )
    rows = portraits.locator("tr[data-value]")
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
    fit = data["insights"][1]["pairwise"][0]
    assert cells == [
        [
            s["value"],
            f"{s['score']:+.2f} ({s['low']:+.2f} to {s['high']:+.2f})",
            str(s["wins"]),
            str(s["losses"]),
            "0",
        ]
        for s in fit["scores"]
    ]
    assert [c[2:4] for c in cells] == [["10", "1"], ["6", "5"], ["1", "11"]]
    # The sampler named <img ... onerror=...> is a label and a cell of text, never an element.
    marked = page.locator("section.scope").first.locator(".pairwise[data-parameter=sampler] td.value")
    assert marked.all_inner_texts() == ["Euler a", MARKUP_VALUE]
    assert page.locator("#injected-value").count() == 0
    assert (
        page.locator("section.scope").first.locator(".choices").inner_text().startswith("from 3 A-versus-B")
    )
    # A setting with star ratings but no choices of its own says so.
    steps = page.locator("section.scope").nth(1).locator(".pairwise.none[data-parameter=steps]")
    assert (
        steps.inner_text()
        == "pairwise choices: not enough choices (none between two runs that differ in steps alone)"
    )
    assert page.locator(".no-choices").count() == 0


def test_the_view_draws_each_chart_with_the_apis_values_under_its_own_policy(
    browser: Any, home: ReviewHome, tmp_path: Path
) -> None:
    data = json.loads(urllib.request.urlopen(home.server.url + "api/insights").read())
    messages: list[str] = []
    page = open_page(browser, home.server.url + "insights", messages)
    assert page.evaluate(CHART_DATA) == expected_charts(data)
    assert_pairwise_drawn(page, data)
    assert page.evaluate(PAINTED)
    assert [text for text in messages if "Content Security Policy" in text] == []

    portraits = page.locator("section.scope").nth(1)
    rows = portraits.locator(".parameter[data-parameter=sampler] table.stars tr[data-value]")
    verdicts = [rows.nth(i).get_attribute("data-verdict") for i in range(rows.count())]
    sampler = data["insights"][1]["parameters"][0]
    assert verdicts == [value["verdict"] for value in sampler["values"]]
    shown = portraits.locator(".parameter[data-parameter=sampler] .verdict").all_inner_texts()
    assert shown[2].startswith("worse")  # DDIM, clearly rated lower

    # The pack name's markup is text: no element was made from it and its handler never ran.
    assert page.locator("section.scope h2").first.inner_text().startswith(f"pack {MARKUP_PACK}")
    assert page.locator("#injected").count() == 0
    assert page.title() == "StableNew insights"

    # A thumbnail goes to that run on the review page.
    thumb = portraits.locator(".parameter[data-parameter=sampler] .strip a").first
    run_id = thumb.get_attribute("data-run")
    thumb.click()
    page.wait_for_selector("#overlay.open h2")
    assert page.locator("#overlay h2").inner_text() == run_id


def test_the_pack_filter_shows_one_pack(browser: Any, home: ReviewHome, tmp_path: Path) -> None:
    messages: list[str] = []
    page = open_page(browser, home.server.url + "insights", messages)
    assert page.locator("section.scope").count() == 2
    assert MARKUP_PACK in page.locator("#pack option").all_inner_texts()
    page.select_option("#pack", "portraits")
    page.wait_for_function(
        "() => document.body.dataset.ready === 'true'"
        " && document.querySelectorAll('section.scope').length === 1"
    )
    assert page.locator("section.scope h2").inner_text().startswith("pack portraits")
    labels = page.evaluate(CHART_DATA)[0]["labels"]
    assert labels == ["Euler a", "DPM++ 2M", "DDIM"]

    page.wait_for_function(
        "() => [...document.querySelectorAll('.strip img')].slice(0, 12)"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    shot = tmp_path / "insights-screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


def written_report(tmp_path: Path, invoke: Callable[..., Any]) -> tuple[Path, dict[str, Any]]:
    """A home whose ``insights --html report.html`` was written, and the data the report embeds."""
    home = write_insights_home(tmp_path / "home")
    assert invoke(home, "insights", "--html", "report.html").returncode == 0
    html = (home / "report.html").read_text(encoding="utf-8")
    start = html.index('id="insights-data">') + len('id="insights-data">')
    return home, json.loads(html[start : html.index("</script>", start)])


def test_the_report_renders_its_chart_from_a_file_with_no_network(
    browser: Any, tmp_path: Path, invoke: Callable[..., Any]
) -> None:
    home, data = written_report(tmp_path, invoke)

    requests: list[str] = []
    messages: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda message: messages.append(message.text))
    page.goto((home / "report.html").as_uri())
    page.wait_for_function(READY)

    assert page.evaluate(CHART_DATA) == expected_charts(data)
    assert_pairwise_drawn(page, data)
    assert page.evaluate(PAINTED)
    assert page.evaluate("[...document.querySelectorAll('.strip img')].every(i => i.naturalWidth > 0)")
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
    assert [text for text in messages if "Content Security Policy" in text] == []
    assert page.locator("section.scope h2").first.inner_text().startswith(f"pack {MARKUP_PACK}")
    assert page.locator("#injected").count() == 0
    assert page.locator("#pack").count() == 0  # no filters to change in a file
    assert page.title() == "StableNew insights"


def test_a_history_without_choices_says_so_in_the_report(
    browser: Any, tmp_path: Path, invoke: Callable[..., Any]
) -> None:
    home = write_insights_home(tmp_path / "home", choices=False)
    assert invoke(home, "insights", "--html", "report.html").returncode == 0
    messages: list[str] = []
    page = open_page(browser, (home / "report.html").as_uri(), messages, offline=True)
    assert page.locator("canvas[data-kind=stars]").count() == 4  # the ratings are drawn as ever
    assert page.evaluate(PAINTED)
    assert page.locator("canvas[data-kind=pairwise]").count() == 0
    assert page.locator(".pairwise").count() == 0
    said = page.locator("section.scope .no-choices").all_inner_texts()
    assert (
        said
        == [
            "no A-versus-B choices by persons between two runs of this scope that differ in one setting alone"
        ]
        * 2
    )
    assert [text for text in messages if "Content Security Policy" in text] == []


def test_a_value_name_lists_its_runs_on_the_review_page(browser: Any, home: ReviewHome) -> None:
    messages: list[str] = []
    page = open_page(browser, home.server.url + "insights", messages)
    portraits = page.locator("section.scope").nth(1)
    portraits.locator(".parameter[data-parameter=sampler] td.value a").first.click()  # "Euler a"
    page.wait_for_selector(".card")
    assert page.input_value("#filter") == "pack=portraits sampler=Euler?a"
    assert page.locator(".card").count() == 6
    assert all(text.startswith("Euler a · ") for text in page.locator(".card .settings").all_inner_texts())


GROUPED_FIT = {
    "parameter": "cfg",
    "groups": 2,
    "prior_strength": 1.0,
    "bootstrap": 200,
    "seed": 0,
    "scores": [
        {"value": "7.0", "score": 0.5, "low": 0.1, "high": 0.9, "wins": 3, "losses": 1, "group": 0},
        {"value": "5.0", "score": -0.5, "low": -0.9, "high": -0.1, "wins": 1, "losses": 3, "group": 0},
        {"value": "9.0", "score": 0.2, "low": -0.3, "high": 0.6, "wins": 2, "losses": 1, "group": 1},
        {"value": "4.0", "score": -0.2, "low": -0.6, "high": 0.3, "wins": 1, "losses": 2, "group": 1},
    ],
}


def test_groups_never_compared_get_a_chart_each_and_a_setting_without_stars_a_card(
    browser: Any, tmp_path: Path, invoke: Callable[..., Any]
) -> None:
    home, data = written_report(tmp_path, invoke)
    data["insights"][1]["pairwise"].append(GROUPED_FIT)  # cfg has one value in the rated runs
    (home / "grouped.html").write_text(report_html(data), encoding="utf-8")

    messages: list[str] = []
    page = open_page(browser, (home / "grouped.html").as_uri(), messages, offline=True)
    assert page.evaluate(PAIRWISE_DATA) == expected_pairwise(data)
    card = page.locator("section.scope").nth(1).locator(".parameter.choices-only[data-parameter=cfg]")
    assert card.locator("h3").inner_text() == "cfg (no star ratings to compare)"
    assert [chart["labels"] for chart in page.evaluate(PAIRWISE_DATA)][-2:] == [
        ["7.0", "5.0"],
        ["9.0", "4.0"],
    ]
    assert card.locator(".note").all_inner_texts() == [
        "from 7 A-versus-B choices between runs that differ in cfg alone",
        "2 groups never compared with each other: rank values only within a group",
        "group 0: 4 choices",
        "group 1: 3 choices",
    ]
    assert card.locator("td.group").all_inner_texts() == ["0", "0", "1", "1"]
    assert page.evaluate(PAINTED)
    assert [text for text in messages if "Content Security Policy" in text] == []

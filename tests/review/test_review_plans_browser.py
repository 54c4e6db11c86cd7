"""The review page's plan view in a real headless Chromium: a plan's cells along two axes, each a
live run to rate, and suggested A/B pairs posted as choices; plus its JSON endpoints."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.container import build_container, plan_file
from adapters.review.api import ReviewApi, image_url
from adapters.review.files import SafeFiles
from adapters.review.plan_api import PlanApi
from adapters.review.server import ReviewServer
from adapters.review.thumbnails import Thumbnails
from adapters.settings import load_settings
from application.feedback_recorder import FeedbackRecorder
from application.history import History
from domain.feedback import FeedbackAuthor
from domain.ports import BadLineReport
from tests.fakes import FakeClock
from tests.plans.workspace import SMALL_PLAN, workspace
from tests.review.browser import chromium

pytestmark = pytest.mark.slow

TWO_AXES = SMALL_PLAN.replace(
    "[retry]", '[[axes]]\nkey = "sampler"\nvalues = ["Euler a", "DDIM"]\n\n[retry]'
).replace("seeds = [1, 2]", "seeds = [1]")
"""3 step counts x 2 samplers, 2 prompts, 1 seed: 12 runs."""

OTHER_PLAN = (
    TWO_AXES.replace('name = "small"', 'name = "other"')
    .replace("values = [1, 2, 3]", "values = [4]")
    .replace('prompts = ["a lighthouse at dusk", "a red bicycle"]', 'prompts = ["a red bicycle"]')
)
"""A second, smaller plan (1 step count x 2 samplers, 1 prompt, 1 seed: 2 runs)."""


@dataclass
class PlanHome:
    server: ReviewServer
    feedback: Path
    plan_id: str
    run_plan: Callable[[str], str]
    """Runs another plan (TOML text) into the same records; returns its plan id."""

    def get(self, path: str) -> Any:
        return json.loads(urllib.request.urlopen(self.server.url.rstrip("/") + path, timeout=30).read())


@pytest.fixture
def home(tmp_path: Path) -> Iterator[PlanHome]:
    folder = workspace(tmp_path, TWO_AXES)
    settings, _layers = load_settings(folder / "settings.toml", environ={})
    container = build_container(settings)
    defaults = settings.pipeline.model_dump()
    plan = plan_file(folder / "plan.toml").plan
    assert container.run_plan()(plan, defaults).succeeded == 12
    author, clock = FeedbackAuthor.person("tester"), FakeClock()

    def make_history(report: BadLineReport) -> History:
        return container.history(index__on_bad_line=report)  # type: ignore[no-any-return]

    def recorder(history: History) -> FeedbackRecorder:
        return FeedbackRecorder(history, container.feedback_store(), author, clock)

    def run_plan(text: str) -> str:
        (folder / "other.toml").write_text(text, encoding="utf-8")
        other = plan_file(folder / "other.toml").plan
        assert container.run_plan()(other, defaults).succeeded > 0
        return other.plan_id

    def plans() -> PlanApi:
        return PlanApi(container.plan_views(), defaults, image_url)

    files = SafeFiles([folder / "output", folder / "records"], base=folder)
    api = ReviewApi(
        make_history, recorder, files, Thumbnails(folder / "records" / ".thumbnails"), plans=plans
    )
    server = ReviewServer(api, "127.0.0.1", 0).start()
    try:
        yield PlanHome(server, settings.feedback.path, plan.plan_id, run_plan)
    finally:
        server.stop()


def _events(home: PlanHome, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        lines = home.feedback.read_text().splitlines() if home.feedback.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)


def test_the_plan_endpoints_lay_out_the_grid_and_refuse_a_bad_axis(home: PlanHome) -> None:
    listed = home.get("/api/plans")["plans"]
    assert [(p["plan_id"], p["axes"]) for p in listed] == [(home.plan_id, ["steps", "sampler"])]
    view = home.get(f"/api/plans/{home.plan_id[:6]}?x=sampler&y=steps")
    assert (view["x"], view["y"]) == ("sampler", "steps")
    assert view["x_values"] == ["Euler a", "DDIM"]
    assert [len(row) for row in view["rows"]] == [2, 2, 2]
    square = view["rows"][1][1]  # steps=2, DDIM
    assert [v["label"] for v in square["variants"]] == ["steps=2, sampler=DDIM"]
    assert len(square["variants"][0]["runs"]) == 2  # two prompts, one seed
    for pair in view["pairs"]:
        assert (pair["a"]["prompt"], pair["a"]["seed"]) == (pair["b"]["prompt"], pair["b"]["seed"])
        assert pair["a"]["label"] != pair["b"]["label"]
    assert len(view["pairs"]) > 0
    for path, status in ((f"/api/plans/{home.plan_id}?x=cfg_scale", 400), ("/api/plans/ffffffffff", 404)):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(home.server.url.rstrip("/") + path, timeout=30)
        assert refused.value.code == status
        assert "error" in json.loads(refused.value.read())


@pytest.fixture
def page(home: PlanHome) -> Iterator[Any]:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page.set_default_timeout(20_000)
        page.goto(home.server.url)
        yield page


def test_rate_a_cell_and_choose_a_pair_in_the_plan_view(page: Any, home: PlanHome) -> None:
    page.click("#plans-button")
    page.wait_for_selector("#plan-grid .prun")
    assert page.locator("#plan-grid .prun").count() == 12  # every run of the plan, live
    assert page.locator("#plan-grid tr").count() == 3  # the header and 2 samplers (y: the second axis)
    page.wait_for_function(
        "[...document.querySelectorAll('#plan-grid img')].some(i => i.complete && i.naturalWidth > 0)"
    )

    first = page.locator("#plan-grid .prun").first
    run_id = first.get_attribute("data-run")
    first.locator('[data-rate="4"]').click()
    rating = _events(home, 1)[-1]
    assert (rating["kind"], rating["run_id"], rating["rating"]) == ("rating", run_id, 4)
    page.wait_for_function(
        f"document.querySelector('.prun[data-run=\"{run_id}\"]').querySelectorAll('.stars .on').length === 4"
    )

    page.locator("#plan-grid .prun").nth(2).locator("img").click()  # a click moves the keyboard's place too
    page.keyboard.press("ArrowRight")
    fourth = page.locator("#plan-grid .prun").nth(3).get_attribute("data-run")
    page.wait_for_function(f"document.activeElement.dataset.run === '{fourth}'")
    assert page.locator("#plan-grid .prun[tabindex='0']").get_attribute("data-run") == fourth

    pairs = page.locator("#plan-pairs .pair").count()
    assert pairs > 0
    pair = page.evaluate("state.plan.pairs[0]")
    page.locator("#plan-pairs .pair").first.locator('[data-choose="b"]').click()
    choice = _events(home, 2)[-1]
    assert (choice["kind"], choice["run_id"], choice["worse_run_id"]) == (
        "choice",
        pair["b"]["run_id"],
        pair["a"]["run_id"],
    )
    page.wait_for_function(f"state.plan.pairs.length === {pairs - 1}")  # a chosen pair is not suggested again

    page.select_option("#plan-x", "sampler")
    page.wait_for_function("state.plan.x === 'sampler'")
    assert page.locator("#plan-grid tr").count() == 4  # steps moved down: the header and 3 rows


FOCUSED = (
    "(() => { const e = document.activeElement; return {id: e.id, cls: e.className, row: e.dataset.row, "
    "col: e.dataset.col, run: e.dataset.run, pair: e.dataset.pair, label: e.getAttribute('aria-label'), "
    "tab: e.tabIndex, visible: e.matches(':focus-visible'), outline: getComputedStyle(e).outlineStyle} })()"
)


def _focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus, checking that a plan-view control shows its focus ring."""
    focused: dict[str, Any] = page.evaluate(FOCUSED)
    if focused["cls"] in ("prun", "pair") or focused["id"].startswith("plan"):
        assert focused["visible"], focused
        assert focused["outline"] == "solid", focused
    return focused


def test_the_plan_view_works_from_the_keyboard_alone(page: Any, home: PlanHome) -> None:
    other = home.run_plan(OTHER_PLAN)  # the newest plan: listed first
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "plans-button"
    page.keyboard.press("Enter")
    page.wait_for_function(f"state.plan && state.plan.plan.plan_id === '{other}'")
    assert _focused(page)["id"] == "plan-select"  # the plan list has the focus
    assert page.locator("#plans-button").get_attribute("aria-pressed") == "true"
    page.keyboard.press("ArrowDown")  # the next plan in the list: the 12-run one
    page.wait_for_function(f"state.plan.plan.plan_id === '{home.plan_id}'")
    page.wait_for_function("document.querySelectorAll('#plan-grid .prun').length === 12")
    for control in ("plan-x", "plan-y"):
        page.keyboard.press("Tab")
        assert _focused(page)["id"] == control

    _rate_and_open_in_the_grid(page, home)
    _choose_pairs_by_key(page, home)

    page.keyboard.press("Escape")  # back to the runs, the focus on the button that opened the plans
    page.wait_for_function("!document.body.classList.contains('plans')")
    assert _focused(page)["id"] == "plans-button"
    assert page.locator("#plans-button").get_attribute("aria-pressed") == "false"


def _rate_and_open_in_the_grid(page: Any, home: PlanHome) -> None:
    page.keyboard.press("Tab")  # the grid is one Tab stop: its first square's first run
    cell = _focused(page)
    assert (cell["cls"], cell["row"], cell["col"], cell["tab"]) == ("prun", "0", "0", 0)
    assert page.locator("#plan-grid").get_attribute("role") == "grid"
    labels = page.eval_on_selector_all(
        "#plan-grid .prun, #plan-pairs .pair, #plan-pairs [data-choose]",
        "els => els.map(e => e.getAttribute('aria-label'))",
    )
    assert labels
    assert all(labels), labels  # every control has a screen-reader label
    assert "sampler=Euler a" in cell["label"]
    assert "not rated" in cell["label"]

    # x: steps (3 squares a row), y: sampler (2 rows); each square holds 2 runs (the 2 prompts).
    for key, where in (("ArrowRight", ("0", "0")), ("ArrowRight", ("0", "1")), ("ArrowDown", ("1", "1"))):
        page.keyboard.press(key)
        cell = _focused(page)
        assert (cell["cls"], cell["row"], cell["col"]) == ("prun", *where), (key, cell)
    page.keyboard.press("ArrowDown")  # no row below: the focus stays
    assert _focused(page)["run"] == cell["run"]
    assert page.locator("#plan-grid .prun[tabindex='0']").count() == 1  # roving tabindex

    page.keyboard.press("4")
    rating = _events(home, 1)[-1]
    assert (rating["kind"], rating["run_id"], rating["rating"]) == ("rating", cell["run"], 4)
    page.wait_for_function(  # redrawn with the rating, the focus back on the same run
        f"document.activeElement.dataset.run === '{cell['run']}' && "
        "document.activeElement.querySelectorAll('.stars .on').length === 4"
    )
    assert "rated 4 of 5" in _focused(page)["label"]

    page.keyboard.press("Enter")  # open the run
    page.wait_for_selector("#overlay.open .history")
    assert page.locator("#overlay h2").inner_text() == cell["run"]
    assert page.evaluate("document.activeElement.hasAttribute('data-close')")
    page.keyboard.press("Escape")
    page.wait_for_selector("#overlay.open", state="detached")
    assert _focused(page)["run"] == cell["run"]


def _choose_pairs_by_key(page: Any, home: PlanHome) -> None:
    page.keyboard.press("Tab")  # the pairs are one Tab stop too
    pair = _focused(page)
    assert (pair["cls"], pair["pair"]) == ("pair", "0")
    assert "which is better" in pair["label"]
    page.keyboard.press("ArrowDown")
    assert _focused(page)["pair"] == "1"
    pairs = page.evaluate("state.plan.pairs.length")
    chosen = page.evaluate("state.plan.pairs[1]")
    page.keyboard.press("ArrowRight")  # the right one (b) is better, as a click on it would say
    choice = _events(home, 2)[-1]
    assert (choice["kind"], choice["run_id"], choice["worse_run_id"]) == (
        "choice",
        chosen["b"]["run_id"],
        chosen["a"]["run_id"],
    )
    page.wait_for_function(f"state.plan.pairs.length === {pairs - 1}")
    page.wait_for_function("document.activeElement.dataset.pair === '1'")  # the next pair, in its place
    _focused(page)
    left = page.evaluate("state.plan.pairs[1].a.run_id")
    page.keyboard.press("a")  # the left one this time
    picked = _events(home, 3)[-1]
    assert (picked["kind"], picked["run_id"]) == ("choice", left)


def test_the_keyboard_plan_view_runs_under_the_pages_own_policy(page: Any, home: PlanHome) -> None:
    """The hash-only script policy the server sends still matches the page's script: keys work."""
    strict = page.context.browser.new_page(viewport={"width": 1280, "height": 900})  # no bypass_csp
    refused: list[str] = []
    strict.on("console", lambda message: refused.append(message.text))
    strict.on("pageerror", lambda error: refused.append(str(error)))
    strict.set_default_timeout(20_000)
    strict.goto(home.server.url)
    strict.keyboard.press("Tab")
    strict.keyboard.press("Enter")
    strict.wait_for_selector("#plan-select:focus")
    strict.wait_for_selector("#plan-grid .prun")
    for _ in range(3):
        strict.keyboard.press("Tab")
    strict.wait_for_selector("#plan-grid .prun:focus")
    strict.keyboard.press("ArrowRight")
    second = strict.locator("#plan-grid .prun").nth(1)
    second.and_(strict.locator(":focus")).wait_for()
    assert second.get_attribute("tabindex") == "0"
    assert not [text for text in refused if "Content Security Policy" in text], refused

"""The review page driven in a real headless Chromium (Debian's /usr/bin/chromium via Playwright).

Set UPDATE_SCREENSHOT=1 to also refresh docs/review-screenshot.png.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.review.browser import chromium
from tests.review.review_home import ReviewHome, start_review

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "review-screenshot.png"

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path: Path) -> Iterator[ReviewHome]:
    review = start_review(tmp_path, count=12)
    yield review
    review.server.stop()


@pytest.fixture
def page(home: ReviewHome) -> Iterator[Any]:
    with chromium() as browser:
        # bypass_csp lets the test poll page state with wait_for_function (the page forbids eval)
        page = browser.new_page(viewport={"width": 1280, "height": 820}, bypass_csp=True)
        page.set_default_timeout(30_000)
        page.goto(home.server.url)
        page.wait_for_selector(".card")
        yield page


def events_on_disk(home: ReviewHome, count: int) -> list[dict[str, Any]]:
    """The feedback file's events, waiting (up to 30 s) until it holds at least ``count``."""
    deadline = time.monotonic() + 30
    while True:
        lines = home.feedback_path.read_text().splitlines() if home.feedback_path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)


def test_rate_tag_compare_and_open_a_run_in_a_real_browser(
    page: Any, home: ReviewHome, tmp_path: Path
) -> None:
    newest_first = [spec.run_id for spec in reversed(home.specs)]
    assert page.locator(".card").count() == 12
    # Thumbnails load lazily and in parallel: wait for those in view, never for all.
    loaded = "[...document.images].filter(i => i.complete && i.naturalWidth > 0).length >= 6"
    page.wait_for_function(loaded)

    page.keyboard.press("ArrowRight")
    page.keyboard.press("4")
    page.wait_for_selector("#toast.show")
    rating = events_on_disk(home, 1)[-1]
    assert (rating["kind"], rating["run_id"], rating["rating"]) == ("rating", newest_first[1], 4)
    assert rating["by"] == {"kind": "person", "name": "tester"}
    page.wait_for_function(
        "document.querySelectorAll('.card')[1].querySelectorAll('.stars .on').length === 4"
    )

    page.locator(".card").nth(2).locator('[data-rate="5"]').click()
    clicked = events_on_disk(home, 2)[-1]
    assert (clicked["run_id"], clicked["rating"]) == (newest_first[2], 5)

    page.once("dialog", lambda dialog: dialog.accept("sharp, moody"))
    page.keyboard.press("t")
    tags = events_on_disk(home, 3)[-1]
    assert (tags["kind"], tags["run_id"], sorted(tags["tags_added"])) == (
        "tags",
        newest_first[2],
        ["moody", "sharp"],
    )

    page.keyboard.press("c")  # mark run 2
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("c")  # compare run 2 (left) with run 1 (right)
    page.wait_for_selector(".compare")
    page.keyboard.press("ArrowRight")
    choice = events_on_disk(home, 4)[-1]
    assert (choice["kind"], choice["run_id"], choice["worse_run_id"]) == (
        "choice",
        newest_first[1],
        newest_first[2],
    )

    page.keyboard.press("Enter")  # open run 1
    page.wait_for_selector("#overlay.open .images img")
    page.wait_for_function(
        "[...document.querySelectorAll('#overlay img')].every(i => i.complete && i.naturalWidth === 256)"
    )
    history = page.locator("#overlay .history").inner_text()
    assert "tester: rated 4/5" in history
    assert f"preferred over {newest_first[2][:8]}" in history
    page.keyboard.press("Escape")
    page.locator(".card").nth(0).locator('[data-rate="3"]').click()
    events_on_disk(home, 5)
    page.wait_for_function(
        "document.querySelectorAll('.card')[0].querySelectorAll('.stars .on').length === 3"
    )
    page.wait_for_timeout(2000)  # let the toast fade before the picture

    shot = tmp_path / "review-screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


def test_words_in_the_filter_box_search_the_prompts(page: Any, home: ReviewHome) -> None:
    page.fill("#filter", "nothing-like-this-word")
    page.keyboard.press("Enter")
    page.wait_for_selector(".empty")
    page.fill("#filter", "LIGHTHOUSE dusk pack=*")
    page.keyboard.press("Enter")
    page.wait_for_selector(".card")
    assert page.locator(".empty").count() == 0


FOCUS_IN_OVERLAY = "document.getElementById('overlay').contains(document.activeElement)"


def test_an_open_run_keeps_the_keyboard_inside_it_until_it_closes(page: Any, home: ReviewHome) -> None:
    page.focus("#filter")
    page.keyboard.press("Escape")  # leave the box: the keyboard is the page's again
    page.keyboard.press("Enter")
    page.wait_for_selector("#overlay.open .images img")
    assert page.evaluate("document.activeElement.hasAttribute('data-close')")
    stops = page.evaluate("document.querySelectorAll('#overlay button, #overlay a[href]').length")
    assert stops >= 3  # Close, Copy and each image's link
    for _ in range(stops + 2):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_IN_OVERLAY)
    page.focus("#overlay [data-close]")
    page.keyboard.press("Shift+Tab")  # from the first stop round to the last
    assert page.evaluate(FOCUS_IN_OVERLAY)
    assert not page.evaluate("document.activeElement.hasAttribute('data-close')")
    # Behind the dialog nothing takes focus or a click.
    assert page.evaluate("document.querySelector('header').inert && document.querySelector('main').inert")
    page.focus("#filter")
    assert not page.evaluate("document.activeElement === document.getElementById('filter')")

    page.keyboard.press("Escape")
    page.wait_for_selector("#overlay:not(.open)", state="attached")
    assert page.evaluate("!document.querySelector('header').inert && !document.querySelector('main').inert")
    page.focus("#filter")
    assert page.evaluate("document.activeElement === document.getElementById('filter')")


def test_a_run_closed_while_it_loads_stays_closed(page: Any, home: ReviewHome) -> None:
    """A rating refreshes the open run; Esc during that refresh must not see it open again."""
    run_id = home.specs[-1].run_id
    page.evaluate("(id) => { const loading = openRun(id); closeOverlay(); return loading; }", run_id)

    assert page.evaluate("document.getElementById('overlay').className") == ""
    assert not page.evaluate("document.querySelector('main').inert")


def test_a_rating_key_on_an_empty_filter_result_stores_nothing(page: Any, home: ReviewHome) -> None:
    page.fill("#filter", "pack=nothing-like-this")
    page.keyboard.press("Enter")
    page.wait_for_selector(".empty")
    page.keyboard.press("5")
    page.wait_for_timeout(300)
    assert not home.feedback_path.exists() or home.feedback_path.read_text() == ""


def test_the_page_works_under_its_own_content_security_policy(home: ReviewHome) -> None:
    """No bypass here: the page's inline script and style run by their hashes, and nothing is refused."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        page.set_default_timeout(30_000)
        messages: list[str] = []
        page.on("console", lambda message: messages.append(message.text))
        page.goto(home.server.url)
        page.wait_for_selector(".card")  # rendered by the inline script
        assert page.locator(".card").count() == 12
        page.keyboard.press("Enter")
        image = page.locator("#overlay.open .images img").first
        image.wait_for()
        page.wait_for_selector("#overlay.open .images img[src]")
        close = page.locator("#overlay [data-close]")
        assert close.evaluate("e => getComputedStyle(e).float") == "right"  # the inline style applies
        assert close.bounding_box()["width"] < 400
        assert [text for text in messages if "Content Security Policy" in text] == []
        # An image opened in its own tab still shows under the inert policy (Chromium's own
        # styling of that tab is refused, which only leaves it uncentred).
        page.goto(home.server.url.rstrip("/") + image.get_attribute("src"))
        assert page.evaluate("document.images[0].naturalWidth") == 256


def test_the_page_shows_times_on_the_browsers_clock(home: ReviewHome) -> None:
    from datetime import UTC, datetime, timedelta

    newest = json.loads(urllib.request.urlopen(home.server.url + "api/runs?limit=1").read())["runs"][0]
    moment = datetime.fromisoformat(newest["timestamp"]).astimezone(UTC) + timedelta(hours=9)
    with chromium() as browser:
        page = browser.new_context(timezone_id="Asia/Tokyo").new_page()
        page.set_default_timeout(30_000)
        page.goto(home.server.url)
        page.wait_for_selector(".card")
        assert page.locator(".card .top span").first.inner_text() == moment.strftime("%Y-%m-%d %H:%M")
        assert page.locator(".card .prompt").first.inner_text() == newest["prompt"]  # the prompt on the card
        page.keyboard.press("Enter")  # open the newest run: the command that runs it again
        page.wait_for_selector("#overlay.open #recall")
        assert page.locator("#recall").inner_text() == f"stablenew run --from {newest['run_id'][:8]}"
        page.keyboard.press("Escape")
        src = page.locator(".card img").first.get_attribute("src")
        assert src is not None
        assert src.endswith("?size=thumb")


EVIL_PAGE = b"<!doctype html><title>some other site</title><p>nothing to see"


@pytest.fixture
def other_origin() -> Iterator[str]:
    """A second tiny server on another loopback port: a page of another origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(EVIL_PAGE)))
            self.end_headers()
            self.wfile.write(EVIL_PAGE)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_page_on_another_origin_cannot_smuggle_feedback(
    page: Any, home: ReviewHome, other_origin: str
) -> None:
    """A no-cors POST (text/plain, so no preflight) whose body is a whole same-origin JSON request."""
    note = json.dumps({"kind": "note", "run_id": home.specs[0].run_id, "note": "smuggled"})
    inner = (
        f"POST /api/feedback HTTP/1.1\r\nHost: 127.0.0.1:{home.server.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(note)}\r\n\r\n{note}"
    )
    failures: list[str] = []
    page.goto(other_origin)
    # Only the POST counts: the review page's own loads may still be aborting as the page navigates away.
    page.on(
        "requestfailed",
        lambda request: request.method == "POST" and failures.append(request.failure),
    )
    outcome = page.evaluate(
        """async ([url, body]) => {
            try { await fetch(url, {method: "POST", mode: "no-cors", body}); return "answered"; }
            catch (error) { return "failed: " + error.message; }
        }""",
        [home.server.url + "api/feedback", inner],
    )
    page.wait_for_timeout(500)  # the old server stored the smuggled note within milliseconds
    assert not home.feedback_path.exists() or home.feedback_path.read_text() == ""
    # The request did reach the server: its answer (403) came back, and Chromium withheld it from
    # the other origin because of the answer's Cross-Origin-Resource-Policy.
    assert (outcome, failures) == ("failed: Failed to fetch", ["net::ERR_BLOCKED_BY_RESPONSE.NotSameOrigin"])

"""The review server over real HTTP on loopback: API answers, feedback on disk, and refusals."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.review.files import Refused, SafeFiles
from domain.images import ImageArtifact
from tests.review.history_data import build_record
from tests.review.review_home import ReviewHome, start_review


@pytest.fixture
def home(tmp_path: Path) -> Iterator[ReviewHome]:
    review = start_review(tmp_path, count=6)
    yield review
    review.server.stop()


def request(
    home: ReviewHome, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes, http.client.HTTPMessage]:
    connection = http.client.HTTPConnection("127.0.0.1", home.server.port, timeout=10)
    sent = {"Host": f"127.0.0.1:{home.server.port}", **(headers or {})}
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    if data is not None and "Content-Type" not in sent:
        sent["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, payload, response.headers


def test_the_page_is_self_contained(home: ReviewHome) -> None:
    status, page, headers = request(home, "GET", "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    text = page.decode()
    assert "<script>" in text
    for remote in ("http://", "https://", "//cdn", 'src="http'):
        assert remote not in text.replace("http://${", "")
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_the_page_runs_only_its_own_inline_script_and_style(home: ReviewHome) -> None:
    _, page, headers = request(home, "GET", "/")
    policy = dict(
        [*directive.split(" ", 1), ""][:2] for directive in headers["Content-Security-Policy"].split("; ")
    )
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    text = page.decode()
    script = re.findall(r"<script>(.*?)</script>", text, re.DOTALL)
    style = re.findall(r"<style>(.*?)</style>", text, re.DOTALL)
    assert policy["script-src"] == " ".join(_sha256(block) for block in script)
    assert policy["style-src"] == " ".join(_sha256(block) for block in style)
    assert " style=" not in text  # an inline style attribute would need 'unsafe-inline'
    assert policy["default-src"] == "'none'"


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_every_answer_carries_nosniff_and_a_policy(home: ReviewHome) -> None:
    run_id = home.specs[-1].run_id
    for method, path, headers in [
        ("GET", "/api/runs", {}),
        ("GET", f"/img/{run_id}/0", {}),
        ("GET", "/nothing-here", {}),
        ("POST", "/api/feedback", {"Origin": "http://evil.example"}),
        ("GET", "/api/runs", {"Host": "evil.example"}),
    ]:
        _, _, answer = request(home, method, path, {} if method == "POST" else None, headers)
        assert answer["X-Content-Type-Options"] == "nosniff", path
        assert answer["Content-Security-Policy"].startswith("default-src 'none'; sandbox"), path


def test_runs_filters_and_images(home: ReviewHome) -> None:
    status, body, _ = request(home, "GET", "/api/runs?limit=3")
    runs = json.loads(body)["runs"]
    assert status == 200
    assert [run["run_id"] for run in runs] == [s.run_id for s in reversed(home.specs[-3:])]
    status, image, headers = request(home, "GET", runs[0]["image_url"])
    assert (status, headers["Content-Type"]) == (200, "image/png")
    newest = home.specs[-1]
    final = "upscale_0.png" if newest.upscaled else "txt2img_0.png"
    assert image == (home.output / newest.run_id / final).read_bytes()
    status, body, _ = request(home, "GET", "/api/runs?steps=abc")
    assert (status, json.loads(body)["error"]) == (
        400,
        "--steps: 'abc' is not a number (use 30, 30.., ..40 or 20..40)",
    )
    status, body, _ = request(home, "GET", f"/api/runs/{newest.run_id[:10]}")
    detail = json.loads(body)
    assert status == 200
    assert detail["run"]["run_id"] == newest.run_id
    assert next(image["url"] for image in detail["images"]) == f"/img/{newest.run_id}/0"


def test_posted_feedback_lands_on_disk(home: ReviewHome) -> None:
    run_id = home.specs[-2].run_id
    origin = {"Origin": f"http://127.0.0.1:{home.server.port}", "Sec-Fetch-Site": "same-origin"}
    status, body, _ = request(
        home, "POST", "/api/feedback", {"kind": "rating", "run_id": run_id, "rating": 4}, origin
    )
    assert status == 200, body
    assert json.loads(body)["feedback"][run_id]["rating"] == 4
    status, _, _ = request(
        home, "POST", "/api/feedback", {"kind": "tags", "run_id": run_id, "add": ["sharp"]}
    )
    assert status == 200
    better, worse = home.specs[-1].run_id, run_id
    status, _, _ = request(
        home, "POST", "/api/feedback", {"kind": "choice", "better": better, "worse": worse}
    )
    assert status == 200
    lines = [json.loads(line) for line in home.feedback_path.read_text().splitlines()]
    assert [(e["kind"], e["run_id"], e["by"]["name"]) for e in lines] == [
        ("rating", run_id, "tester"),
        ("tags", run_id, "tester"),
        ("choice", better, "tester"),
    ]
    assert lines[0]["rating"] == 4
    assert lines[2]["worse_run_id"] == worse


@pytest.mark.parametrize(
    ("body", "headers", "status", "error"),
    [
        ({"kind": "rating", "run_id": "R", "rating": 9}, {}, 400, "rating must be a whole number 1-5, got 9"),
        (
            {"kind": "rating", "run_id": "ffffffff", "rating": 3},
            {},
            404,
            "no run with id 'ffffffff' in the history",
        ),
        ({"kind": "launch"}, {}, 400, "kind must be rating, tags, note or choice"),
        (b"{not json", {}, 400, "the body is not JSON"),
        (
            {"kind": "rating", "run_id": "R", "rating": 3},
            {"Content-Type": "text/plain"},
            415,
            "send application/json",
        ),
        (
            {"kind": "rating", "run_id": "R", "rating": 3},
            {"Origin": "http://evil.example"},
            403,
            "cross-origin request refused",
        ),
        (
            {"kind": "rating", "run_id": "R", "rating": 3},
            {"Sec-Fetch-Site": "cross-site"},
            403,
            "cross-site request refused",
        ),
        (
            {"kind": "rating", "run_id": "R", "rating": 3},
            {"Host": "evil.example:80"},
            403,
            "unexpected Host header",
        ),
    ],
)
def test_bad_or_foreign_posts_are_refused_and_store_nothing(
    home: ReviewHome, body: Any, headers: dict[str, str], status: int, error: str
) -> None:
    if isinstance(body, dict) and body.get("run_id") == "R":
        body = {**body, "run_id": home.specs[-1].run_id}
    answer, payload, _ = request(home, "POST", "/api/feedback", body, headers)
    assert (answer, json.loads(payload)["error"]) == (status, error)
    assert not home.feedback_path.exists() or home.feedback_path.read_bytes() == b""


def test_path_traversal_and_files_outside_the_folders_are_refused(home: ReviewHome, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes((home.output / home.specs[0].run_id / "txt2img_0.png").read_bytes())
    link_run = home.output / "linked"
    link_run.mkdir()
    os.symlink(secret, link_run / "txt2img_0.png")
    hostile = [
        ("abs00000", str(secret)),
        ("dots0000", f"{home.output}/../secret.png"),
        ("rel00000", "output/../secret.png"),
        ("link0000", str(link_run / "txt2img_0.png")),
        ("pass0000", "/etc/passwd"),
    ]
    for run_id, path in hostile:
        record = build_record(home.specs[0])
        artifact = ImageArtifact("txt2img", 0, path, 256, 256, 1, "0" * 64)
        home.records.append_record(
            record.__class__(**{**_fields(record), "run_id": run_id, "outputs": (artifact,)})
        )
    for run_id, _ in hostile:
        status, body, _ = request(home, "GET", f"/img/{run_id}/0")
        assert (status, json.loads(body)["error"]) == (403, "that file is outside the served folders"), run_id
    for path in (
        "/img/../../etc/passwd",
        "/img/%2e%2e/%2e%2e%2fetc%2fpasswd",
        "/img/..%2f..%2fsecret.png/0",
        "/../secret.png",
        "/static/../../secret.png",
        f"/img/{home.specs[0].run_id}/99",
        f"/img/{home.specs[0].run_id}/x",
    ):
        status, body, _ = request(home, "GET", path)
        assert status == 404, path
        assert b"PNG" not in body
    status, _, _ = request(home, "GET", "/api/runs", headers={"Host": "attacker.example:8765"})
    assert status == 403


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def test_safe_files_unit(tmp_path: Path) -> None:
    root = tmp_path / "out"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.png").write_bytes(b"x")
    files = SafeFiles([root], base=tmp_path)
    assert files.resolve("out/a/x.png") == (root / "a" / "x.png").resolve()
    assert files.resolve(str(root / "a" / "missing.png")) is None
    for bad in ("out/../../etc/passwd", "/etc/passwd", "out/a/x.png\x00.jpg", ""):
        with pytest.raises(Refused):
            files.resolve(bad)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.png", "image/png"),
        ("a.jpg", "image/jpeg"),
        ("a.JPEG", "image/jpeg"),
        ("a.webp", "image/webp"),
        ("a.gif", "image/gif"),
    ],
)
def test_raster_images_are_served_with_their_type(home: ReviewHome, name: str, kind: str) -> None:
    data = (home.output / home.specs[0].run_id / "txt2img_0.png").read_bytes()
    _store_output(home, "raster00", name, data)
    status, body, headers = request(home, "GET", "/img/raster00/0")
    assert (status, headers["Content-Type"], body) == (200, kind, data)
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; sandbox")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/api/feedback")</script></svg>'


@pytest.mark.parametrize("name", ["evil.svg", "evil.SVG", "evil.svgz", "evil.html", "evil.xml", "evil"])
def test_files_that_are_not_raster_images_are_refused(home: ReviewHome, name: str) -> None:
    _store_output(home, "vector00", name, SVG)
    status, body, headers = request(home, "GET", "/img/vector00/0")
    assert (status, headers["Content-Type"]) == (403, "application/json")
    assert b"<svg" not in body
    assert json.loads(body)["error"] == "only PNG, JPEG, WebP and GIF images are served"


def _store_output(home: ReviewHome, run_id: str, name: str, data: bytes) -> None:
    path = home.output / run_id / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    record = build_record(home.specs[0])
    artifact = ImageArtifact("txt2img", 0, str(path), 256, 256, 1, "0" * 64)
    home.records.append_record(
        record.__class__(**{**_fields(record), "run_id": run_id, "outputs": (artifact,)})
    )


def test_runs_free_text_searches_the_prompts(home: ReviewHome) -> None:
    from dataclasses import replace

    from tests.factories import make_record

    fox = make_record("f0x00001", config={"prompt": "a red Fox in the snow", "negative_prompt": "blurry"})
    home.records.append_record(replace(fox, timestamp="2026-11-24T08:00:00Z"))
    status, body, _ = request(home, "GET", "/api/runs?search=fox")
    assert status == 200
    assert [run["run_id"] for run in json.loads(body)["runs"]] == ["f0x00001"]
    status, body, _ = request(home, "GET", "/api/runs?search=fox&search=snow&steps=..10")
    assert (status, json.loads(body)["runs"]) == (200, [])
    status, body, _ = request(home, "GET", "/api/runs?search=lighthouse&limit=500")
    assert len(json.loads(body)["runs"]) == len(home.specs)


def test_a_client_that_hangs_up_mid_image_costs_no_traceback(
    home: ReviewHome, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A browser cancelling image loads, or `curl ... | head -c 300`: the server says nothing loud."""
    import logging
    import os
    import socket
    import struct

    from PIL import Image

    spec = home.specs[-1]
    big = home.output / spec.run_id / ("upscale_0.png" if spec.upscaled else "txt2img_0.png")
    Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3)).save(big)  # about 6 MB
    _status, body, _ = request(home, "GET", "/api/runs?limit=1")
    url = json.loads(body)["runs"][0]["image_url"]
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", home.server.port), timeout=10) as sock:
            sock.sendall(f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{home.server.port}\r\n\r\n".encode())
            assert sock.recv(300)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not close
    status, _image, _ = request(home, "GET", url)
    assert status == 200
    _out, err = capfd.readouterr()
    assert "Traceback" not in err
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


def test_cards_get_small_thumbnails_made_once_and_kept(home: ReviewHome) -> None:
    import io

    from PIL import Image

    _status, body, _ = request(home, "GET", "/api/runs?limit=1")
    url = json.loads(body)["runs"][0]["image_url"]
    status, original, headers = request(home, "GET", url)
    assert (status, headers["Content-Type"]) == (200, "image/png")
    status, small, headers = request(home, "GET", f"{url}?size=thumb")
    assert (status, headers["Content-Type"]) == (200, "image/webp")
    with Image.open(io.BytesIO(small)) as thumbnail:
        assert max(thumbnail.size) <= 384
    kept = list((home.folder / "records" / ".thumbnails").glob("*.webp"))
    assert len(kept) == 1
    made = kept[0].stat().st_mtime_ns
    assert request(home, "GET", f"{url}?size=thumb")[1] == small
    assert kept[0].stat().st_mtime_ns == made  # made once, then kept
    assert request(home, "GET", url)[1] == original


def test_an_image_outside_the_served_folders_says_which_flag_serves_it(
    home: ReviewHome, tmp_path: Path
) -> None:
    from dataclasses import replace

    from tests.factories import make_record

    elsewhere = tmp_path / "elsewhere" / "fox.png"
    record = make_record("out00001")
    outputs = tuple(replace(output, path=str(elsewhere)) for output in record.outputs)
    home.records.append_record(replace(record, outputs=outputs, timestamp="2026-11-24T08:00:00Z"))
    _status, body, _ = request(home, "GET", "/api/runs?search=lighthouse&limit=500")
    (run,) = [run for run in json.loads(body)["runs"] if run["run_id"] == "out00001"]
    assert run["image_url"] is None
    assert run["image_note"] == f"image outside the served folders: add --serve-dir {elsewhere.parent}"

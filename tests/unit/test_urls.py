"""The one URL check and the one URL mask, shared by settings and backends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.urls import MASK, dsn_secrets, parse_http_url, redact_url


@pytest.mark.parametrize(
    ("url", "address", "username", "password"),
    [
        ("http://127.0.0.1:7860/", "http://127.0.0.1:7860", None, None),
        (" https://GPU-Box.lan ", "https://gpu-box.lan", None, None),
        ("http://[::1]:7861/api/", "http://[::1]:7861/api", None, None),
        ("http://alice:pa%3Ass%40w0rd@host:7860", "http://host:7860", "alice", "pa:ss@w0rd"),
        ("http://alice@host", "http://host", "alice", None),
        ("http://alice:@host", "http://host", "alice", ""),
        ("http://bücher.example:80", "http://bücher.example:80", None, None),
    ],
)
def test_parse_takes_the_credentials_out_of_the_address(
    url: str, address: str, username: str | None, password: str | None
) -> None:
    parsed = parse_http_url(url)
    assert (parsed.address, parsed.username, parsed.password) == (address, username, password)


@pytest.mark.parametrize(
    "url",
    [
        "localhost:7860",
        "http://",
        "http://:7860",
        "file:///etc/passwd",
        "http://host:99999",
        "http://host:abc",
        "http://host:0",
        "http://host:-1",
        "http://[::1",
        "http://[zz::1]:7860",
        "http://a..b",
        "http://a b",
        "http://%41",
        "http://u:p/w@host",
        "http://host/#frag",
        "http://host/?q=1",
    ],
)
def test_parse_refuses_what_a_backend_cannot_use_without_quoting_it(url: str) -> None:
    with pytest.raises(ValueError, match=r"^(must look like|must not have|has a port|has an @)") as caught:
        parse_http_url(url.replace("http://", "http://user:pw-9q@", 1) if "@" not in url else url)
    assert "pw-9q" not in str(caught.value)
    assert "p/w" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://alice:pw@host:7860/x", "http://********@host:7860/x"),
        ("http://alice@host", "http://********@host"),
        ("http://a:p@ss@host", "http://********@host"),
        ("alice:pw@host:7860", "********@host:7860"),
        ("http://host:7860", "http://host:7860"),
        ("", ""),
    ],
)
def test_redact_masks_all_user_info(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@given(st.text(), st.text(alphabet=st.characters(blacklist_characters="@")))
def test_redact_masks_everything_up_to_the_last_at(user_info: str, rest: str) -> None:
    assert redact_url(f"https://{user_info}@{rest}") == f"https://{MASK}@{rest}"


@pytest.mark.parametrize(
    ("dsn", "password"),
    [
        ("postgresql://u:SEC%zzRET@127.0.0.1:1/db", "SEC%zzRET"),
        ("postgres://u:p%40ss@h/db", "p@ss"),
        ("postgresql://u:pa@ss@h/db", "pa@ss"),
        ("postgresql://u@h/db?sslmode=disable&password=SEC%zzRET", "SEC%zzRET"),
        ("host=h password=plain port=1", "plain"),
        ("host=h password = 'with space' port=1", "with space"),
        ("host=h password='unterminated", "unterminated"),
    ],
)
def test_dsn_secrets_finds_the_password_even_in_a_dsn_libpq_refuses(dsn: str, password: str) -> None:
    secrets = dsn_secrets(dsn)
    assert password in secrets
    assert dsn in secrets
    assert secrets == sorted(secrets, key=len, reverse=True)


def test_dsn_secrets_of_an_empty_dsn_is_empty() -> None:
    assert dsn_secrets("") == []

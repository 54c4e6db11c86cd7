"""What a free-text search matches: whole words (or word starts with ``*``), case and accents ignored."""

from __future__ import annotations

import pytest

from domain.run_search import Search

PROMPT = "A Lighthouse at dusk, café lights; 東京"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("lighthouse", True),
        ("LIGHTHOUSE DUSK", True),
        ("lighthouse dawn", False),  # every word must be found
        ("light", False),  # whole words
        ("light*", True),
        ("lights", True),
        ("cafe", True),
        ("CAFÉ", True),
        ("東京", True),
        ("blurry", True),  # the negative prompt counts too
        ("", True),
        ("!!", True),  # no word: no condition
    ],
)
def test_search_matches_words_of_the_prompts(text: str, found: bool) -> None:
    assert Search.parse(text).matches(PROMPT, "blurry") is found


def test_repeated_words_are_one_term() -> None:
    assert len(Search.parse("dusk Dusk DUSK light*").terms) == 2

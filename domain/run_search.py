"""Free-text search over a run's prompt and negative prompt: what a search text matches.

Text is compared word by word, ignoring case and accents: ``Lighthouse`` finds "a lighthouse at
dusk" and ``cafe`` finds "Café". A word of the search must equal a word of the prompt or the
negative prompt; a word ending in ``*`` need only begin one (``light*`` finds "lighthouse").
Every word of the search must be found. A search without any letter or digit matches every run.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")
_TERM = re.compile(r"([^\W_]+)(\*?)")


def fold(text: str) -> str:
    """Case-folded, with accents (combining marks) removed."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The words of ``text`` as search compares them: runs of letters and digits, folded."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True, slots=True)
class Term:
    word: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class Search:
    """A parsed search text; ``matches`` is the one definition every RunIndex must agree with."""

    terms: tuple[Term, ...]

    @classmethod
    def parse(cls, text: str | None) -> Search:
        if not text:
            return cls(())
        terms = dict.fromkeys(Term(word, bool(star)) for word, star in _TERM.findall(fold(text)))
        return cls(tuple(terms))

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches(self, prompt: str, negative_prompt: str) -> bool:
        if not self.terms:
            return True
        found = set(words(prompt))
        found.update(words(negative_prompt))
        return all(
            any(word.startswith(term.word) for word in found) if term.prefix else term.word in found
            for term in self.terms
        )

"""What the full-text table holds, so that SQLite finds every run ``Search.matches``.

FTS5's unicode61 tokenizer splits ASCII text exactly where ``domain.run_search.words`` does
(letters and digits form words, case ignored), so ASCII prompts are given to it as they are.
Other text is first split by ``words`` itself, and each non-ASCII character is written as
``u`` and six hex digits: the table then holds only ASCII words, and a word (or word prefix) of
a search written the same way finds every word it equals (or begins). A match found this way
is a candidate; ``Search.matches`` has the last word.
"""

from __future__ import annotations

from domain.run_search import Search, words


def searchable(prompt: str, negative_prompt: str) -> str:
    """The text stored in the full-text table for these prompts."""
    text = f"{prompt}\n{negative_prompt}"
    if text.isascii():
        return text
    return " ".join(_ascii(word) for word in words(text))


def fts_query(search: Search) -> str:
    """An FTS5 MATCH expression finding every run ``search`` may match (all terms, ANDed)."""
    return " ".join(f'"{_ascii(term.word)}"' + ("*" if term.prefix else "") for term in search.terms)


def _ascii(word: str) -> str:
    if word.isascii():
        return word
    return "".join(char if char.isascii() else f"u{ord(char):06x}" for char in word)

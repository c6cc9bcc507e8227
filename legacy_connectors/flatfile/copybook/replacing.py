"""The REPLACING phrase of a COPY statement: operands read from tokens, applied to a member.

Each pair is tried in order at every token of the member; the first that matches wins and
the scan resumes after the matched text (replaced text is not scanned again):

- ``==pseudo-text==``, an identifier or a literal is matched as whole words (words in any
  case, literals exactly) and replaced by the other operand's words;
- pseudo-text of one word holding a ``:TAG:`` or ``(TAG)`` marker replaces that part of any
  word (``05 :PFX:-NAME`` with ``==:PFX:== BY ==CUST==`` gives ``05 CUST-NAME``);
- ``LEADING`` / ``TRAILING ==part==`` replaces the start or the end of words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from legacy_connectors.flatfile.copybook.source import Token
from legacy_connectors.flatfile.errors import CopybookError

__all__ = ["Replacement", "apply_replacing", "pair", "read_operand"]

Mode = Literal["words", "part", "leading", "trailing"]

_TAG = re.compile(r":[^:\s]+:|\([^()\s]+\)")


@dataclass(frozen=True, slots=True)
class Replacement:
    """One ``old BY new`` pair of a REPLACING phrase."""

    old: tuple[Token, ...]
    new: tuple[Token, ...]
    mode: Mode = "words"

    def matches(self, tokens: Sequence[Token], i: int) -> bool:
        """True when this pair's old text starts at ``tokens[i]``."""
        if self.mode == "words":
            end = i + len(self.old)
            return end <= len(tokens) and all(
                _same(a, b) for a, b in zip(self.old, tokens[i:end], strict=True)
            )
        tok = tokens[i]
        if tok.literal or tok.text == ".":
            return False
        part, word = self.old[0].upper, tok.upper
        if self.mode == "part":
            return part in word
        if self.mode == "leading":
            return word.startswith(part)
        return word.endswith(part)

    def rewrite(self, text: str) -> str:
        """A word with this pair's part, prefix or suffix replaced (``part``/``leading``/...)."""
        part = self.old[0].text
        new = self.new[0].text if self.new else ""
        if self.mode == "part":
            return re.sub(re.escape(part), lambda _m: new, text, flags=re.IGNORECASE)
        if self.mode == "leading":
            return new + text[len(part) :]
        return text[: len(text) - len(part)] + new


def _same(pattern: Token, tok: Token) -> bool:
    if pattern.literal != tok.literal:
        return False
    return pattern.text == tok.text if tok.literal else pattern.upper == tok.upper


def _pseudo_text(tokens: Sequence[Token], i: int) -> tuple[tuple[Token, ...], int]:
    """Words between ``==`` and ``==`` from ``tokens[i]``, and the index after them."""
    start = tokens[i]
    words: list[Token] = []
    text = start.text[2:]
    tok = start
    while True:
        if not tok.literal and text.endswith("=="):
            words.extend(_split_period(tok, text[:-2]))
            return tuple(words), i + 1
        if tok.literal:
            words.append(tok)
        else:
            words.extend(_split_period(tok, text))
        i += 1
        if i >= len(tokens):
            raise CopybookError(
                "pseudo-text not closed by ==",
                line=start.line,
                column=start.column,
                source=start.source,
            )
        tok = tokens[i]
        text = tok.text


def _split_period(tok: Token, text: str) -> list[Token]:
    if not text:
        return []
    if text.endswith(".") and len(text) > 1:
        return [replace(tok, text=text[:-1]), replace(tok, text=".")]
    return [replace(tok, text=text)]


def read_operand(tokens: Sequence[Token], i: int) -> tuple[tuple[Token, ...], int]:
    """One REPLACING operand at ``tokens[i]`` (pseudo-text, literal or qualified identifier)."""
    tok = tokens[i]
    if not tok.literal and tok.text.startswith("=="):
        return _pseudo_text(tokens, i)
    words = [tok]
    i += 1
    while (
        not tok.literal
        and i + 1 < len(tokens)
        and not tokens[i].literal
        and tokens[i].upper in ("OF", "IN")
        and tokens[i + 1].text != "."
    ):
        words.extend(tokens[i : i + 2])
        i += 2
    return tuple(words), i


def pair(old: tuple[Token, ...], new: tuple[Token, ...], where: str, at: Token) -> Replacement:
    """A checked pair; ``where`` is ``LEADING``, ``TRAILING`` or empty."""
    mode: Mode = "words"
    if where:
        mode = "leading" if where == "LEADING" else "trailing"
    elif len(old) == 1 and not old[0].literal and _TAG.search(old[0].text):
        mode = "part"
    if not old:
        raise CopybookError(
            "REPLACING needs text to replace before BY (empty pseudo-text)",
            line=at.line,
            column=at.column,
            source=at.source,
        )
    if mode != "words" and (
        len(old) != 1 or len(new) > 1 or any(t.literal or t.text == "." for t in old + new)
    ):
        raise CopybookError(
            f"REPLACING {where or 'a :TAG: or (TAG) part'} takes one word on each side of BY, "
            f"got {' '.join(t.text for t in old)!r} BY {' '.join(t.text for t in new)!r}",
            line=at.line,
            column=at.column,
            source=at.source,
        )
    return Replacement(old, new, mode)


def apply_replacing(tokens: Sequence[Token], pairs: Sequence[Replacement]) -> list[Token]:
    """The member's tokens with every REPLACING pair applied (new words take the old place)."""
    if not pairs:
        return list(tokens)
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        hit = next((p for p in pairs if p.matches(tokens, i)), None)
        if hit is None:
            out.append(tok)
            i += 1
        elif hit.mode == "words":
            out.extend(
                replace(new, line=tok.line, column=tok.column, source=tok.source) for new in hit.new
            )
            i += len(hit.old)
        else:
            text = tok.text
            for p in pairs:
                if p.mode != "words" and p.matches([replace(tok, text=text)], 0):
                    text = p.rewrite(text)
            if text:
                out.append(replace(tok, text=text))
            i += 1
    return out

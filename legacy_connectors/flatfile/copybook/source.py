"""Copybook source text to tokens: fixed or free reference format, comments, continuation.

Fixed format: columns 1-6 are a sequence area, column 7 the indicator (``*`` or ``/`` comment,
``-`` continuation, ``D`` debugging line), columns 8-72 the code, 73-80 ignored. Free format:
the whole line is code, ``*>`` starts a comment, and a line whose first non-blank character is
``*`` or ``/`` is a comment (fixed-format comment lines such as a licence header's, kept in a
free-format copybook). ``detect_format`` picks one by looking at the lines when the format is
not stated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from legacy_connectors.flatfile.errors import CopybookError

__all__ = ["SourceFormat", "Token", "detect_format", "tokenize"]

SourceFormat = Literal["fixed", "free", "auto"]

_INDICATORS = frozenset(" *-/Dd$")


@dataclass(frozen=True, slots=True)
class Token:
    """One word, literal or period of copybook code, with where it starts (1-based)."""

    text: str
    line: int
    column: int
    literal: bool = False
    source: str = ""
    """File the token was read from (the copybook's or a COPY member's name); may be empty."""

    @property
    def upper(self) -> str:
        """The word in upper case (COBOL words are case-insensitive)."""
        return self.text.upper()


def detect_format(text: str) -> Literal["fixed", "free"]:
    """Fixed when every code line has a clean sequence area and an indicator in column 7."""
    seen = False
    for raw in text.splitlines():
        line = raw.expandtabs(8).rstrip()
        if not line.strip():
            continue
        if line.lstrip().startswith("*>"):
            continue
        seq = line[:6].ljust(6)
        if len(line) > 6 and line[6] not in _INDICATORS:
            return "free"
        if seq.strip() and (" " in seq.strip() or len(seq.strip()) != len(seq.rstrip())):
            return "free"
        if seq.strip() and seq.strip()[0].isdigit() and len(line) > 6 and line[6] == " ":
            head = line.split()[0]
            if head.isdigit() and len(head) <= 2:
                return "free"
        seen = True
    return "fixed" if seen else "free"


def _code_lines(text: str, fmt: Literal["fixed", "free"]) -> list[tuple[int, int, str, bool]]:
    """(line number, column of first code char, code, is continuation) for each code line."""
    out: list[tuple[int, int, str, bool]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.expandtabs(8).rstrip("\r\n\x1a")
        if fmt == "fixed":
            indicator = line[6] if len(line) > 6 else " "
            if indicator in "*/":
                continue
            if indicator in "Dd$":
                continue
            code = line[7:72]
            out.append((number, 8, code, indicator == "-"))
        else:
            stripped = line.lstrip()
            if stripped.startswith(("*", "/")):
                continue
            cut = line.find("*>")
            code = line if cut < 0 else line[:cut]
            out.append((number, 1, code, False))
    return out


def tokenize(text: str, fmt: SourceFormat = "auto", *, source: str = "") -> list[Token]:
    """Split copybook text into tokens; a period that ends a sentence is its own token ``.``.

    ``source`` names the file in each token and in errors (line numbers are that file's)."""
    chosen = detect_format(text) if fmt == "auto" else fmt
    tokens: list[Token] = []
    open_literal: list[str] | None = None
    quote = ""
    lit_line = lit_col = 0
    lit_prefix = ""
    for number, first_col, code, continued in _code_lines(text, chosen):
        i = 0
        if continued and open_literal is not None:
            start = code.find(quote)
            if start < 0:
                raise CopybookError(
                    "continuation line has no quote", line=number, column=7, source=source
                )
            i = start + 1
        elif open_literal is not None:
            raise CopybookError("literal not closed", line=lit_line, column=lit_col, source=source)
        n = len(code)
        while i < n or open_literal is not None:
            if open_literal is not None:
                end = code.find(quote, i)
                while end >= 0 and end + 1 < n and code[end + 1] == quote:
                    open_literal.append(code[i : end + 1])
                    i = end + 2
                    end = code.find(quote, i)
                if end < 0:
                    open_literal.append(code[i:].ljust(n - i if chosen == "free" else 65 - i))
                    break
                open_literal.append(code[i:end])
                tokens.append(
                    Token(lit_prefix + "".join(open_literal), lit_line, lit_col, True, source)
                )
                open_literal = None
                i = end + 1
                continue
            ch = code[i]
            if ch in " ,;" and (ch == " " or i + 1 >= n or code[i + 1] == " "):
                i += 1
                continue
            col = first_col + i
            prefix = ""
            if ch in "xXnNgG" and i + 1 < n and code[i + 1] in "'\"":
                prefix = ch.upper() + ":"
                i += 1
                ch = code[i]
            if ch in "'\"":
                quote, open_literal, lit_line, lit_col, lit_prefix = ch, [], number, col, prefix
                i += 1
                continue
            j = i
            while j < n and code[j] != " " and code[j] not in "'\"":
                j += 1
            word = code[i:j]
            i = j
            trailing_period = word.endswith(".") and (j >= n or code[j] == " ")
            if trailing_period:
                word = word[:-1]
            while word and word[-1] in ",;" and (j >= n or code[j] == " "):
                word = word[:-1]
            if word:
                tokens.append(Token(word, number, col, source=source))
            if trailing_period:
                tokens.append(Token(".", number, col + len(word), source=source))
    if open_literal is not None:
        raise CopybookError("literal not closed", line=lit_line, column=lit_col, source=source)
    return tokens

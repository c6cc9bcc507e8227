"""Copybook parser: data description entries to a tree of :class:`Field` with offsets."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from legacy_connectors.flatfile.copybook.copies import expand_copies, read_source
from legacy_connectors.flatfile.copybook.layout import assign_offsets
from legacy_connectors.flatfile.copybook.model import Copybook, Field, Usage
from legacy_connectors.flatfile.copybook.picture import PictureError, parse_picture
from legacy_connectors.flatfile.copybook.source import SourceFormat, Token, tokenize
from legacy_connectors.flatfile.errors import CopybookError

__all__ = ["load_copybook", "parse_copybook"]

_USAGES = {
    "DISPLAY": Usage.DISPLAY,
    "COMP": Usage.BINARY,
    "COMPUTATIONAL": Usage.BINARY,
    "COMP-0": Usage.BINARY,
    "COMPUTATIONAL-0": Usage.BINARY,
    "COMP-4": Usage.BINARY,
    "COMPUTATIONAL-4": Usage.BINARY,
    "BINARY": Usage.BINARY,
    "COMP-5": Usage.NATIVE_BINARY,
    "COMPUTATIONAL-5": Usage.NATIVE_BINARY,
    "COMP-9": Usage.BINARY_LE,
    "COMPUTATIONAL-9": Usage.BINARY_LE,
    "COMP-3": Usage.PACKED,
    "COMPUTATIONAL-3": Usage.PACKED,
    "PACKED-DECIMAL": Usage.PACKED,
    "COMP-1": Usage.FLOAT,
    "COMPUTATIONAL-1": Usage.FLOAT,
    "COMP-2": Usage.DOUBLE,
    "COMPUTATIONAL-2": Usage.DOUBLE,
}
_UNSUPPORTED_USAGES = frozenset(
    {
        "NATIONAL",
        "DISPLAY-1",
        "POINTER",
        "PROCEDURE-POINTER",
        "FUNCTION-POINTER",
        "INDEX",
        "OBJECT",
        "UTF-8",
        "COMP-6",
        "COMPUTATIONAL-6",
    }
)
_FIGURATIVE = {
    "SPACE": " ",
    "SPACES": " ",
    "ZERO": 0,
    "ZEROS": 0,
    "ZEROES": 0,
    "LOW-VALUE": "\x00",
    "LOW-VALUES": "\x00",
    "HIGH-VALUE": "\xff",
    "HIGH-VALUES": "\xff",
    "QUOTE": '"',
    "QUOTES": '"',
    "NULL": "\x00",
    "NULLS": "\x00",
}
_NOISE = frozenset({"IS", "ARE", "TIMES", "ON", "KEY", "BY", "CHARACTER", "WHEN"})


class _Sentence:
    """The tokens of one data description entry, consumed left to right."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self, what: str) -> Token:
        tok = self.peek()
        if tok is None:
            last = self.tokens[-1]
            raise CopybookError(
                f"expected {what} after {last.text!r}",
                line=last.line,
                column=last.column,
                source=last.source,
            )
        self.i += 1
        return tok

    def skip_noise(self, *words: str) -> None:
        while (tok := self.peek()) is not None and not tok.literal and tok.upper in words:
            self.i += 1


_DIRECTIVES = frozenset({"EJECT", "SKIP1", "SKIP2", "SKIP3", "TITLE", "REPLACE"})


def _sentences(tokens: list[Token], warnings: list[str]) -> list[list[Token]]:
    out: list[list[Token]] = []
    current: list[Token] = []
    skipping = False
    for tok in tokens:
        if tok.text == "." and not tok.literal:
            if current:
                out.append(current)
            current = []
            skipping = False
        elif skipping:
            continue
        elif not current and not tok.literal and tok.upper in _DIRECTIVES:
            if tok.upper == "REPLACE":
                where = f"{tok.source}, " if tok.source else ""
                warnings.append(
                    f"{where}line {tok.line}, column {tok.column}: REPLACE statement ignored "
                    "(use COPY ... REPLACING)"
                )
            skipping = tok.upper not in ("EJECT", "SKIP1", "SKIP2", "SKIP3")
            if not skipping:
                continue
        elif not current and not tok.literal and not tok.text.isdigit():
            raise CopybookError(
                f"expected a level number, found {tok.text!r}",
                line=tok.line,
                column=tok.column,
                source=tok.source,
            )
        else:
            current.append(tok)
    if current:
        out.append(current)
    return out


def _literal(tok: Token) -> Any:
    if tok.literal:
        if tok.text.startswith("X:"):
            try:
                return bytes.fromhex(tok.text[2:]).decode("latin-1")
            except ValueError as exc:
                raise CopybookError(
                    f"bad hex literal {tok.text[2:]!r}",
                    line=tok.line,
                    column=tok.column,
                    source=tok.source,
                ) from exc
        return tok.text.split(":", 1)[1] if tok.text[1:2] == ":" else tok.text
    word = tok.upper
    if word.startswith("ALL"):
        return word
    if word in _FIGURATIVE:
        return _FIGURATIVE[word]
    try:
        number = Decimal(word)
    except InvalidOperation as exc:
        raise CopybookError(
            f"expected a literal, found {tok.text!r}",
            line=tok.line,
            column=tok.column,
            source=tok.source,
        ) from exc
    return int(number) if number == number.to_integral_value() and "." not in word else number


def _values(s: _Sentence) -> list[Any]:
    s.skip_noise("IS", "ARE")
    values: list[Any] = []
    while (tok := s.peek()) is not None:
        if not tok.literal and tok.upper in ("THRU", "THROUGH"):
            s.i += 1
            hi = _literal(s.next("a literal after THRU"))
            values[-1] = (values[-1], hi)
            continue
        if not tok.literal and tok.upper in ("ALL",):
            s.i += 1
            continue
        if not tok.literal and not (
            tok.text[0].isdigit() or tok.text[0] in "+-." or tok.upper in _FIGURATIVE
        ):
            break
        values.append(_literal(s.next("a literal")))
    return values


def _entry(tokens: list[Token], warnings: list[str]) -> Field:
    s = _Sentence(tokens)
    level_tok = s.next("a level number")
    level = int(level_tok.text)
    if level == 66:
        raise CopybookError(
            "level 66 (RENAMES) is not supported",
            line=level_tok.line,
            column=level_tok.column,
            source=level_tok.source,
        )
    if not (1 <= level <= 49 or level in (77, 88)):
        raise CopybookError(
            f"level number {level} is not valid",
            line=level_tok.line,
            column=level_tok.column,
            source=level_tok.source,
        )
    name = "FILLER"
    name_tok = s.peek()
    if name_tok is not None and not name_tok.literal and name_tok.upper not in _CLAUSES:
        name = s.next("a name").text.upper()
    node = Field(
        level=level,
        name=name,
        line=level_tok.line,
        column=level_tok.column,
        source=level_tok.source,
    )
    while (tok := s.peek()) is not None:
        word = tok.upper
        s.i += 1
        if tok.literal:
            raise CopybookError(
                f"unexpected literal {tok.text!r}",
                line=tok.line,
                column=tok.column,
                source=tok.source,
            )
        if word in ("PIC", "PICTURE"):
            s.skip_noise("IS")
            pic_tok = s.next("a PICTURE string")
            try:
                node.picture = parse_picture(pic_tok.text)
            except PictureError as exc:
                raise CopybookError(
                    str(exc), line=pic_tok.line, column=pic_tok.column, source=pic_tok.source
                ) from exc
        elif word == "USAGE":
            s.skip_noise("IS")
            _usage(node, s.next("a usage"))
        elif word in _USAGES or word in _UNSUPPORTED_USAGES:
            _usage(node, tok)
        elif word == "REDEFINES":
            node.redefines = s.next("a name after REDEFINES").text.upper()
            _skip_qualifiers(s)
        elif word == "OCCURS":
            _occurs(node, s)
        elif word in ("VALUE", "VALUES"):
            values = _values(s)
            if level == 88:
                node.value = values
            else:
                node.value = values[0] if values else None
        elif word == "SIGN":
            s.skip_noise("IS")
            _sign(node, s.next("LEADING or TRAILING"), s)
        elif word in ("LEADING", "TRAILING"):
            _sign(node, tok, s)
        elif word in ("SYNC", "SYNCHRONIZED"):
            s.skip_noise("LEFT", "RIGHT")
            warnings.append(
                f"line {tok.line}, column {tok.column}: {word} on {name} ignored "
                "(no slack bytes are inserted)"
            )
        elif word in ("JUST", "JUSTIFIED"):
            s.skip_noise("RIGHT")
        elif word == "BLANK":
            s.skip_noise("WHEN")
            s.next("ZERO after BLANK WHEN")
        elif word in ("GLOBAL", "EXTERNAL"):
            continue
        elif word == "RENAMES":
            raise CopybookError(
                "RENAMES is not supported", line=tok.line, column=tok.column, source=tok.source
            )
        else:
            raise CopybookError(
                f"unsupported or unknown clause {tok.text!r} in {name}",
                line=tok.line,
                column=tok.column,
                source=tok.source,
            )
    return node


_CLAUSES = frozenset(
    {
        "PIC",
        "PICTURE",
        "USAGE",
        "REDEFINES",
        "OCCURS",
        "VALUE",
        "VALUES",
        "SIGN",
        "LEADING",
        "TRAILING",
        "SYNC",
        "SYNCHRONIZED",
        "JUST",
        "JUSTIFIED",
        "BLANK",
        "GLOBAL",
        "EXTERNAL",
        "RENAMES",
    }
    | set(_USAGES)
    | _UNSUPPORTED_USAGES
)


def _usage(node: Field, tok: Token) -> None:
    word = tok.upper
    if word in _UNSUPPORTED_USAGES:
        raise CopybookError(
            f"USAGE {word} is not supported", line=tok.line, column=tok.column, source=tok.source
        )
    if word not in _USAGES:
        raise CopybookError(
            f"unknown USAGE {tok.text!r}", line=tok.line, column=tok.column, source=tok.source
        )
    node.usage = _USAGES[word]


def _sign(node: Field, tok: Token, s: _Sentence) -> None:
    if tok.upper not in ("LEADING", "TRAILING"):
        raise CopybookError(
            f"expected LEADING or TRAILING, found {tok.text!r}",
            line=tok.line,
            column=tok.column,
            source=tok.source,
        )
    node.sign_leading = tok.upper == "LEADING"
    nxt = s.peek()
    if nxt is not None and not nxt.literal and nxt.upper == "SEPARATE":
        s.i += 1
        s.skip_noise("CHARACTER")
        node.sign_separate = True


def _skip_qualifiers(s: _Sentence) -> None:
    while (tok := s.peek()) is not None and not tok.literal and tok.upper in ("OF", "IN"):
        s.i += 1
        s.next("a name after OF")


def _int(tok: Token, what: str) -> int:
    if not tok.text.isdigit():
        raise CopybookError(
            f"expected {what}, found {tok.text!r}",
            line=tok.line,
            column=tok.column,
            source=tok.source,
        )
    return int(tok.text)


def _occurs(node: Field, s: _Sentence) -> None:
    first = _int(s.next("a count after OCCURS"), "a count after OCCURS")
    node.occurs = first
    nxt = s.peek()
    if nxt is not None and not nxt.literal and nxt.upper == "TO":
        s.i += 1
        node.occurs_min = first
        node.occurs = _int(s.next("a count after TO"), "a count after TO")
    s.skip_noise("TIMES")
    while (tok := s.peek()) is not None and not tok.literal:
        word = tok.upper
        if word == "DEPENDING":
            s.i += 1
            s.skip_noise("ON")
            node.depending_on = s.next("a name after DEPENDING ON").text.upper()
            _skip_qualifiers(s)
        elif word in ("ASCENDING", "DESCENDING"):
            s.i += 1
            s.skip_noise("KEY", "IS")
            while (
                (k := s.peek()) is not None
                and not k.literal
                and k.upper not in _CLAUSES
                and k.upper not in ("ASCENDING", "DESCENDING", "INDEXED")
            ):
                s.i += 1
        elif word == "INDEXED":
            s.i += 1
            s.skip_noise("BY")
            while (
                (k := s.peek()) is not None
                and not k.literal
                and k.upper not in _CLAUSES
                and k.upper not in ("ASCENDING", "DESCENDING")
            ):
                s.i += 1
        else:
            break
    if node.depending_on is None and node.occurs_min is not None:
        node.occurs_min = None


def _build_tree(entries: list[Field]) -> list[Field]:
    roots: list[Field] = []
    stack: list[Field] = []
    last: Field | None = None
    for entry in entries:
        if entry.level == 88:
            if last is None:
                raise CopybookError(
                    "level 88 without an item above it",
                    line=entry.line,
                    column=entry.column,
                    source=entry.source,
                )
            last.conditions[entry.name] = list(entry.value or [])
            continue
        if entry.level in (1, 77):
            roots.append(entry)
            stack = [entry]
            last = entry
            continue
        if not stack:
            stack = [
                Field(
                    level=0,
                    name="RECORD",
                    line=entry.line,
                    column=entry.column,
                    source=entry.source,
                )
            ]
            roots.append(stack[0])
        while stack and stack[-1].level >= entry.level:
            stack.pop()
        if not stack:
            raise CopybookError(
                f"level {entry.level:02d} {entry.name} has no group above it",
                line=entry.line,
                column=entry.column,
                source=entry.source,
            )
        parent = stack[-1]
        if parent.picture is not None:
            raise CopybookError(
                f"{parent.name} has a PICTURE but {entry.name} is below it",
                line=entry.line,
                column=entry.column,
                source=entry.source,
            )
        entry.parent = parent
        parent.children.append(entry)
        stack.append(entry)
        last = entry
    return roots


def parse_copybook(
    text: str,
    *,
    source_format: SourceFormat = "auto",
    copybook_dirs: Sequence[Path] = (),
    origin: Path | None = None,
) -> Copybook:
    """Parse copybook text into its records, with offsets and sizes computed.

    COPY statements are expanded first (see :mod:`legacy_connectors.flatfile.copybook.copies`):
    members are looked up in ``origin``'s folder (the copybook's file, when the text came from
    one), then in ``copybook_dirs``; errors name ``origin``'s file name or the member's.
    """
    warnings: list[str] = []
    name = origin.name if origin is not None else ""
    tokens = expand_copies(
        tokenize(text, source_format, source=name), origin=origin, copybook_dirs=copybook_dirs
    )
    entries = [_entry(sentence, warnings) for sentence in _sentences(tokens, warnings)]
    if not entries:
        raise CopybookError("no data description entries found", source=name)
    roots = _build_tree(entries)
    for root in roots:
        assign_offsets(root)
    return Copybook(records=roots, warnings=warnings)


def load_copybook(
    path: str | Path,
    *,
    source_format: SourceFormat = "auto",
    copybook_dirs: Sequence[Path] = (),
) -> Copybook:
    """Read and parse a copybook file, expanding its COPY statements (members are looked up in
    its own folder, then in ``copybook_dirs``); any single-byte text encoding, UTF-8 first."""
    origin = Path(path)
    return parse_copybook(
        read_source(origin),
        source_format=source_format,
        copybook_dirs=copybook_dirs,
        origin=origin,
    )

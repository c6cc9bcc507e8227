"""COPY statements: each is replaced by its member's text before the copybook is parsed.

``COPY name [OF|IN library] [SUPPRESS] [REPLACING old BY new ...] .`` may stand anywhere in a
copybook. The member is looked up in the folder of the file holding the statement, then the
top copybook's folder, then each configured folder (``library``, when given, as a sub-folder
first), under the names ``name``, ``name.cpy``, ``name.cbl``, ``name.cob`` in the case written,
upper and lower case. Each member is read in its own format (fixed or free, detected), its own
COPY statements expanded first, then the REPLACING pairs applied to the whole. Errors name the
file and its own line; a member that includes itself, directly or not, is a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from legacy_connectors.flatfile.copybook.replacing import (
    Replacement,
    apply_replacing,
    pair,
    read_operand,
)
from legacy_connectors.flatfile.copybook.source import Token, tokenize
from legacy_connectors.flatfile.errors import CopybookError

__all__ = [
    "MEMBER_SUFFIXES",
    "CopyStatement",
    "expand_copies",
    "find_member",
    "read_source",
    "read_statement",
]

MEMBER_SUFFIXES = ("", ".cpy", ".CPY", ".cbl", ".CBL", ".cob", ".COB")
"""File name endings tried for a member, in this order."""

_MAX_DEPTH = 32


@dataclass(frozen=True, slots=True)
class CopyStatement:
    """One COPY statement as written: the member, its library and the REPLACING pairs."""

    member: str
    library: str | None
    replacing: tuple[Replacement, ...]
    at: Token
    """The ``COPY`` word (its file, line and column are where errors point)."""


def read_source(path: Path) -> str:
    """A copybook or member file's text (UTF-8, else any single-byte encoding as Latin-1)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _error(message: str, at: Token) -> CopybookError:
    return CopybookError(message, line=at.line, column=at.column, source=at.source)


def _next(tokens: Sequence[Token], i: int, what: str, stmt: Token) -> Token:
    if i >= len(tokens):
        raise _error(f"COPY statement ends before {what}", stmt)
    return tokens[i]


def read_statement(tokens: Sequence[Token], i: int) -> tuple[CopyStatement, int]:
    """The COPY statement whose ``COPY`` word is ``tokens[i]``, and the index after its period."""
    at = tokens[i]
    name_tok = _next(tokens, i + 1, "a member name", at)
    if name_tok.text == "." and not name_tok.literal:
        raise _error("COPY needs a member name", at)
    i += 2
    library: str | None = None
    pairs: list[Replacement] = []
    while (tok := _next(tokens, i, "its period", at)).text != "." or tok.literal:
        word = "" if tok.literal else tok.upper
        if word in ("OF", "IN") and library is None and not pairs:
            lib_tok = _next(tokens, i + 1, "a library name", at)
            if lib_tok.text == "." and not lib_tok.literal:
                raise _error(f"COPY {name_tok.text} {word} needs a library name", lib_tok)
            library = lib_tok.text
            i += 2
        elif word == "SUPPRESS" and not pairs:
            i += 1
        elif word == "REPLACING" and not pairs:
            i += 1
            i = _read_pairs(tokens, i, at, pairs)
        else:
            raise _error(
                f"COPY {name_tok.text}: expected OF, IN, REPLACING or '.', found {tok.text!r}",
                tok,
            )
    return CopyStatement(name_tok.text, library, tuple(pairs), at), i + 1


def _read_pairs(tokens: Sequence[Token], i: int, at: Token, pairs: list[Replacement]) -> int:
    while (tok := _next(tokens, i, "its period", at)).text != "." or tok.literal:
        where = ""
        if not tok.literal and tok.upper in ("LEADING", "TRAILING"):
            where = tok.upper
            i += 1
        old, i = read_operand(tokens, i)
        by = _next(tokens, i, "BY", at)
        if by.literal or by.upper != "BY":
            raise _error(f"REPLACING: expected BY, found {by.text!r}", by)
        _next(tokens, i + 1, "the text after BY", at)
        new, i = read_operand(tokens, i + 1)
        pairs.append(pair(old, new, where, tok))
    if not pairs:
        raise _error("REPLACING needs at least one 'old BY new' pair", at)
    return i


def _names(member: str) -> list[str]:
    bases = dict.fromkeys([member, member.upper(), member.lower()])
    return list(dict.fromkeys(base + suffix for base in bases for suffix in MEMBER_SUFFIXES))


def find_member(member: str, library: str | None, folders: Sequence[Path]) -> Path | None:
    """The first file holding ``member`` in ``folders`` (``library`` sub-folders first)."""
    names = _names(member)
    for folder in folders:
        subs = dict.fromkeys([library, library.upper(), library.lower()]) if library else {}
        for sub in [*subs, None]:
            base = folder / sub if sub else folder
            for name in names:
                candidate = base / name
                if candidate.is_file():
                    return candidate
    return None


class _Expander:
    def __init__(self, dirs: Sequence[Path], top: Path | None) -> None:
        self.dirs = [Path(d) for d in dirs]
        self.top_folder = top.parent if top is not None else None

    def folders(self, here: Path | None) -> list[Path]:
        found = [here, self.top_folder, *self.dirs]
        return list(dict.fromkeys(f for f in found if f is not None))

    def expand(
        self, tokens: Sequence[Token], here: Path | None, chain: tuple[Path, ...]
    ) -> list[Token]:
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.literal or tok.upper != "COPY":
                out.append(tok)
                i += 1
                continue
            stmt, i = read_statement(tokens, i)
            out.extend(self.member(stmt, here, chain))
        return out

    def member(
        self, stmt: CopyStatement, here: Path | None, chain: tuple[Path, ...]
    ) -> list[Token]:
        folders = self.folders(here)
        try:
            path = find_member(stmt.member, stmt.library, folders)
        except OSError as exc:
            raise _error(
                f"COPY member {stmt.member!r} cannot be looked up: {exc.strerror}", stmt.at
            ) from exc
        if path is None:
            looked = ", ".join(str(f) for f in folders) or "no folder (none configured)"
            raise _error(
                f"COPY member {stmt.member!r} not found in {looked} "
                f"(tried {', '.join(_names(stmt.member)[: len(MEMBER_SUFFIXES)])}, "
                "also in upper and lower case)",
                stmt.at,
            )
        resolved = path.resolve()
        if resolved in chain:
            cycle = " -> ".join(p.name for p in (*chain[chain.index(resolved) :], resolved))
            raise _error(f"COPY member {stmt.member!r} makes a cycle: {cycle}", stmt.at)
        if len(chain) >= _MAX_DEPTH:
            raise _error(f"COPY member {stmt.member!r} is nested over {_MAX_DEPTH} deep", stmt.at)
        try:
            text = read_source(path)
        except OSError as exc:
            raise _error(
                f"COPY member {stmt.member!r} ({path}) cannot be read: {exc.strerror}", stmt.at
            ) from exc
        tokens = tokenize(text, "auto", source=path.name)
        expanded = self.expand(tokens, path.parent, (*chain, resolved))
        return apply_replacing(expanded, stmt.replacing)


def expand_copies(
    tokens: Sequence[Token],
    *,
    origin: Path | None = None,
    copybook_dirs: Sequence[Path] = (),
) -> list[Token]:
    """``tokens`` with every COPY statement replaced by its member's tokens, recursively.

    ``origin`` is the copybook file the tokens come from (its folder is searched first and it
    counts in cycles); ``copybook_dirs`` are searched next, in order.
    """
    chain = (origin.resolve(),) if origin is not None else ()
    here = origin.parent if origin is not None else None
    return _Expander(copybook_dirs, origin).expand(tokens, here, chain)

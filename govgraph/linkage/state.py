"""The link state: what a relink needs of the last run, in a SQLite file beside the index.

After a full run :func:`~govgraph.linkage.link` writes, and after each relink updates:

- ``meta``: the state's layout version, the rules' ``MODEL_VERSION``, the fitted model's
  parameters (exact), the sources in reading order with their node kinds and trust, each
  source's change-feed cursor taken before its read (``null`` without a feed), the next node
  number, and ``pending`` while the index is being written;
- ``rec``: every identity-bearing record key (source, key) with its node, the identities its
  records map to (JSON) and a 64-bit fingerprint of them; ``att`` the same for records that
  attach by another's identifier (with that identifier's value, ``hv``);
- ``block``: (blocking key, node) for every node, so "the nodes sharing a key with these" is
  one indexed look-up; ``held``: (identifier value, node) for attachment holders;
- ``edge``: every node pair scored at review level or above (weight, probability, whether
  the exact rule held), the only pairs a decision depends on.

A state that is missing, unreadable, of another layout or model version, or left ``pending``
by an interrupted write is not used (:class:`StateUnusable` says why): the run is full.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from datetime import date
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from typing import Any

from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel
from govgraph.linkage.sources import Attachment

__all__ = [
    "LAYOUT",
    "LinkState",
    "StateUnusable",
    "attachment_data",
    "fingerprint",
    "identity_data",
    "make_attachment",
    "make_identity",
    "model_from_json",
    "model_json",
    "state_path_for",
    "stored_model",
]

LAYOUT = 1
"""Version of the state's tables; another version is not read."""
_CHUNK = 900
"""Values per ``IN (...)`` (SQLite's default limit on bound parameters is 999)."""

_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE rec (source TEXT NOT NULL, key TEXT NOT NULL, node INTEGER NOT NULL,
  fp INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (source, key)) WITHOUT ROWID;
CREATE TABLE att (source TEXT NOT NULL, key TEXT NOT NULL, hv TEXT NOT NULL,
  fp INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (source, key)) WITHOUT ROWID;
CREATE TABLE block (bkey INTEGER NOT NULL, node INTEGER NOT NULL);
CREATE TABLE held (hv TEXT NOT NULL, node INTEGER NOT NULL);
CREATE TABLE edge (a INTEGER NOT NULL, b INTEGER NOT NULL, w REAL NOT NULL, p REAL NOT NULL,
  exact INTEGER NOT NULL);
"""
_INDEXES = """
CREATE INDEX rec_node ON rec (node);
CREATE INDEX att_hv ON att (hv);
CREATE INDEX block_key ON block (bkey, node);
CREATE INDEX held_hv ON held (hv, node);
CREATE INDEX edge_a ON edge (a);
CREATE INDEX edge_b ON edge (b);
"""
"""Made after a full write's rows are in (one sort each instead of a B-tree insert per row).
Rows are streamed in, never all held: ``rec`` comes sorted by its key."""


class StateUnusable(Exception):
    """The link state cannot be used for a relink; the message says why (a full run follows)."""


def state_path_for(index_url: str) -> Path | None:
    """The default state file of a SQLite index (``<index file>.linkstate``); ``None`` for any
    other store (give ``--state`` to relink incrementally there)."""
    prefix = "sqlite+aiosqlite:///"
    if not index_url.startswith(prefix):
        return None
    path = index_url[len(prefix) :].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path + ".linkstate")


def identity_data(i: Identity) -> list[Any]:
    """An identity's mapped fields, JSON-ready (``make_identity`` builds it again)."""
    dob = i.date_of_birth.isoformat() if i.date_of_birth is not None else None
    return [
        i.surname,
        i.given_name,
        i.middle_names,
        dob,
        i.sex,
        i.postcode,
        list(i.address_lines),
        i.town,
        i.licence_number,
        [list(h) for h in i.held],
    ]


def make_identity(source: str, key: str, d: Sequence[Any]) -> Identity:
    """The identity ``identity_data`` gave ``d`` for."""
    return Identity(
        source,
        key,
        d[0],
        d[1],
        d[2],
        date.fromisoformat(d[3]) if d[3] else None,
        d[4],
        d[5],
        tuple(d[6]),
        d[7],
        d[8],
        tuple((h[0], h[1]) for h in d[9]),
    )


def attachment_data(a: Attachment) -> list[Any]:
    """An attachment's fields, JSON-ready (``make_attachment`` builds it again)."""
    return [a.identifier, a.value, a.surname, a.forenames, a.postcode]


def make_attachment(source: str, key: str, d: Sequence[Any]) -> Attachment:
    """The attachment ``attachment_data`` gave ``d`` for."""
    return Attachment(source, key, d[0], d[1], d[2], d[3], d[4])


def held_value(identifier: str, value: str) -> str:
    """One text for an identifier's value (the ``hv`` column)."""
    return f"{identifier}\x1f{value}"


def dumps(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def fingerprint(text: str) -> int:
    """A signed 64-bit digest of a record's mapped data."""
    return int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def model_json(model: FSModel) -> str:
    """The model's parameters, exact (doubles round-trip through JSON)."""
    return dumps({"m": model.m, "u": model.u, "prior": model.prior, "iterations": model.iterations})


def model_from_json(text: str) -> FSModel:
    """The model ``model_json`` gave ``text`` for."""
    d = json.loads(text)
    return FSModel(
        m=[list(x) for x in d["m"]],
        u=[list(x) for x in d["u"]],
        prior=float(d["prior"]),
        iterations=int(d["iterations"]),
    )


def stored_model(path: Path) -> FSModel:
    """The fitted model a state holds (:class:`StateUnusable` if it cannot be read)."""
    state = LinkState.open(path)
    try:
        return model_from_json(dumps(state.meta["model"]))
    finally:
        state.close()


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


@lru_cache(maxsize=64)
def _marks(n: int) -> str:
    return ",".join("?" * n)


class LinkState:
    """An open state file (one connection, used from one thread at a time)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self.meta: dict[str, Any] = {
            name: json.loads(value) for name, value in conn.execute("SELECT name, value FROM meta")
        }

    # -- opening and writing whole ------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> LinkState:
        """Open an existing state for a relink; :class:`StateUnusable` when it cannot serve."""
        if not path.exists():
            raise StateUnusable("no link state from an earlier run")
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            state = cls(path, conn)
        except sqlite3.Error as exc:
            raise StateUnusable(f"the link state cannot be read ({exc})") from exc
        try:
            if state.meta.get("layout") != LAYOUT:
                raise StateUnusable(f"the link state has layout {state.meta.get('layout')}")
            if state.meta.get("pending"):
                raise StateUnusable("the last run stopped while writing the index")
            for name in ("model_version", "model", "sources", "cursors", "next_node"):
                if name not in state.meta:
                    raise StateUnusable(f"the link state has no {name}")
        except StateUnusable:
            conn.close()
            raise
        return state

    def close(self) -> None:
        self.conn.close()

    @staticmethod
    def write(
        path: Path,
        meta: Mapping[str, Any],
        recs: Iterable[tuple[str, str, int, int, str]],
        atts: Iterable[tuple[str, str, str, int, str]],
        blocks: Iterable[tuple[int, int]],
        held: Iterable[tuple[str, int]],
        edges: Iterable[tuple[int, int, float, float, int]],
    ) -> None:
        """Write a whole new state at ``path`` (a file that must not exist yet); each
        (blocking key, node), (held value, node) and edge once."""
        with closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO meta VALUES (?, ?)", [(k, dumps(v)) for k, v in meta.items()]
            )
            conn.executemany("INSERT INTO rec VALUES (?, ?, ?, ?, ?)", recs)
            conn.executemany("INSERT INTO att VALUES (?, ?, ?, ?, ?)", atts)
            conn.executemany("INSERT INTO block VALUES (?, ?)", blocks)
            conn.executemany("INSERT INTO held VALUES (?, ?)", held)
            conn.executemany("INSERT INTO edge VALUES (?, ?, ?, ?, ?)", edges)
            conn.execute("COMMIT")
            conn.executescript(_INDEXES)
            conn.execute("PRAGMA journal_mode=WAL")

    # -- reads --------------------------------------------------------------------------------

    def fingerprints(self, source: str) -> dict[str, int]:
        """Every stored key of ``source`` (records and attachments) with its fingerprint."""
        out = dict(self.conn.execute("SELECT key, fp FROM rec WHERE source = ?", (source,)))
        out.update(self.conn.execute("SELECT key, fp FROM att WHERE source = ?", (source,)))
        return out

    def recs(self, source: str, keys: Sequence[str]) -> dict[str, tuple[int, int, str]]:
        """(node, fingerprint, data) of each stored key of ``source`` among ``keys``."""
        out: dict[str, tuple[int, int, str]] = {}
        for part in _chunks(keys):
            for key, node, fp, data in self.conn.execute(
                "SELECT key, node, fp, data FROM rec WHERE source = ? "
                f"AND key IN ({_marks(len(part))})",
                (source, *part),
            ):
                out[key] = (node, fp, data)
        return out

    def atts(self, source: str, keys: Sequence[str]) -> dict[str, tuple[str, int, str]]:
        """(held value, fingerprint, data) of each stored attachment of ``source`` in ``keys``."""
        out: dict[str, tuple[str, int, str]] = {}
        for part in _chunks(keys):
            for key, hv, fp, data in self.conn.execute(
                "SELECT key, hv, fp, data FROM att WHERE source = ? "
                f"AND key IN ({_marks(len(part))})",
                (source, *part),
            ):
                out[key] = (hv, fp, data)
        return out

    def atts_holding(self, hvs: Sequence[str]) -> list[tuple[str, str, str, str]]:
        """(source, key, held value, data) of every stored attachment by one of ``hvs``."""
        out: list[tuple[str, str, str, str]] = []
        for part in _chunks(sorted(set(hvs))):
            out += self.conn.execute(
                f"SELECT source, key, hv, data FROM att WHERE hv IN ({_marks(len(part))})",
                tuple(part),
            ).fetchall()
        return out

    def node_recs(self, nodes: Iterable[int]) -> dict[int, list[tuple[str, str, str]]]:
        """(source, key, data) of every stored record of each node."""
        out: dict[int, list[tuple[str, str, str]]] = {}
        for part in _chunks(sorted(set(nodes))):
            for node, source, key, data in self.conn.execute(
                f"SELECT node, source, key, data FROM rec WHERE node IN ({_marks(len(part))})",
                tuple(part),
            ):
                out.setdefault(node, []).append((source, key, data))
        return out

    def nodes_of(self, source: str, keys: Sequence[str]) -> dict[str, int]:
        """The node of each stored record key of ``source`` among ``keys``."""
        out: dict[str, int] = {}
        for part in _chunks(sorted(set(keys))):
            out.update(
                self.conn.execute(
                    f"SELECT key, node FROM rec WHERE source = ? AND key IN ({_marks(len(part))})",
                    (source, *part),
                )
            )
        return out

    def nodes_with_keys(self, bkeys: Iterable[int]) -> set[int]:
        """Every node with one of the blocking keys ``bkeys``."""
        out: set[int] = set()
        for part in _chunks(sorted(set(bkeys))):
            out.update(
                n
                for (n,) in self.conn.execute(
                    f"SELECT node FROM block WHERE bkey IN ({_marks(len(part))})", tuple(part)
                )
            )
        return out

    def holders(self, hvs: Iterable[str]) -> dict[str, set[int]]:
        """The nodes holding each identifier value."""
        out: dict[str, set[int]] = {}
        for part in _chunks(sorted(set(hvs))):
            for hv, node in self.conn.execute(
                f"SELECT hv, node FROM held WHERE hv IN ({_marks(len(part))})", tuple(part)
            ):
                out.setdefault(hv, set()).add(node)
        return out

    def edges(self, nodes: Iterable[int]) -> list[tuple[int, int, float, float, int]]:
        """Every stored edge with an end in ``nodes``."""
        found: dict[tuple[int, int], tuple[int, int, float, float, int]] = {}
        for part in _chunks(sorted(set(nodes))):
            marks = _marks(len(part))
            for row in self.conn.execute(
                f"SELECT a, b, w, p, exact FROM edge WHERE a IN ({marks}) "
                f"UNION ALL SELECT a, b, w, p, exact FROM edge WHERE b IN ({marks})",
                (*part, *part),
            ):
                found[(row[0], row[1])] = row
        return list(found.values())

    # -- updates ------------------------------------------------------------------------------

    def set_pending(self) -> None:
        """Mark the state as not matching the index until :meth:`update` finishes."""
        self.conn.execute(
            "INSERT OR REPLACE INTO meta VALUES ('pending', 'true')",
        )

    def update(
        self,
        meta: Mapping[str, Any],
        rec_removed: Iterable[tuple[str, str]],
        recs: Iterable[tuple[str, str, int, int, str]],
        att_removed: Iterable[tuple[str, str]],
        atts: Iterable[tuple[str, str, str, int, str]],
        block_removed: Iterable[tuple[int, int]],
        blocks: Iterable[tuple[int, int]],
        held_removed: Iterable[tuple[str, int]],
        held: Iterable[tuple[str, int]],
        edge_nodes: Iterable[int],
        edges: Iterable[tuple[int, int, float, float, int]],
    ) -> None:
        """Apply one relink's changes and clear ``pending``, in one transaction."""
        c = self.conn
        c.execute("BEGIN")
        try:
            c.executemany("DELETE FROM rec WHERE source = ? AND key = ?", rec_removed)
            c.executemany("INSERT OR REPLACE INTO rec VALUES (?, ?, ?, ?, ?)", recs)
            c.executemany("DELETE FROM att WHERE source = ? AND key = ?", att_removed)
            c.executemany("INSERT OR REPLACE INTO att VALUES (?, ?, ?, ?, ?)", atts)
            c.executemany("DELETE FROM block WHERE bkey = ? AND node = ?", block_removed)
            c.executemany("INSERT INTO block VALUES (?, ?)", blocks)
            c.executemany("DELETE FROM held WHERE hv = ? AND node = ?", held_removed)
            c.executemany("INSERT INTO held VALUES (?, ?)", held)
            nodes = [(n,) for n in sorted(set(edge_nodes))]
            c.executemany("DELETE FROM edge WHERE a = ?", nodes)
            c.executemany("DELETE FROM edge WHERE b = ?", nodes)
            c.executemany("INSERT INTO edge VALUES (?, ?, ?, ?, ?)", edges)
            c.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [(k, dumps(v)) for k, v in meta.items()],
            )
            c.execute("DELETE FROM meta WHERE name = 'pending'")
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

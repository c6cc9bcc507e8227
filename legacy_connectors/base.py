"""The one interface every legacy connector implements.

A connector turns a batch of department keys into a batch of records. It knows nothing of
GraphQL, of citizens or of other departments. The gateway builds one connector per configured
source, calls :meth:`Connector.open` at start-up, :meth:`Connector.load_many` per request batch,
:meth:`Connector.health` for readiness probes and :meth:`Connector.aclose` at shutdown.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from legacy_connectors.aggregation import Aggregate, GroupBy, Where
from legacy_connectors.errors import LegacyError
from legacy_connectors.limits import FieldLimit

__all__ = [
    "CALL_CONTEXT",
    "CallContext",
    "ChangePage",
    "Connector",
    "ConnectorSettings",
    "Health",
    "PartialRecords",
    "Record",
    "Result",
    "current_call",
]

Record = dict[str, Any]
"""One decoded record: readable field names to Python values (``Decimal`` for money)."""


@dataclass(slots=True)
class PartialRecords:
    """Records for one key gathered from several databases, some of which failed.

    Returned by multi-database sources: ``records`` holds what the healthy databases answered,
    ``errors`` one error per database that did not answer (each names it in ``service``).
    """

    records: list[Record]
    errors: list[LegacyError] = field(default_factory=list)


Result = Record | list[Record] | PartialRecords | LegacyError | None
"""What ``load_many`` gives for one key: a record (or a list of records for sources that hold
many per key), ``None`` when the key is unknown, or an error that fails that key alone."""


@dataclass(slots=True)
class ChangePage:
    """One page of a change feed (:meth:`Connector.changes`): what changed after a cursor.

    ``changed`` holds records added or changed since the cursor, each as it is now (as ``scan``
    would give it); ``removed`` the keys the upstream no longer holds. A key changed several
    times appears once, with its latest values. ``cursor`` is where this page ends: passing it
    back as ``since`` continues after this page (it is opaque to callers and safe to store).
    ``more`` says whether further pages follow.
    """

    changed: list[tuple[str, Record]]
    removed: list[str]
    cursor: str
    more: bool


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who the gateway is calling for, so a connector can tag its legacy calls.

    Connectors read :data:`CALL_CONTEXT` and pass ``request_id`` on in the legacy system's own
    way (a SOAP header, a SQL comment), so operators can follow one request across systems.
    Connectors over a set of upstreams (the databases of a ``sql`` source) also honour
    ``skip_members``. It never holds personal data.
    """

    request_id: str | None = None
    """The gateway request's id (``x-request-id``); ``None`` outside a request."""
    skip_members: frozenset[str] = frozenset()
    """Members of a set (database names as configured) not to call during this call, because
    the caller's circuit breaker for them is open. Each key's result then is a
    :class:`PartialRecords` carrying one
    :class:`~legacy_connectors.errors.CircuitOpenError` per skipped member (its ``service``
    names the member as the member's other errors do). Connectors without members ignore it."""


CALL_CONTEXT: ContextVar[CallContext | None] = ContextVar("legacy_call_context", default=None)
"""The current call's context, set by the gateway for each request (read it with
:func:`current_call`)."""

_NO_CALL = CallContext()


def current_call() -> CallContext:
    """The context of the call being made now (empty outside a gateway request)."""
    return CALL_CONTEXT.get() or _NO_CALL


@dataclass(slots=True)
class Health:
    """What a connector reports about its upstream."""

    status: Literal["up", "degraded", "down"]
    detail: str = ""
    latency_ms: float | None = None
    facts: dict[str, Any] = field(default_factory=dict)


class ConnectorSettings(BaseModel):
    """Base of each connector kind's settings: unknown keys are errors, attributes documented."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class Connector(abc.ABC):
    """Base class of every connector kind.

    Subclasses set ``kind`` and ``Settings`` and implement :meth:`load_many`. They may override
    :meth:`open` (slow start-up work such as loading a WSDL or building an index: run blocking
    parts in a thread), :meth:`health`, :meth:`aclose` and :meth:`scan`.
    """

    kind: ClassVar[str]
    Settings: ClassVar[type[ConnectorSettings]] = ConnectorSettings

    def __init__(self, name: str, settings: ConnectorSettings) -> None:
        self.name = name
        self.settings = settings

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> Connector:
        """Build a connector from raw configuration options (validated by ``Settings``)."""
        return cls(name, cls.Settings.model_validate(dict(options)))

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Prepare for calls (connect, load metadata, build indexes). Called once at start-up."""

    @abc.abstractmethod
    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        """Return one result per key, in the order of ``keys``.

        A key that is unknown gives ``None``. A key whose record cannot be served gives a
        :class:`~legacy_connectors.errors.LegacyError` value in its place; the other keys are
        unaffected. An error that affects the whole batch (the upstream is down) is raised.
        """

    async def health(self) -> Health:
        """Report whether the upstream is reachable and usable."""
        return Health(status="up")

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections, threads and files. Safe to call more than once."""

    async def submit(self, command: str, payload: Mapping[str, Any], *, delivery_id: str) -> Record:
        """Carry out the configured write ``command`` with ``payload``, once per ``delivery_id``.

        Optional capability: kinds configure their writes per source (a ``commands`` setting)
        and know nothing of what a command means. The upstream records ``delivery_id`` with
        the write, so asking again with the same id is harmless: the answer is then a record
        whose ``outcome`` is ``DUPLICATE`` instead of ``ACCEPTED``. Other fields of the record
        depend on the kind (e.g. which database of a set took the write).

        Raises :class:`~legacy_connectors.errors.InvalidInputError` or a
        :class:`~legacy_connectors.errors.RecordError` when the upstream refuses the command
        (asking again will not help), a :class:`~legacy_connectors.errors.RetriableError` when
        it may succeed later, and ``NotImplementedError`` when the kind or source has no such
        command. A write is never retried inside this call.
        """
        raise NotImplementedError(f"connector kind {self.kind!r} has no command {command!r}")

    def accepts(self, command: str) -> bool:
        """Whether this source is configured to carry out the write ``command``.

        By default: ``command`` is a key of the settings' ``commands`` (the convention every
        built-in kind follows); a kind that configures writes otherwise overrides this.
        """
        commands = getattr(self.settings, "commands", None)
        return isinstance(commands, Mapping | list | tuple | set) and command in commands

    async def write_limits(self, command: str) -> list[FieldLimit]:
        """What the upstream can hold in each payload field of ``command``, derived from its
        own definitions (see :mod:`legacy_connectors.limits`); empty when it declares none
        or has no such command. Callers check values against these before ``submit``."""
        return []

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        """Yield every (key, record) the upstream holds, in batches (for linkage and statistics).

        Optional capability: kinds that cannot enumerate their upstream raise
        ``NotImplementedError``.
        """
        raise NotImplementedError(f"connector kind {self.kind!r} cannot scan")
        yield []  # pragma: no cover - makes this an async generator

    @property
    def tracks_changes(self) -> bool:
        """Whether the kind offers a change feed (:meth:`change_cursor` and :meth:`changes`).
        Optional capability: ``False`` unless a kind says so."""
        return False

    async def change_cursor(self) -> str:
        """The change feed's position now, as an opaque cursor. A caller takes it *before* a
        full ``scan``, so that a change made during the scan is seen again by
        ``changes(since=cursor)`` rather than lost. Only when :attr:`tracks_changes` is true."""
        raise NotImplementedError(f"connector kind {self.kind!r} has no change feed")

    async def changes(self, since: str, batch_size: int = 1000) -> AsyncIterator[ChangePage]:
        """Every record added, changed or removed after the cursor ``since``, in pages of up to
        ``batch_size`` keys (the last page has ``more`` false; with nothing changed, one empty
        page carrying the cursor). A cursor the feed no longer reaches back to raises
        :class:`~legacy_connectors.errors.ChangesExpiredError` (read the source whole instead).
        Only when :attr:`tracks_changes` is true."""
        raise NotImplementedError(f"connector kind {self.kind!r} has no change feed")
        yield ChangePage([], [], since, False)  # pragma: no cover - makes this an async generator

    @property
    def pages_by_position(self) -> bool:
        """Whether any page of a scan can be asked for by its position (``read_page``), so that
        pages can be read concurrently. Optional capability: ``False`` unless a kind says so."""
        return False

    async def read_page(
        self, start: int, size: int, fields: Sequence[str] | None = None
    ) -> tuple[list[tuple[str, Record]], bool]:
        """The scan's page of up to ``size`` records from position ``start`` (0 for the first),
        and whether more follow. Only when :attr:`pages_by_position` is true; pages asked for
        together come back as ``scan`` would give them, in the same order. With ``fields``
        (dotted paths into a record), a kind may leave every other value out of each record
        (a caller reads only those; the key is always there)."""
        raise NotImplementedError(f"connector kind {self.kind!r} cannot read a page by position")

    async def aggregate(
        self,
        *,
        group_by: Sequence[GroupBy] = (),
        where: Sequence[Where] = (),
        sums: Sequence[str] = (),
        collection: str | None = None,
    ) -> list[Aggregate]:
        """Rows, distinct keys and sums of ``sums`` per group, computed where the data lives.

        Optional capability (for statistics): kinds that cannot group at the upstream raise
        ``NotImplementedError``. ``collection`` aggregates a child collection instead of the
        main records. Groups and conditions name readable fields, never stored columns.
        """
        raise NotImplementedError(f"connector kind {self.kind!r} cannot aggregate")

    async def distinct_keys(
        self,
        *,
        where: Sequence[Where] = (),
        collection: str | None = None,
        group_by: GroupBy | None = None,
    ) -> dict[str, Any]:
        """The keys (as ``scan`` reports them) of records meeting ``where``, each with its group
        value under ``group_by`` (``None`` without one). Optional, like :meth:`aggregate`."""
        raise NotImplementedError(f"connector kind {self.kind!r} cannot select keys")

    @property
    def member_count(self) -> int:
        """How many upstream systems one call reaches (a set of databases: one per database)."""
        return 1

    @property
    def member_field(self) -> str | None:
        """The record field naming which member of a set answered, if the source is a set."""
        return None

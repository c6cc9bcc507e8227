"""Per-request state: who is asking, and one batch loader per source and per index lookup.

Built fresh for every request by :func:`build_context`; nothing here outlives a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, Protocol

from graphql import GraphQLError

from govgraph.index.window import Window
from govgraph.resilience.scope import RequestScope
from resolvers.loader import BatchLoader, DerivedLoader

if TYPE_CHECKING:
    from govgraph.ledger import AccessLedger
    from govgraph.outbox import DeliveryWorker, Outbox
    from govgraph.statistics import StatisticsService

__all__ = ["CitizenDirectory", "RecordSource", "RequestContext", "build_context"]


class RecordSource(Protocol):
    """What resolvers need of a legacy source: batched loads (one result per key) and writes."""

    async def load_many(
        self, keys: Sequence[str], *, scope: RequestScope | None = None
    ) -> list[Any]: ...

    async def submit(
        self,
        command: str,
        payload: Mapping[str, Any],
        *,
        delivery_id: str,
        scope: RequestScope | None = None,
    ) -> Mapping[str, Any]: ...

    def accepts(self, command: str) -> bool: ...

    def forget(self, keys: Sequence[str]) -> None: ...


class CitizenDirectory(Protocol):
    """What resolvers need of the citizen index (batched reads)."""

    async def links_for(self, citizen_ids: Sequence[str]) -> Mapping[str, Sequence[Any]]: ...

    async def profiles(self, citizen_ids: Sequence[str]) -> Mapping[str, Any]: ...

    async def held_with_links(
        self, citizen_ids: Sequence[str]
    ) -> Mapping[str, tuple[Any, Sequence[Any]]]: ...

    async def citizen_window(
        self,
        *,
        first: int | None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Window[str]: ...


@dataclass(eq=False)
class RequestContext:
    """Everything a resolver may use while answering one request, built whole by
    :func:`build_context`. Loaders are made on first use, so a request pays only for those
    it needs."""

    sources: Mapping[str, RecordSource]
    index: CitizenDirectory
    principal: Any
    """The verified caller (a `govgraph.auth.Principal`), or None when anonymous."""
    request_id: str
    batch_loads: bool = True
    statistics: StatisticsService | None = None
    """The statistics engine (aggregates for analysts), when the gateway has one."""
    outbox: Outbox | None = None
    """The durable outbox for writes (idempotency records, address-change deliveries)."""
    worker: DeliveryWorker | None = None
    """The outbox's delivery worker, woken when a request adds a delivery."""
    ledger: AccessLedger | None = None
    """The access ledger, for ``Citizen.accessLog``."""
    link_details: BatchLoader[str, list[Any]] | None = None
    """The request's loader of citizens' link details (built on first use)."""
    reported_addresses: BatchLoader[str, Any] | None = None
    """The request's loader of citizens' last reported addresses (built on first use)."""
    today: date = field(default_factory=date.today)
    extra_errors: list[GraphQLError] = field(default_factory=list)
    accessed: dict[str, set[str]] = field(default_factory=dict)
    """Citizen id to the sources read for it in this request (for the access ledger)."""
    scope: RequestScope = field(default_factory=RequestScope)
    """What the request's upstream calls share: its id, its deadline, its stale answers
    (:func:`build_context` fills it; left empty, calls have no request deadline or id)."""
    _loaders: dict[str, BatchLoader[str, Any]] = field(default_factory=dict)

    @cached_property
    def citizens(self) -> BatchLoader[str, tuple[Any, Sequence[Any]] | None]:
        """Each citizen's profile and active links, ``None`` when the index does not hold
        them: one index read per batch of citizens serves :attr:`links`, :attr:`profiles`
        and :meth:`held` alike."""
        return BatchLoader(partial(_held_with_links, self.index))

    @cached_property
    def links(self) -> DerivedLoader[str, dict[str, list[str]], Any]:
        """Each citizen's keys by source (from :attr:`citizens`)."""
        return DerivedLoader(self.citizens, _keys_by_source)

    @cached_property
    def profiles(self) -> DerivedLoader[str, Any, Any]:
        """Each citizen's display identity, noted as a read of the index (from
        :attr:`citizens`)."""
        return DerivedLoader(self.citizens, partial(_profile, self.accessed))

    async def held(self, citizen_id: str) -> bool:
        """Whether the index holds the citizen (a check, not a read of their profile)."""
        return await self.citizens.load(citizen_id) is not None

    def loader(self, source: str) -> BatchLoader[str, Any] | None:
        """The request's loader for ``source``, or ``None`` if the source is not configured."""
        loader = self._loaders.get(source)
        if loader is None:
            upstream = self.sources.get(source)
            if upstream is None:
                return None
            loader = self._loaders[source] = BatchLoader(
                partial(upstream.load_many, scope=self.scope), batch=self.batch_loads
            )
        return loader

    async def keys(self, citizen_id: str, source: str) -> list[str]:
        """The keys ``source`` holds this citizen under (usually one, several for parking)."""
        links = await self.links.load(citizen_id)
        return links.get(source, [])

    def note_access(self, citizen_id: str, source: str) -> None:
        self.accessed.setdefault(citizen_id, set()).add(source)

    def add_error(self, error: GraphQLError) -> None:
        """Report an error beside data that is still returned (a partial result)."""
        self.extra_errors.append(error)


async def _held_with_links(
    index: CitizenDirectory, citizen_ids: list[str]
) -> list[tuple[Any, Sequence[Any]] | None]:
    found = await index.held_with_links(citizen_ids)
    return [found.get(cid) for cid in citizen_ids]


def _profile(
    accessed: dict[str, set[str]], citizen_id: str, held: tuple[Any, Sequence[Any]] | None
) -> Any:
    """The citizen's profile, noted as a read of the index (in ``accessed``) when held."""
    if held is None:
        return None
    accessed.setdefault(citizen_id, set()).add("index")
    return held[0]


def _keys_by_source(
    _citizen_id: str, held: tuple[Any, Sequence[Any]] | None
) -> dict[str, list[str]]:
    by_source: dict[str, list[str]] = {}
    for link in held[1] if held is not None else ():
        by_source.setdefault(link.source, []).append(link.key)
    return by_source


def build_context(
    *,
    sources: Mapping[str, RecordSource],
    index: CitizenDirectory,
    principal: Any,
    request_id: str,
    deadline: float | None = None,
    batch_loads: bool = True,
    statistics: StatisticsService | None = None,
    outbox: Outbox | None = None,
    worker: DeliveryWorker | None = None,
    ledger: AccessLedger | None = None,
) -> RequestContext:
    """A fresh context for one request, complete: nothing is added to it afterwards.
    ``deadline`` is the monotonic time by which its upstream calls must finish."""
    return RequestContext(
        sources=sources,
        index=index,
        principal=principal,
        request_id=request_id,
        scope=RequestScope(request_id=request_id, deadline=deadline),
        batch_loads=batch_loads,
        statistics=statistics,
        outbox=outbox,
        worker=worker,
        ledger=ledger,
    )

"""Per-request state: who is asking, and one DataLoader per source and per index lookup.

Built fresh for every request by :func:`build_context`; nothing here outlives a request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from aiodataloader import DataLoader
from graphql import GraphQLError

from govgraph.index.window import Window

__all__ = ["CitizenDirectory", "RecordSource", "RequestContext", "build_context"]


class RecordSource(Protocol):
    """What resolvers need of a legacy source: batched loads (one result per key) and writes."""

    async def load_many(self, keys: Sequence[str]) -> list[Any]: ...

    async def submit(
        self, command: str, payload: Mapping[str, Any], *, delivery_id: str
    ) -> Mapping[str, Any]: ...

    def accepts(self, command: str) -> bool: ...

    def forget(self, keys: Sequence[str]) -> None: ...


class CitizenDirectory(Protocol):
    """What resolvers need of the citizen index (batched reads)."""

    async def links_for(self, citizen_ids: Sequence[str]) -> Mapping[str, Sequence[Any]]: ...

    async def profiles(self, citizen_ids: Sequence[str]) -> Mapping[str, Any]: ...

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
    """Everything a resolver may use while answering one request."""

    sources: Mapping[str, RecordSource]
    index: CitizenDirectory
    principal: Any
    request_id: str
    batch_loads: bool = True
    statistics: Any = None
    """The statistics engine (aggregates for analysts), when the gateway has one."""
    outbox: Any = None
    """The durable outbox for writes (idempotency records, address-change deliveries)."""
    link_details: Any = None
    """The request's loader of citizens' link details (built on first use)."""
    today: date = field(default_factory=date.today)
    extra_errors: list[GraphQLError] = field(default_factory=list)
    accessed: dict[str, set[str]] = field(default_factory=dict)
    """Citizen id to the sources read for it in this request (for the access ledger)."""
    _loaders: dict[str, DataLoader[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.links: DataLoader[str, dict[str, list[str]]] = DataLoader(self._load_links)
        self.profiles: DataLoader[str, Any] = DataLoader(self._load_profiles)

    def loader(self, source: str) -> DataLoader[str, Any] | None:
        """The request's loader for ``source``, or ``None`` if the source is not configured."""
        loader = self._loaders.get(source)
        if loader is None:
            upstream = self.sources.get(source)
            if upstream is None:
                return None
            loader = self._loaders[source] = DataLoader(upstream.load_many, batch=self.batch_loads)
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

    async def _load_links(self, citizen_ids: list[str]) -> list[dict[str, list[str]]]:
        found = await self.index.links_for(citizen_ids)
        out = []
        for cid in citizen_ids:
            by_source: dict[str, list[str]] = {}
            for link in found.get(cid, ()):
                by_source.setdefault(link.source, []).append(link.key)
            out.append(by_source)
        return out

    async def _load_profiles(self, citizen_ids: list[str]) -> list[Any]:
        found = await self.index.profiles(citizen_ids)
        for cid in found:
            self.note_access(cid, "index")
        return [found.get(cid) for cid in citizen_ids]


def build_context(
    *,
    sources: Mapping[str, RecordSource],
    index: CitizenDirectory,
    principal: Any,
    request_id: str,
    batch_loads: bool = True,
) -> RequestContext:
    """A fresh context for one request."""
    return RequestContext(
        sources=sources,
        index=index,
        principal=principal,
        request_id=request_id,
        batch_loads=batch_loads,
    )

"""The ``soap`` change feed: a service's change log, paged by a configured operation.

``changes_operation`` lists the keys changed (and removed) after a position of the service's
change log, a page at a time, with the position to continue from; the changed keys' records
are then read with the batched lookup (``load_many``), so each page costs one listing call and
one lookup call per ``batch_size`` keys. The listing request is built from an envelope template
and its reply read by the compiled decoder, like the lookups (one codec per page size).

The cursor is JSON text holding the service's position; it is opaque to callers. A fault the
settings name in ``changes_expired_fault_codes`` (the log was trimmed past the position)
becomes :class:`~legacy_connectors.errors.ChangesExpiredError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from legacy_connectors.base import ChangePage, Record
from legacy_connectors.cursors import cursor_text, read_cursor
from legacy_connectors.errors import LegacyError, ProtocolError
from legacy_connectors.soap.codec import OperationCodec
from legacy_connectors.soap.values import get_path

if TYPE_CHECKING:
    from legacy_connectors.soap.connector import SoapConnector

__all__ = ["SoapFeed"]

_MAX_POSITION = 200


class SoapFeed:
    """The change feed of one SOAP source (built when ``changes_operation`` is set)."""

    def __init__(
        self,
        connector: SoapConnector,
        position: OperationCodec,
        listing: Callable[[int], OperationCodec],
    ) -> None:
        self.connector = connector
        self.position = position
        self._listing = listing
        self._codecs: dict[int, OperationCodec] = {}

    def codec(self, page_size: int) -> OperationCodec:
        """The listing operation's codec for pages of ``page_size`` (built once per size)."""
        found = self._codecs.get(page_size)
        if found is None:
            found = self._codecs[page_size] = self._listing(page_size)
        return found

    @property
    def _service(self) -> str:
        return self.connector.name

    def _text(self, position: str) -> str:
        return cursor_text(after=position)

    def _parse(self, text: str) -> str:
        return read_cursor(text, self._service, "SOAP", _position)

    def _position_text(self, value: Any, where: str) -> str:
        if value is None or isinstance(value, dict | list):
            raise ProtocolError(
                f"{self._service} answered no change-log position at {where!r}",
                service=self._service,
            )
        return str(value)

    async def cursor(self) -> str:
        """The service's newest change-log position."""
        s = self.connector.settings
        content = await self.connector.call(self.position, None, {}, idempotent=True)
        where = s.changes_position_path or ""
        return self._text(self._position_text(get_path(content, where), where))

    def _keys(self, content: dict[str, Any], path: str | None) -> list[str]:
        if not path:
            return []
        found = get_path(content, path)
        items = [] if found is None else found if isinstance(found, list) else [found]
        key_path = self.connector.settings.changes_key_path
        keys = [get_path(item, key_path) if key_path else item for item in items]
        return list(dict.fromkeys(str(key) for key in keys if key is not None))

    async def pages(self, since: str, batch_size: int) -> AsyncIterator[ChangePage]:
        """One page per listing call, the changed keys' records read in one batched lookup."""
        s = self.connector.settings
        position = self._parse(since)
        codec = self.codec(batch_size)
        while True:
            content = await self.connector.call(codec, [position], idempotent=True)
            removed = self._keys(content, s.changes_removed_path)
            gone = set(removed)
            wanted = [k for k in self._keys(content, s.changes_changed_path) if k not in gone]
            changed: list[tuple[str, Record]] = []
            results = await self.connector.load_many(wanted) if wanted else []
            for key, result in zip(wanted, results, strict=True):
                if isinstance(result, dict):
                    changed.append((str(get_path(result, s.result_key_path) or key), result))
                elif result is None:
                    removed.append(key)
                elif isinstance(result, LegacyError):
                    raise result
            where = s.changes_next_path or ""
            following = self._position_text(get_path(content, where), where)
            more = get_path(content, s.changes_more_path or "") is True
            yield ChangePage(changed, removed, self._text(following), more)
            if not more:
                return
            if following == position:
                raise ProtocolError(
                    f"{self._service} said more changes follow but did not move its position",
                    service=self._service,
                )
            position = following


def _position(body: dict[str, Any]) -> str:
    position = body.get("after")
    if not isinstance(position, str) or not 0 < len(position) <= _MAX_POSITION:
        raise ValueError("no position")
    if not position.isprintable():
        raise ValueError("the position is not printable text")
    return position

"""The ``rest`` connector kind: records by key from a JSON API, over one pooled httpx client.

Lookups use the batch endpoint when ``batch_path`` is set (``GET /titles?ids=a,b,c``, chunked
to ``batch_size``, chunks in parallel), else one ``GET`` per key; either way at most
``concurrency`` calls are in flight. Per key: 404 gives ``None``; 400 an
:class:`~legacy_connectors.errors.InvalidInputError`; 410 or 422, or an entry in a batch
answer's ``errors`` list, a :class:`~legacy_connectors.errors.CorruptRecordError`. Anything
else that fails (unreachable, timeout, 401/403, 429, 5xx) fails the whole batch.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from govgraph_rest.credentials import load_token
from govgraph_rest.errors import decode_json, status_error, translate
from govgraph_rest.settings import RestSettings
from legacy_connectors.base import Connector, Health, Record, Result
from legacy_connectors.errors import (
    ConfigurationError,
    CorruptRecordError,
    InvalidInputError,
    LegacyError,
    ProtocolError,
)

__all__ = ["RestConnector"]

_RECORD_ERROR_STATUSES = (410, 422)
_SAFE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")


class RestConnector(Connector):
    """Looks keys up in a JSON API: batch endpoint when configured, else one call per key."""

    kind: ClassVar[str] = "rest"
    Settings: ClassVar[type[RestSettings]] = RestSettings
    settings: RestSettings

    def __init__(self, name: str, settings: RestSettings) -> None:
        super().__init__(name, settings)
        self._client: httpx.AsyncClient | None = None
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._authenticated = False
        self.calls = 0
        """HTTP calls made since opening (for tests and benchmarks)."""

    async def open(self) -> None:
        """Read the token and create the shared HTTP client (no call is made)."""
        if self._client is not None:
            return
        s = self.settings
        token = load_token(s.token_env, s.token_file, self.name)
        headers = {"Accept": "application/json", **s.headers}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        self._authenticated = token is not None
        self._client = httpx.AsyncClient(
            base_url=s.base_url,
            headers=headers,
            timeout=s.timeout_s,
            limits=httpx.Limits(
                max_connections=s.concurrency, max_keepalive_connections=s.concurrency
            ),
        )

    async def aclose(self) -> None:
        """Close the HTTP client; safe to call more than once."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _get(self, path: str, params: dict[str, Any] | None, what: str) -> httpx.Response:
        client = self._client
        if client is None:
            raise ConfigurationError(f"source {self.name!r} is not open", service=self.name)
        async with self._limit:
            with translate(self.name, what):
                response = await client.get(path, params=params)
        self.calls += 1
        return response

    # -- lookups ----------------------------------------------------------------------------

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        """One result per key, in order: a record dict, ``None`` (unknown) or an error."""
        found: dict[str, Result] = {}
        wanted: list[str] = []
        for key in dict.fromkeys(keys):
            if not isinstance(key, str) or not key.strip() or not key.isprintable():
                found[key] = InvalidInputError(
                    f"{self.name}: a key must be a non-empty string of printable characters",
                    service=self.name,
                )
            else:
                wanted.append(key)
        s = self.settings
        if s.batch_path:
            batchable = [k for k in wanted if "," not in k]
            size = s.batch_size
            calls = [self._batch(batchable[i : i + size]) for i in range(0, len(batchable), size)]
            calls += [self._single_as_dict(k) for k in wanted if "," in k]
        else:
            calls = [self._single_as_dict(k) for k in wanted]
        parts = await asyncio.gather(*calls, return_exceptions=True)
        for part in parts:
            if isinstance(part, BaseException):
                raise part
            found.update(part)
        return [found[key] for key in keys]

    async def _single_as_dict(self, key: str) -> dict[str, Result]:
        return {key: await self._single(key)}

    async def _single(self, key: str) -> Result:
        path = self.settings.record_path.replace("{key}", quote(key, safe=""))
        response = await self._get(path, None, "record lookup")
        status = response.status_code
        if status == 404:
            return None
        if status in _RECORD_ERROR_STATUSES:
            return self._record_error(_code_of(response))
        if status != 200:
            error = status_error(response, self.name, "record lookup")
            if isinstance(error, InvalidInputError):
                return error
            raise error
        return decode_json(response, self.name, "record lookup")

    async def _batch(self, keys: list[str]) -> dict[str, Result]:
        s = self.settings
        assert s.batch_path is not None
        response = await self._get(s.batch_path, {s.batch_param: ",".join(keys)}, "batch lookup")
        if response.status_code != 200:
            error = status_error(response, self.name, "batch lookup")
            if not isinstance(error, InvalidInputError):
                raise error
            if len(keys) == 1:
                return {keys[0]: error}
            halves = [keys[: len(keys) // 2], keys[len(keys) // 2 :]]
            merged: dict[str, Result] = {}
            for part in await asyncio.gather(*(self._batch(h) for h in halves)):
                merged.update(part)
            return merged
        data = decode_json(response, self.name, "batch lookup")
        results: dict[str, Result] = dict.fromkeys(keys)
        for record in self._records(data, "batch lookup"):
            key = record.get(s.key_field)
            if key is not None and str(key) in results:
                results[str(key)] = record
        errors = data.get(s.errors_field) or []
        if not isinstance(errors, list):
            raise ProtocolError(
                f"{self.name}: {s.errors_field!r} must be a list", service=self.name
            )
        for entry in errors:
            if isinstance(entry, dict) and str(entry.get(s.key_field)) in results:
                results[str(entry[s.key_field])] = self._record_error(entry.get("code"))
        return results

    def _records(self, data: dict[str, Any], what: str) -> list[Record]:
        field = self.settings.records_field
        records = data.get(field)
        if not isinstance(records, list):
            raise ProtocolError(
                f"{self.name}: the answer to {what} has no {field!r} list", service=self.name
            )
        return [r for r in records if isinstance(r, dict)]

    def _record_error(self, code: object) -> LegacyError:
        reason = code if isinstance(code, str) and _SAFE_CODE.match(code) else "no reason given"
        return CorruptRecordError(
            f"{self.name}: the API could not serve this record ({reason})", service=self.name
        )

    # -- other capabilities -----------------------------------------------------------------

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        """Page through ``scan_path``, yielding (key, record) pairs per page."""
        s = self.settings
        if s.scan_path is None:
            raise NotImplementedError(f"source {self.name!r} has no scan_path configured")
        cursor: Any = None
        while True:
            params: dict[str, Any] = {s.page_size_param: batch_size}
            if cursor is not None:
                params[s.cursor_param] = cursor
            response = await self._get(s.scan_path, params, "scan")
            if response.status_code != 200:
                raise status_error(response, self.name, "scan")
            data = decode_json(response, self.name, "scan")
            records = self._records(data, "scan")
            page = [(str(r[s.key_field]), r) for r in records if r.get(s.key_field) is not None]
            if page:
                yield page
            cursor = data.get(s.next_cursor_field)
            if not cursor or not records:
                return

    async def layout_problems(self) -> list[str]:
        """Whether the API's answers have the configured shape (used by ``connectors check``).

        Reads one page from ``scan_path`` (or nothing, when unset) and reports a missing
        ``records_field`` list or records without ``key_field``.
        """
        s = self.settings
        if s.scan_path is None:
            return []
        response = await self._get(s.scan_path, {s.page_size_param: 1}, "layout check")
        if response.status_code != 200:
            raise status_error(response, self.name, "layout check")
        data = decode_json(response, self.name, "layout check")
        records = data.get(s.records_field)
        if not isinstance(records, list):
            found = sorted(data)
            return [
                f"records_field {s.records_field!r} is not a list in the answer (keys: {found})"
            ]
        if records and not (isinstance(records[0], dict) and s.key_field in records[0]):
            fields = sorted(records[0]) if isinstance(records[0], dict) else []
            return [f"key_field {s.key_field!r} is not a field of the records (fields: {fields})"]
        return []

    async def health(self) -> Health:
        """Up when ``health_path`` answers 200 (with the token, if one is configured)."""
        if self._client is None:
            return Health(status="down", detail="not opened")
        started = time.perf_counter()
        try:
            response = await self._get(self.settings.health_path, None, "health check")
        except LegacyError as exc:
            return Health(status="down", detail=exc.message, facts={"reachable": False})
        latency = (time.perf_counter() - started) * 1000
        facts: dict[str, Any] = {"reachable": True, "calls": self.calls}
        if response.status_code in (401, 403):
            facts["authenticated"] = False
            detail = f"the API rejected the credentials (HTTP {response.status_code})"
            return Health(status="down", detail=detail, latency_ms=latency, facts=facts)
        if response.status_code != 200:
            detail = f"health check answered HTTP {response.status_code}"
            return Health(status="down", detail=detail, latency_ms=latency, facts=facts)
        facts["authenticated"] = self._authenticated
        try:
            body = decode_json(response, self.name, "health check")
        except LegacyError:
            body = {}
        facts.update({k: v for k, v in body.items() if isinstance(v, str | int | float | bool)})
        return Health(status="up", latency_ms=latency, facts=facts)


def _code_of(response: httpx.Response) -> object:
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("code") if isinstance(data, dict) else None

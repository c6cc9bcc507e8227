"""The ``soap`` connector kind: any WSDL, keys to records through configured operations."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar
from xml.sax.saxutils import escape as xml_escape

from lxml import etree
from zeep.exceptions import Error as ZeepError

from legacy_connectors.base import ChangePage, Connector, Health, Record, Result, current_call
from legacy_connectors.errors import (
    ConfigurationError,
    InvalidInputError,
    LegacyError,
    ProtocolError,
    RecordError,
    RecordNotFoundError,
    RetriableError,
)
from legacy_connectors.limits import FieldLimit
from legacy_connectors.soap import logsafety
from legacy_connectors.soap.changes import SoapFeed
from legacy_connectors.soap.codec import OperationCodec, build_codec
from legacy_connectors.soap.commands import build_values, read_outcome
from legacy_connectors.soap.credentials import Credentials, load_credentials
from legacy_connectors.soap.faults import SoapFault, classify_fault, http_error
from legacy_connectors.soap.gcpause import gc_paused
from legacy_connectors.soap.http import SoapHttpClient
from legacy_connectors.soap.limits import command_limits
from legacy_connectors.soap.settings import SoapSettings
from legacy_connectors.soap.values import get_path
from legacy_connectors.soap.wsdl import LoadedPort, load_client, resolve_port

__all__ = ["HeaderHook", "SoapConnector"]

log = logging.getLogger(__name__)

HeaderHook = Callable[[], str | None]
"""Returns extra SOAP header XML (each element declaring its namespaces) for the next call."""

_QUOTE = {'"': "&quot;"}
_KEY_ERRORS = (RecordError, InvalidInputError)
"""Errors that concern one key: returned in its place, not raised for the batch."""

_BAD_KEY_CHARS = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r")


def _probe(codec: OperationCodec, setting: str, key_path: str, many: bool, service: str) -> None:
    """Build one request with sample keys, so a key path that does not fit fails at start-up."""
    samples = ["KEY-PROBE-1", "KEY-PROBE-2"] if many else ["KEY-PROBE-1"]
    try:
        body, _headers = codec.request(samples)
    except (ZeepError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise ConfigurationError(
            f"{setting}: key path {key_path!r} does not fit operation {codec.name}'s input "
            f"({type(exc).__name__}: {exc})",
            service=service,
        ) from exc
    if not all(sample.encode() in body for sample in samples):
        where = "a repeated element" if many else "an element"
        raise ConfigurationError(
            f"{setting}: key path {key_path!r} is not {where} of operation {codec.name}'s input",
            service=service,
        )


def _reply_without_gc(
    codec: OperationCodec, body: bytes, keep: Sequence[str] | None = None
) -> dict[str, Any]:
    with gc_paused():
        return codec.reply(body, keep)


class SoapConnector(Connector):
    """Looks keys up through a SOAP service described by a WSDL.

    The WSDL is read once in :meth:`open` (on a worker thread). Lookups use the batch
    operation when one is configured (chunked to ``batch_size``, chunks in parallel under
    ``concurrency``), single calls otherwise. Faults become typed errors; "not found" faults
    give ``None`` for that key.
    """

    kind: ClassVar[str] = "soap"
    Settings: ClassVar[type[SoapSettings]] = SoapSettings

    settings: SoapSettings

    def __init__(
        self, name: str, settings: SoapSettings, *, soap_headers: HeaderHook | None = None
    ) -> None:
        super().__init__(name, settings)
        self.soap_headers = soap_headers
        """Optional hook adding SOAP header elements (e.g. a request id) to every call."""
        self._port: LoadedPort | None = None
        self._endpoint = ""
        self._single: OperationCodec | None = None
        self._batch: OperationCodec | None = None
        self._scan: OperationCodec | None = None
        self._feed: SoapFeed | None = None
        self._others: dict[str, OperationCodec] = {}
        self._credentials: Credentials | None = None
        self._http: SoapHttpClient | None = None
        self._limit: asyncio.Semaphore | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.calls = 0
        """SOAP calls made since opening (for tests and benchmarks)."""
        self._commands: dict[str, OperationCodec] = {}
        self._limits: dict[str, list[FieldLimit]] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def _prepare(self) -> None:
        s = self.settings
        credentials = load_credentials(s, self.name)
        client = load_client(s.wsdl, timeout_s=s.timeout_s)
        port = resolve_port(client, s.service, s.port, self.name)
        endpoint = s.endpoint or port.address
        if not endpoint:
            raise ConfigurationError(
                "endpoint: the port has no soap:address and no endpoint is configured",
                service=self.name,
            )

        def codec(op_name: str, setting: str, key_path: str | None, many: bool) -> OperationCodec:
            operation = port.operation(op_name, setting, self.name)
            values = s.request_values if key_path else {}
            built = build_codec(
                port,
                operation,
                key_path=key_path,
                many=many,
                values=values,
                credentials=credentials,
                fast=s.fast_path,
            )
            if key_path is not None:
                _probe(built, setting, key_path, many, self.name)
            return built

        self._single = codec(s.operation, "operation", s.key_path, False)
        if s.batch_operation:
            self._batch = codec(
                s.batch_operation, "batch_operation", s.batch_key_path or s.key_path, True
            )
        if s.scan_operation:
            self._scan = codec(s.scan_operation, "scan_operation", None, False)
        if s.changes_operation and s.changes_position_operation:
            changes_operation, since_path = s.changes_operation, s.changes_since_path
            size_path = s.changes_page_size_path
            assert since_path is not None and size_path is not None
            port.operation(changes_operation, "changes_operation", self.name)

            def listing(page_size: int) -> OperationCodec:
                built = build_codec(
                    port,
                    port.operation(changes_operation, "changes_operation", self.name),
                    key_path=since_path,
                    many=False,
                    values={size_path: page_size},
                    credentials=credentials,
                    fast=s.fast_path,
                )
                _probe(built, "changes_since_path", since_path, False, self.name)
                return built

            position = codec(
                s.changes_position_operation, "changes_position_operation", None, False
            )
            self._feed = SoapFeed(self, position, listing)
            self._feed.codec(s.batch_size)
        self._port = port
        self._credentials = credentials
        self._endpoint = endpoint

    async def open(self) -> None:
        """Read the WSDL and compile the configured operations (blocking work on a thread)."""
        if self._port is not None:
            return
        logsafety.install()
        await asyncio.to_thread(self._prepare)
        self._http = SoapHttpClient(
            self.name, limit=self.settings.concurrency, timeout_s=self.settings.timeout_s
        )
        self._limit = asyncio.Semaphore(self.settings.concurrency)
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"soap-{self.name}")
        log.info(
            "source %s: WSDL read; %s",
            self.name,
            "; ".join(
                f"{name}: request {'template' if request else 'zeep'}, "
                f"reply {'compiled' if reply else 'zeep'}"
                for name, (request, reply) in self.fast_paths.items()
            ),
        )

    async def aclose(self) -> None:
        """Close the HTTP pool and the parsing threads; safe to call more than once."""
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        self._port = None
        self._feed = None
        self._others.clear()

    @property
    def fast_paths(self) -> dict[str, tuple[bool, bool]]:
        """For each configured operation: (request from a template, reply by compiled decoder)."""
        codecs = [c for c in (self._single, self._batch, self._scan) if c is not None]
        if self._feed is not None:
            codecs.append(self._feed.codec(self.settings.batch_size))
        return {c.name: (c.fast_request, c.fast_reply) for c in codecs}

    # -- one call ---------------------------------------------------------------------------

    def _ready(self) -> tuple[SoapHttpClient, asyncio.Semaphore]:
        if self._http is None or self._limit is None:
            raise ConfigurationError(
                f"connector {self.name!r} is not open: call open() first", service=self.name
            )
        return self._http, self._limit

    def _extra_headers(self) -> str | None:
        parts = []
        header = self.settings.request_id_header
        request_id = current_call().request_id
        if header and request_id:
            name = etree.QName(header)
            parts.append(
                f'<rid:{name.localname} xmlns:rid="{xml_escape(name.namespace or "", _QUOTE)}">'
                f"{xml_escape(request_id)}</rid:{name.localname}>"
            )
        if self.soap_headers is not None and (hooked := self.soap_headers()):
            parts.append(hooked)
        return "".join(parts) or None

    async def _parse(
        self, codec: OperationCodec, body: bytes, keep: Sequence[str] | None = None
    ) -> dict[str, Any]:
        if len(body) > self.settings.parse_in_thread_bytes and self._executor is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, _reply_without_gc, codec, body, keep)
        return codec.reply(body, keep)

    async def call(
        self,
        codec: OperationCodec,
        keys: Sequence[str] | None,
        values: dict[str, Any] | None = None,
        *,
        keep: Sequence[str] | None = None,
        idempotent: bool = False,
    ) -> dict[str, Any]:
        """Make one SOAP call and return the reply wrapper's content as plain dicts (only the
        dotted paths of ``keep``, when given: see :meth:`OperationCodec.reply`; ``idempotent``:
        a read, sent again if the server drops a reused connection)."""
        http, limit = self._ready()
        extra = self._extra_headers()
        try:
            body, headers = codec.request(keys, extra, values)
        except (ZeepError, TypeError, ValueError, LookupError, AttributeError) as exc:
            raise InvalidInputError(
                f"{self.name}: the arguments do not fit operation {codec.name}'s input "
                f"({type(exc).__name__})",
                service=self.name,
            ) from exc
        async with limit:
            self.calls += 1
            reply = await http.post(
                self._endpoint, body, headers, codec.name, idempotent=idempotent
            )
        try:
            content = await self._parse(codec, reply.body, keep)
        except SoapFault as fault:
            raise classify_fault(
                fault.info,
                self.settings,
                service=self.name,
                operation=codec.name,
                status=reply.status,
                retry_after_header=reply.headers.get("retry-after"),
            ) from None
        except (
            etree.LxmlError,
            ZeepError,
            ValueError,
            TypeError,
            LookupError,
            AttributeError,
        ) as exc:
            if reply.status != 200:
                raise http_error(
                    reply.status, reply.headers, service=self.name, operation=codec.name
                ) from exc
            raise ProtocolError(
                f"{self.name} answered {codec.name} with XML the WSDL does not describe "
                f"({type(exc).__name__})",
                service=self.name,
                detail=f"operation {codec.name}: HTTP {reply.status}, {len(reply.body)} bytes",
            ) from exc
        if reply.status != 200:
            raise http_error(reply.status, reply.headers, service=self.name, operation=codec.name)
        return content

    # -- lookups ----------------------------------------------------------------------------

    def _check_key(self, key: Any) -> LegacyError | None:
        if not isinstance(key, str) or not key or _BAD_KEY_CHARS.intersection(key):
            return InvalidInputError(
                f"{self.name}: key must be a non-empty string of printable characters",
                service=self.name,
            )
        return None

    async def _single_lookup(self, key: str) -> Result:
        assert self._single is not None
        try:
            content = await self.call(self._single, [key], idempotent=True)
        except RecordNotFoundError:
            return None
        record = get_path(content, self.settings.result_path)
        return record if isinstance(record, dict) else None

    def _records(self, content: dict[str, Any], path: str | None) -> list[Record]:
        found = get_path(content, path)
        if found is None:
            return []
        items = found if isinstance(found, list) else [found]
        return [item for item in items if isinstance(item, dict)]

    async def _batch_lookup(self, keys: list[str]) -> dict[str, Result]:
        """One batch call; if the service rejects the batch as invalid, halve it until the
        keys it rejects are found (they fail alone, the rest are answered)."""
        assert self._batch is not None
        s = self.settings
        try:
            content = await self.call(self._batch, keys, idempotent=True)
        except InvalidInputError as exc:
            if len(keys) == 1:
                return {keys[0]: exc}
            half = len(keys) // 2
            parts = await asyncio.gather(
                self._batch_lookup(keys[:half]), self._batch_lookup(keys[half:])
            )
            return {**parts[0], **parts[1]}
        except RecordNotFoundError:
            return dict.fromkeys(keys)
        results: dict[str, Result] = dict.fromkeys(keys)
        for record in self._records(content, s.batch_result_path or s.result_path):
            key = get_path(record, s.result_key_path)
            if key is not None and str(key) in results:
                results[str(key)] = record
        return results

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        """One result per key, in order: a record dict, ``None`` (unknown) or an error."""
        checked: dict[str, Result] = {}
        wanted: list[str] = []
        for key in keys:
            if key in checked or key in wanted:
                continue
            problem = self._check_key(key)
            if problem is not None:
                checked[key] = problem
            else:
                wanted.append(key)
        if wanted:
            checked.update(await self._lookup(wanted))
        return [checked[key] for key in keys]

    async def _lookup(self, keys: list[str]) -> dict[str, Result]:
        if self._batch is not None:
            size = self.settings.batch_size
            chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
            parts = await asyncio.gather(
                *(self._batch_lookup(c) for c in chunks), return_exceptions=True
            )
            merged: dict[str, Result] = {}
            for part in parts:
                if isinstance(part, BaseException):
                    raise part
                merged.update(part)
            return merged
        results = await asyncio.gather(
            *(self._single_lookup(k) for k in keys), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, _KEY_ERRORS):
                raise result
        return dict(zip(keys, results, strict=True))  # type: ignore[arg-type]

    async def invoke(self, operation: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Call any operation of the port with keyword ``arguments`` (as zeep takes them).

        For writes and one-off calls (e.g. ``SubmitAddressChange``). Returns the reply
        wrapper's content as plain dicts; faults raise typed errors, "not found" included
        (as :class:`~legacy_connectors.errors.RecordNotFoundError`).
        """
        codec = self._others.get(operation)
        if codec is None:
            port = self._port
            if port is None:
                raise ConfigurationError(
                    f"connector {self.name!r} is not open: call open() first", service=self.name
                )
            codec = build_codec(
                port,
                port.operation(operation, "operation", self.name),
                key_path=None,
                many=False,
                values={},
                credentials=self._credentials,
                fast=self.settings.fast_path,
            )
            self._others[operation] = codec
        return await self.call(codec, None, arguments)

    # -- other capabilities -----------------------------------------------------------------

    @property
    def pages_by_position(self) -> bool:
        """Whether the scan's page token is a record position (``scan_token_is_position``)."""
        s = self.settings
        return bool(
            s.scan_token_is_position
            and self._scan is not None
            and s.scan_page_token_path
            and s.scan_page_size_path
        )

    async def read_page(
        self, start: int, size: int, fields: Sequence[str] | None = None
    ) -> tuple[list[tuple[str, Record]], bool]:
        """One page of the scan operation from record position ``start``, and whether more
        follow (the response carries a next page token). With ``fields`` (dotted paths into a
        record), each record holds only those (and its key); the rest is not decoded."""
        s = self.settings
        size_path, token_path = s.scan_page_size_path, s.scan_page_token_path
        if not (s.scan_token_is_position and self._scan is not None and size_path and token_path):
            raise NotImplementedError(
                f"source {self.name!r} cannot read a page by position: set scan_operation, "
                "scan_page_size_path, scan_page_token_path and scan_token_is_position"
            )
        if start < 0 or size < 1:
            raise ValueError(f"read_page: expected start >= 0 and size >= 1, got {start}, {size}")
        values: dict[str, Any] = {size_path: size}
        if start:
            values[token_path] = str(start)
        result_path = s.scan_result_path or s.batch_result_path or s.result_path
        keep = None
        if fields is not None:
            prefix = f"{result_path}." if result_path else ""
            keep = [prefix + f for f in (*fields, s.result_key_path) if f]
            if s.scan_next_token_path:
                keep.append(s.scan_next_token_path)
            try:
                self._scan.projection(keep)
            except LookupError as exc:
                raise ConfigurationError(
                    f"{self.name}: cannot read fields {list(fields)} of {self._scan.name}'s "
                    f"records: {exc.args[0]}",
                    service=self.name,
                ) from None
        content = await self.call(self._scan, None, values, keep=keep, idempotent=True)
        records = self._records(content, result_path)
        page = [(str(get_path(r, s.result_key_path)), r) for r in records]
        token = get_path(content, s.scan_next_token_path) if s.scan_next_token_path else None
        return page, token is not None and bool(records)

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        """Page through the scan operation, yielding (key, record) pairs per page."""
        s = self.settings
        if self._scan is None:
            raise NotImplementedError(f"source {self.name!r} has no scan_operation configured")
        token: Any = None
        while True:
            values: dict[str, Any] = {}
            if s.scan_page_size_path:
                values[s.scan_page_size_path] = batch_size
            if token is not None and s.scan_page_token_path:
                values[s.scan_page_token_path] = token
            content = await self.call(self._scan, None, values, idempotent=True)
            records = self._records(
                content, s.scan_result_path or s.batch_result_path or s.result_path
            )
            page = [(str(get_path(r, s.result_key_path)), r) for r in records]
            if page:
                yield page
            token = get_path(content, s.scan_next_token_path) if s.scan_next_token_path else None
            if token is None or not records:
                return

    @property
    def tracks_changes(self) -> bool:
        """When ``changes_operation`` (and the settings it needs) is configured."""
        return bool(self.settings.changes_operation)

    def _changes(self) -> SoapFeed:
        if not self.settings.changes_operation:
            raise NotImplementedError(f"source {self.name!r} has no changes_operation configured")
        if self._feed is None:
            raise ConfigurationError(
                f"connector {self.name!r} is not open: call open() first", service=self.name
            )
        return self._feed

    async def change_cursor(self) -> str:
        """The service's newest change-log position (``changes_position_operation``)."""
        return await self._changes().cursor()

    async def changes(self, since: str, batch_size: int = 1000) -> AsyncIterator[ChangePage]:
        """Keys the service's change log lists after the cursor, with their records read by
        the batched lookup (see ``soap.changes``)."""
        async for page in self._changes().pages(since, batch_size):
            yield page

    async def submit(self, command: str, payload: Mapping[str, Any], *, delivery_id: str) -> Record:
        """Call the command's operation once with the payload and the delivery id."""
        spec = self.settings.commands.get(command)
        if spec is None:
            raise NotImplementedError(f"source {self.name!r} has no command {command!r}")
        codec = self._commands.get(command)
        if codec is None:
            if self._port is None:
                raise ConfigurationError(
                    f"connector {self.name!r} is not open: call open() first", service=self.name
                )
            operation = self._port.operation(spec.operation, f"commands.{command}", self.name)
            codec = build_codec(
                self._port,
                operation,
                key_path=None,
                many=False,
                values={},
                credentials=load_credentials(self.settings, self.name),
                fast=False,
            )
            self._commands[command] = codec
        values = build_values(self.name, command, spec, payload, delivery_id)
        content = await self.call(codec, None, values)
        return read_outcome(self.name, command, spec, content)

    async def write_limits(self, command: str) -> list[FieldLimit]:
        """What ``command``'s request can carry, from the WSDL's schema (see ``soap.limits``)."""
        spec = self.settings.commands.get(command)
        if spec is None:
            return []
        if self._port is None:
            raise ConfigurationError(
                f"connector {self.name!r} is not open: call open() first", service=self.name
            )
        if command not in self._limits:
            self._limits[command] = await asyncio.to_thread(
                command_limits, self._port, spec, f"commands.{command}", self.name
            )
        return list(self._limits[command])

    async def health(self) -> Health:
        """Up when the service answers the health operation, down when it cannot be reached,
        times out or the operation cannot be built. A fault answer (not found, not authorised)
        still means the service is up: authentication is checked on its own (``connectors
        check``).

        The operation is ``health_operation``, else one record of the scan operation, else an
        empty POST to which any HTTP answer counts (see :class:`SoapSettings`).
        """
        http, _ = self._ready()
        s = self.settings
        started = time.perf_counter()
        detail = ""
        try:
            if s.health_operation is not None:
                await self.invoke(s.health_operation, dict(s.health_arguments))
            elif self._scan is not None:
                values = {s.scan_page_size_path: 1} if s.scan_page_size_path else {}
                await self.call(self._scan, None, values)
            else:
                await http.post(self._endpoint, b"", {"Content-Type": "text/xml"}, "health")
        except RecordNotFoundError:
            pass
        except (RetriableError, ConfigurationError, InvalidInputError) as exc:
            return Health(status="down", detail=exc.message)
        except LegacyError as exc:
            detail = f"answers, but the health call failed: {exc.code}"
        latency = (time.perf_counter() - started) * 1000
        return Health(status="up", detail=detail, latency_ms=latency, facts={"calls": self.calls})

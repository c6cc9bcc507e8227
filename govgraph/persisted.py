"""Persisted operations: an allow-list for production apps, and automatic persisted queries.

Compatible with Apollo's protocol: a request may send ``extensions.persistedQuery =
{"version": 1, "sha256Hash": H}`` without ``query``; an unknown hash answers
``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``, HTTP 200) so that the client
sends the text with the hash, which registers it once it has parsed and validated (an
operation that fails validation is never stored, so its hash keeps answering
``PERSISTED_QUERY_NOT_FOUND``). In ``allowlist`` mode only the operations of
the manifest (Apollo's persisted query manifest, or a ``{hash: text}`` object) may run, sent
by hash or in full; nothing is registered at run time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from govgraph.graphql_http import GraphQLRequest, RequestError

__all__ = ["PersistedOperations", "load_manifest", "operation_hash"]

Mode = Literal["off", "automatic", "allowlist"]

_HASH = re.compile(r"^[0-9a-f]{64}$")


def operation_hash(text: str) -> str:
    """The SHA-256 hex digest clients use as an operation's id."""
    return hashlib.sha256(text.encode()).hexdigest()


def load_manifest(path: str | Path) -> dict[str, str]:
    """Read a manifest into ``{hash: text}``; every id must be the hash of its text."""
    data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        pairs = [(op.get("id"), op.get("body")) for op in data["operations"]]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise ValueError(f"{path}: expected a persisted query manifest (a JSON object)")
    out: dict[str, str] = {}
    for i, (op_id, body) in enumerate(pairs):
        if not isinstance(op_id, str) or not isinstance(body, str):
            raise ValueError(f"{path}: operation {i} needs a string id and body")
        if operation_hash(body) != op_id:
            raise ValueError(f"{path}: operation {i}: its id is not the SHA-256 of its body")
        out[op_id] = body
    return out


def _not_found() -> RequestError:
    return RequestError("PersistedQueryNotFound", status=200, code="PERSISTED_QUERY_NOT_FOUND")


class PersistedOperations:
    """Resolves persisted operations for requests, per the configured mode."""

    def __init__(
        self, mode: Mode, *, manifest: dict[str, str] | None = None, cache_size: int = 10_000
    ) -> None:
        if mode == "allowlist" and manifest is None:
            raise ValueError("the allowlist mode needs `gateway.persisted_manifest`")
        self.mode = mode
        self.manifest = dict(manifest or {})
        self.cache_size = cache_size
        self._registered: OrderedDict[str, str] = OrderedDict()

    def _lookup(self, digest: str) -> str | None:
        text = self.manifest.get(digest)
        if text is None and self.mode == "automatic":
            text = self._registered.get(digest)
            if text is not None:
                self._registered.move_to_end(digest)
        return text

    def register(self, request: GraphQLRequest) -> None:
        """Store a request's operation under its hash (call once it parsed and validated).

        Only a request that sent both the text and its hash registers, and only in the
        ``automatic`` mode; :meth:`resolve` has already checked that the hash is the text's.
        """
        ext = (request.extensions or {}).get("persistedQuery")
        if self.mode != "automatic" or not isinstance(ext, dict) or not self.cache_size:
            return
        digest = ext.get("sha256Hash")
        if not isinstance(digest, str) or digest in self.manifest or digest in self._registered:
            return
        text = request.query
        self._registered[digest] = text
        self._registered.move_to_end(digest)
        if len(self._registered) > self.cache_size:
            self._registered.popitem(last=False)

    def resolve(self, request: GraphQLRequest) -> GraphQLRequest:
        """The request with its operation text, or a :class:`RequestError` saying why not."""
        ext = (request.extensions or {}).get("persistedQuery")
        if ext is None:
            if self.mode == "allowlist" and operation_hash(request.query) not in self.manifest:
                raise RequestError(
                    "only persisted operations may run here; this one is not in the allow-list",
                    code="PERSISTED_QUERY_NOT_IN_LIST",
                )
            return request
        if self.mode == "off":
            raise RequestError(
                "PersistedQueryNotSupported", status=200, code="PERSISTED_QUERY_NOT_SUPPORTED"
            )
        if not isinstance(ext, dict) or ext.get("version") != 1:
            raise RequestError("`extensions.persistedQuery.version` must be 1")
        digest = ext.get("sha256Hash")
        if not isinstance(digest, str) or not _HASH.match(digest):
            raise RequestError("`extensions.persistedQuery.sha256Hash` must be 64 hex digits")
        if request.query:
            if operation_hash(request.query) != digest:
                raise RequestError("provided sha does not match query")
            if self.mode == "allowlist" and digest not in self.manifest:
                raise RequestError(
                    "this operation is not in the allow-list", code="PERSISTED_QUERY_NOT_IN_LIST"
                )
            return request
        text = self._lookup(digest)
        if text is None:
            raise _not_found()
        return replace(request, query=text)

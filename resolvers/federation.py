"""The gateway as an Apollo Federation v2 subgraph: ``_service { sdl }`` and ``_entities``.

``Citizen`` is an entity keyed by its global ``id`` (``@key(fields: "id")``), so another
team's subgraph can extend a citizen with fields of its own. ``_entities`` resolves each
representation exactly as ``Query.citizen(id:)`` does: the caller must be the citizen (or a
caseworker with an allowed purpose), the citizen must be in the index, and every field read
under it is authorized per field group and written to the access ledger like any other read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import ExecutionContext, Info
from strawberry.types.base import get_object_definition

from resolvers import handlers as api
from resolvers import query as q
from resolvers.errors import InvalidId
from schema import schema_arguments
from schema.citizen import Citizen
from schema.handlers import Handlers

__all__ = [
    "FEDERATION_VERSION",
    "MAX_REPRESENTATIONS",
    "FederatedSchema",
    "build_federated_schema",
]

_DEFINITION = "__strawberry_definition__"
MAX_REPRESENTATIONS: Final = 100
"""Most entities one ``_entities`` call may resolve (each is a citizen read, as a
``Query.citizen`` field would be)."""

FEDERATION_VERSION: Final = "2.9"
"""The Federation version the subgraph schema declares (``@link`` to ``federation/v2.9``)."""


async def _citizen_reference(info: Info, representation: dict[str, Any]) -> Citizen:
    global_id = representation.get("id")
    if not isinstance(global_id, str):
        raise InvalidId("a Citizen representation needs its `id`")
    citizen_id = q.citizen_id_from_global(global_id)
    await q.ensure_citizen(info.context, citizen_id)
    return Citizen.of(citizen_id)


class FederatedSchema(strawberry.federation.Schema):
    """The gateway's schema with the federation fields; ``Citizen`` references resolve
    through the same checks as ``Query.citizen``. Errors are reported by the server that
    answers the request (strawberry's own logging is off), as for the plain schema."""

    handlers: Handlers | None = None
    """The work behind the fields (:mod:`schema.handlers`)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        if len(representations) > MAX_REPRESENTATIONS:
            raise GraphQLError(
                f"_entities: at most {MAX_REPRESENTATIONS} representations per call",
                extensions={
                    "code": "OPERATION_TOO_COSTLY",
                    "limit": MAX_REPRESENTATIONS,
                    "found": len(representations),
                },
            )
        out: list[Any] = []
        for representation in representations:
            if not isinstance(representation, dict):
                out.append(InvalidId("a representation must be an object"))
                continue
            fields = dict(representation)
            if fields.pop("__typename", None) != "Citizen":
                out.append(InvalidId("only `Citizen` entities are resolved here"))
                continue
            out.append(_citizen_reference(info, fields))
        return out


def build_federated_schema(
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
    *,
    handlers: Handlers = api,
) -> FederatedSchema:
    """The gateway's schema as a Federation v2 subgraph (``Citizen @key(fields: "id")``).

    The key is put on a copy of ``Citizen``'s definition while this schema is built, so the
    plain schema (and its snapshot) never carries federation directives.
    """
    original = get_object_definition(Citizen, strict=True)
    keyed = dataclasses.replace(
        original, directives=[*(original.directives or ()), Key(fields=FieldSet("id"))]
    )
    setattr(Citizen, _DEFINITION, keyed)
    try:
        schema = FederatedSchema(
            **schema_arguments(),
            federation_version=FEDERATION_VERSION,
            extensions=list(extensions),
        )
    finally:
        setattr(Citizen, _DEFINITION, original)
    schema.handlers = handlers
    return schema

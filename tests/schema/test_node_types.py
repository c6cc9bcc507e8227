"""Every object type with an `id` is a `Node`, so `node(id:)` can fetch it again."""

from __future__ import annotations

from graphql import GraphQLObjectType

from schema import build_schema


def test_every_type_with_an_id_implements_node() -> None:
    """No object type in the schema has an `id` field without implementing `Node`."""
    graphql_schema = build_schema()._schema
    node = graphql_schema.get_type("Node")
    with_id = [
        t
        for t in graphql_schema.type_map.values()
        if isinstance(t, GraphQLObjectType) and not t.name.startswith("__") and "id" in t.fields
    ]
    assert {"LinkReview", "AddressChange", "Citizen"} <= {t.name for t in with_id}
    assert [t.name for t in with_id if node not in t.interfaces] == []

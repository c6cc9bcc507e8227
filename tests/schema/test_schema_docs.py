"""Every type, field, argument and enum value of the schema is documented for GraphiQL."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    specified_scalar_types,
)

from schema import build_schema


def _schema() -> GraphQLSchema:
    return build_schema()._schema


def undocumented(schema: GraphQLSchema) -> list[str]:
    """Coordinates of every type, field, argument or enum value without a description, and of
    every deprecation without a reason."""
    missing: list[str] = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in specified_scalar_types:
            continue
        if not (type_.description or "").strip():
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in type_.fields.items():
                where = f"{name}.{field_name}"
                if not (field.description or "").strip():
                    missing.append(where)
                reason = getattr(field, "deprecation_reason", None)
                if reason is not None and not reason.strip():
                    missing.append(f"{where} (deprecated without a reason)")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not (arg.description or "").strip():
                        missing.append(f"{where}({arg_name}:)")
        elif isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                if not (value.description or "").strip():
                    missing.append(f"{name}.{value_name}")
                if value.deprecation_reason is not None and not value.deprecation_reason.strip():
                    missing.append(f"{name}.{value_name} (deprecated without a reason)")
        elif isinstance(type_, GraphQLUnionType):
            continue
    return missing


def test_every_type_field_argument_and_enum_value_is_documented() -> None:
    """No type, field, argument or enum value lacks a description; deprecations have reasons."""
    missing = undocumented(_schema())
    assert not missing, "undocumented in the schema (add a description): " + ", ".join(missing)


def test_the_check_finds_an_undocumented_field() -> None:
    """The walk reports a field added without a description."""
    import strawberry

    @strawberry.type(description="Root.")
    class Query:
        @strawberry.field(description="Documented.")
        def good(self) -> int:
            return 1

        @strawberry.field
        def bare(self, x: int) -> int:
            return x

    found = undocumented(strawberry.Schema(query=Query)._schema)
    assert found == ["Query.bare", "Query.bare(x:)"]

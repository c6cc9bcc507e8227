"""The app developers' example operations (GraphiQL tabs) are valid against the schema."""

from __future__ import annotations

from graphql import parse, validate

from govgraph.explorer import explorer_html
from govgraph.statistics.graphiql import EXAMPLES, examples
from schema import build_schema


def test_app_examples_validate_and_open_as_tabs() -> None:
    """Each app example parses and validates, and the GraphiQL page carries it."""
    schema = build_schema()._schema
    found = examples(EXAMPLES / "app")
    assert len(found) >= 4
    page = explorer_html()
    for name, text in found:
        assert validate(schema, parse(text)) == [], name
        first = text.split("query ", 1)[-1].split("mutation ", 1)[-1].split(" ", 1)[0]
        assert first in page, name

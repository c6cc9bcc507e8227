"""The example operations for analysts are valid, run without errors and open in GraphiQL."""

from __future__ import annotations

import httpx
from graphql import parse, validate

from govgraph.statistics.graphiql import examples
from schema import build_schema
from tests.statistics.conftest import StatsGateway
from tests.statistics.test_statistics_api import ask


def test_examples_are_valid_operations() -> None:
    """Every `schema/examples/*.graphql` parses and validates against the schema."""
    found = examples()
    assert len(found) >= 3
    schema = build_schema()._schema
    for name, text in found:
        assert validate(schema, parse(text)) == [], name


async def test_examples_run_for_an_analyst(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """Each example answers an analyst with data and no errors."""
    for name, text in examples():
        body = await ask(stats_client, stats_gateway, text)
        assert "errors" not in body, (name, body.get("errors"))
        assert body["data"]["statistics"], name


async def test_graphiql_opens_with_the_examples_as_tabs(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient
) -> None:
    """The GraphiQL page carries every example, the first as the default query."""
    response = await stats_client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    page = response.text
    assert 'id="graphiql-config"' in page
    for _name, text in examples():
        operation = text.split("query ", 1)[1].split(" ", 1)[0]
        assert operation in page

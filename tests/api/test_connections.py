"""`citizens` as a Relay cursor connection over HTTP: page info at both ends, `first: 0`,
paging backwards with `last`/`before`, and arguments it refuses with a typed error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from govgraph.index import CitizenIndex
from resolvers.ids import encode_id
from tests.api.helpers import gql
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String) {
  citizens(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
  }
}
"""


def _caseworker(gateway: RunningGateway) -> dict[str, str]:
    return gateway.headers("caseworker", purpose="case-review")


async def _all_ids(gateway: RunningGateway) -> list[str]:
    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    try:
        return (await index.citizen_window(first=100_000)).rows
    finally:
        await index.aclose()


async def _page(
    client: httpx.AsyncClient, gateway: RunningGateway, **variables: Any
) -> dict[str, Any]:
    body = await gql(client, PAGE, variables, _caseworker(gateway))
    assert "errors" not in body, body
    page: dict[str, Any] = body["data"]["citizens"]
    return page


def _ids(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in page["edges"]]


async def test_page_info_has_both_ends_and_cursors_of_the_first_and_last_edge(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """`pageInfo` carries `hasPreviousPage` and `startCursor` besides `hasNextPage` and
    `endCursor`: false/true on the first page, true on the next, cursors of its edges."""
    everyone = [encode_id("Citizen", cid) for cid in await _all_ids(gateway)]
    first = await _page(client, gateway, first=5)
    assert _ids(first) == everyone[:5]
    info = first["pageInfo"]
    assert info == {
        "hasPreviousPage": False,
        "hasNextPage": True,
        "startCursor": first["edges"][0]["cursor"],
        "endCursor": first["edges"][-1]["cursor"],
    }
    second = await _page(client, gateway, first=5, after=info["endCursor"])
    assert _ids(second) == everyone[5:10]
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["pageInfo"]["startCursor"] == second["edges"][0]["cursor"]


async def test_first_zero_is_an_empty_page_that_says_whether_items_follow(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """`citizens(first: 0)` is allowed (the spec allows 0): no edges, null cursors, and
    `hasNextPage` true while citizens follow, false after the last one."""
    everyone = await _all_ids(gateway)
    empty = await _page(client, gateway, first=0)
    assert empty == {
        "edges": [],
        "pageInfo": {
            "hasPreviousPage": False,
            "hasNextPage": True,
            "startCursor": None,
            "endCursor": None,
        },
    }
    tail = await _page(client, gateway, last=1)
    at_end = await _page(client, gateway, first=0, after=tail["pageInfo"]["endCursor"])
    assert _ids(tail) == [encode_id("Citizen", everyone[-1])]
    assert at_end["edges"] == []
    assert at_end["pageInfo"]["hasNextPage"] is False
    assert at_end["pageInfo"]["hasPreviousPage"] is True


async def test_last_and_before_page_backwards_through_the_same_order(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """`last`/`before` walk from the end to the start in pages that, put together, are
    exactly the forward order; `hasPreviousPage` is false only on the first page."""
    everyone = [encode_id("Citizen", cid) for cid in await _all_ids(gateway)]
    pages: list[list[str]] = []
    before = None
    while True:
        page = await _page(client, gateway, last=40, before=before)
        pages.insert(0, _ids(page))
        info = page["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert [cid for page in pages for cid in page] == everyone
    assert len(pages) == -(-len(everyone) // 40)


async def test_arguments_a_connection_cannot_honour_are_typed_errors(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """`first` with `last`, a size outside 0 to 100 and a cursor this API did not issue are
    BAD_USER_INPUT errors naming the argument, never a page."""
    cases = {
        "both": ({"first": 2, "last": 2}, "not both"),
        "negative": ({"first": -1}, "`first` must be between 0 and 100, got -1"),
        "too many": ({"last": 101}, "`last` must be between 0 and 100, got 101"),
        "foreign cursor": ({"last": 2, "before": "bm90LWEtY3Vyc29y"}, "`before` is not a cursor"),
        "review cursor": ({"first": 2, "after": encode_id("LinkReview", "1")}, "`after` is not"),
    }
    for label, (variables, message) in cases.items():
        body = await gql(client, PAGE, variables, _caseworker(gateway))
        assert body["data"] is None, label
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", label
        assert message in error["message"], (label, error)

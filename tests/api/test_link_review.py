"""Caseworkers over HTTP: the link review queue, deciding reviews, and a citizen's links.

A gateway of its own, on a population with hard noise (so the linker leaves reviews), since
deciding reviews changes the index the session's shared gateway serves.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph import demo
from govgraph.index import CitizenIndex, Review
from resolvers.ids import encode_id
from resolvers.linkage import encode_review_id
from tests.api.helpers import gql
from tests.harness import RunningGateway, running_gateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

MASKED = re.compile(r"^\*{5}(.{3})?$")

QUEUE = """
query Queue($first: Int!, $after: String) {
  linkReview(first: $first, after: $after) {
    edges { cursor node {
      id department maskedKey candidateDepartment candidateMaskedKey candidateCitizenId
      score reason modelVersion raisedAt status
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

RESOLVE = """
mutation Resolve($id: ID!, $decision: LinkReviewDecision!) {
  resolveLinkReview(id: $id, decision: $decision) {
    review { id status department maskedKey }
    citizenId
  }
}
"""

LINKS = """
query Links($id: ID!) {
  citizen(id: $id) {
    departments
    links { department method score linkedAt modelVersion maskedKey }
  }
}
"""


@pytest.fixture(scope="module")
def review_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fixtures.generate import generate, write_all

    data_dir = tmp_path_factory.mktemp("link-review-data")
    write_all(generate(people=400, seed=1, noise="hard", as_of=date(2026, 11, 27)), data_dir)
    return data_dir


@pytest.fixture(scope="module")
def review_tax_url(review_data: Path) -> Iterator[str]:
    with demo.tax_service(review_data) as url:
        yield url


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def review_gateway(review_data: Path, review_tax_url: str) -> AsyncIterator[RunningGateway]:
    async with running_gateway(review_data, review_tax_url, None) as gateway:
        yield gateway


@pytest_asyncio.fixture(loop_scope="session")
async def rclient(review_gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=review_gateway.base_url, timeout=30) as c:
        yield c


async def _index(gateway: RunningGateway) -> CitizenIndex:
    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    return index


async def _open_reviews(gateway: RunningGateway) -> list[Review]:
    index = await _index(gateway)
    try:
        return await index.open_reviews(limit=1000)
    finally:
        await index.aclose()


async def _holder(gateway: RunningGateway, source: str, key: str) -> str | None:
    index = await _index(gateway)
    try:
        return (await index.citizens_for(source, [key])).get(key)
    finally:
        await index.aclose()


async def _movable(gateway: RunningGateway) -> list[Review]:
    """Open reviews whose record is held by another citizen than the candidate's."""
    out = []
    for review in await _open_reviews(gateway):
        holder = await _holder(gateway, review.source, review.key)
        if holder is not None and holder != review.candidate_citizen_id:
            out.append(review)
    return out


def _caseworker(gateway: RunningGateway) -> dict[str, str]:
    return gateway.headers("caseworker", purpose="case-review")


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def test_caseworker_pages_through_open_reviews_with_reasons_and_masked_keys(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """`linkReview` lists every open review once, oldest first, a page at a time, with its
    reason, score and departments, and only the last three characters of either key."""
    expected = await _open_reviews(review_gateway)
    assert len(expected) >= 3
    h = _caseworker(review_gateway)
    seen: list[dict[str, Any]] = []
    after = None
    texts = []
    while True:
        r = await rclient.post(
            "/graphql",
            json={"query": QUEUE, "variables": {"first": 7, "after": after}},
            headers=h,
        )
        body = r.json()
        assert "errors" not in body, body
        texts.append(r.text)
        page = body["data"]["linkReview"]
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [n["id"] for n in seen] == [encode_review_id(x.id or 0) for x in expected]
    for node, review in zip(seen, expected, strict=True):
        assert node["status"] == "OPEN"
        assert node["reason"] == review.reason and node["reason"]
        assert node["score"] == pytest.approx(review.score)
        assert node["department"] == review.source.upper()
        assert node["candidateDepartment"] == review.candidate_source.upper()
        assert node["maskedKey"] == "*****" + review.key[-3:]
        assert node["candidateMaskedKey"] == "*****" + review.candidate_key[-3:]
        assert node["candidateCitizenId"] == encode_id("Citizen", review.candidate_citizen_id or "")
    raw = {x.key for x in expected} | {x.candidate_key for x in expected}
    assert not any(key in text for key in raw for text in texts)


async def test_last_and_before_page_the_queue_backwards(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """`linkReview(last:, before:)` walks the queue from the newest review back, in pages
    that together are the forward order, with `hasPreviousPage`/`startCursor` to go on."""
    expected = [encode_review_id(x.id or 0) for x in await _open_reviews(review_gateway)]
    h = _caseworker(review_gateway)
    query = """
    query Back($last: Int, $before: String) {
      linkReview(last: $last, before: $before) {
        edges { cursor node { id } }
        pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
      }
    }
    """
    pages: list[list[str]] = []
    before = None
    while True:
        body = await gql(rclient, query, {"last": 7, "before": before}, h)
        assert "errors" not in body, body
        page = body["data"]["linkReview"]
        pages.insert(0, [e["node"]["id"] for e in page["edges"]])
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert [x for page in pages for x in page] == expected


async def test_node_fetches_a_review_for_caseworkers_only(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """`node(id:)` with a review's id (the id `linkReview` gives) returns that `LinkReview`
    to a caseworker with a purpose; a citizen, even the candidate's, gets FORBIDDEN."""
    review = (await _open_reviews(review_gateway))[0]
    global_id = encode_review_id(review.id or 0)
    query = """
    query Node($id: ID!) {
      node(id: $id) { __typename id ... on LinkReview { status maskedKey reason } }
    }
    """
    body = await gql(rclient, query, {"id": global_id}, _caseworker(review_gateway))
    assert body["data"]["node"] == {
        "__typename": "LinkReview",
        "id": global_id,
        "status": "OPEN",
        "maskedKey": "*****" + review.key[-3:],
        "reason": review.reason,
    }
    own = review_gateway.headers("citizen", review.candidate_citizen_id or "")
    refused = await gql(rclient, query, {"id": global_id}, own)
    assert refused["data"]["node"] is None
    assert _codes(refused) == ["FORBIDDEN"]
    missing = await gql(
        rclient, query, {"id": encode_review_id(10_000_000)}, _caseworker(review_gateway)
    )
    assert _codes(missing) == ["NOT_FOUND"]


async def test_confirming_a_review_links_the_record_to_the_candidates_citizen(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """CONFIRM moves the record to the candidate's citizen as a caseworker link, which
    `Citizen.links` then shows (key masked); the review leaves the queue, and the citizen's
    access log shows a caseworker's `linkage` access with its purpose."""
    review = (await _movable(review_gateway))[0]
    target = review.candidate_citizen_id or ""
    h = _caseworker(review_gateway)
    body = await gql(
        rclient, RESOLVE, {"id": encode_review_id(review.id or 0), "decision": "CONFIRM"}, h
    )
    assert "errors" not in body, body
    result = body["data"]["resolveLinkReview"]
    assert result["review"]["status"] == "CONFIRMED"
    assert result["citizenId"] == encode_id("Citizen", target)
    assert await _holder(review_gateway, review.source, review.key) == target

    r = await rclient.post(
        "/graphql", json={"query": LINKS, "variables": {"id": result["citizenId"]}}, headers=h
    )
    citizen = r.json()["data"]["citizen"]
    by_hand = [x for x in citizen["links"] if x["method"] == "caseworker"]
    assert [(x["department"], x["maskedKey"], x["score"], x["modelVersion"]) for x in by_hand] == [
        (review.source.upper(), "*****" + review.key[-3:], 1.0, "caseworker")
    ]
    assert review.key not in r.text
    assert review.source.upper() in citizen["departments"]

    queue = await gql(rclient, QUEUE, {"first": 100}, h)
    ids = [e["node"]["id"] for e in queue["data"]["linkReview"]["edges"]]
    assert encode_review_id(review.id or 0) not in ids

    own = review_gateway.headers("citizen", target)
    log = await gql(rclient, "{ me { accessLog { role purpose fieldGroups } } }", None, own)
    assert {
        "role": "CASEWORKER",
        "purpose": "case-review",
        "fieldGroups": ["linkage"],
    } in log["data"]["me"]["accessLog"]


async def test_rejecting_a_review_closes_it_and_links_nothing(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """REJECT closes the review (it leaves the queue) and leaves every link as it was."""
    review = (await _movable(review_gateway))[-1]
    before = await _holder(review_gateway, review.source, review.key)
    h = _caseworker(review_gateway)
    body = await gql(
        rclient, RESOLVE, {"id": encode_review_id(review.id or 0), "decision": "REJECT"}, h
    )
    assert "errors" not in body, body
    assert body["data"]["resolveLinkReview"]["review"]["status"] == "REJECTED"
    assert body["data"]["resolveLinkReview"]["citizenId"] is None
    assert await _holder(review_gateway, review.source, review.key) == before
    assert review.id not in {x.id for x in await _open_reviews(review_gateway)}


async def test_deciding_a_closed_unknown_or_malformed_review_is_a_typed_error(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """A decided review cannot be decided again (REVIEW_ALREADY_RESOLVED), an unknown id is
    NOT_FOUND and an id that is not a review's is BAD_USER_INPUT; nothing changes."""
    h = _caseworker(review_gateway)
    review = (await _open_reviews(review_gateway))[0]
    first = await gql(
        rclient, RESOLVE, {"id": encode_review_id(review.id or 0), "decision": "REJECT"}, h
    )
    assert "errors" not in first, first
    cases = {
        encode_review_id(review.id or 0): "REVIEW_ALREADY_RESOLVED",
        encode_review_id(10_000_000): "NOT_FOUND",
        encode_id("Citizen", "cz_nobody"): "BAD_USER_INPUT",
    }
    before = len(await _open_reviews(review_gateway))
    for global_id, code in cases.items():
        body = await gql(rclient, RESOLVE, {"id": global_id, "decision": "CONFIRM"}, h)
        assert body["data"] is None, body
        assert _codes(body) == [code], body
        assert body["errors"][0]["path"] == ["resolveLinkReview"]
    assert len(await _open_reviews(review_gateway)) == before


async def test_two_caseworkers_confirming_the_same_review_at_once_decide_it_once(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """Of concurrent decisions on one review exactly one succeeds; the rest are refused."""
    review = (await _open_reviews(review_gateway))[0]
    variables = {"id": encode_review_id(review.id or 0), "decision": "CONFIRM"}
    h = _caseworker(review_gateway)
    bodies = await asyncio.gather(*(gql(rclient, RESOLVE, variables, h) for _ in range(5)))
    outcomes = sorted("ok" if "errors" not in b else _codes(b)[0] for b in bodies)
    assert outcomes == ["REVIEW_ALREADY_RESOLVED"] * 4 + ["ok"]


async def test_citizens_analysts_and_caseworkers_without_purpose_are_refused(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """The queue, the decision and `Citizen.links` are for caseworkers with a purpose only:
    others are refused before anything runs, and no review is decided. A citizen still sees
    which departments hold records about them."""
    review = (await _open_reviews(review_gateway))[0]
    citizen_id = review.candidate_citizen_id or ""
    callers = {
        "anonymous": ({}, "UNAUTHENTICATED"),
        "citizen": (review_gateway.headers("citizen", citizen_id), "FORBIDDEN"),
        "analyst": (review_gateway.headers("analyst"), "FORBIDDEN"),
        "no purpose": (
            {"Authorization": f"Bearer {review_gateway.idp.token(role='caseworker')}"},
            "FORBIDDEN",
        ),
    }
    variables = {"id": encode_review_id(review.id or 0), "decision": "CONFIRM"}
    for label, (headers, code) in callers.items():
        queue = await gql(rclient, QUEUE, {"first": 5}, headers)
        assert queue["data"] is None and _codes(queue) == [code], (label, queue)
        decided = await gql(rclient, RESOLVE, variables, headers)
        assert decided["data"] is None and _codes(decided) == [code], (label, decided)
        assert decided["errors"][0]["path"] == ["resolveLinkReview"]
    assert review.id in {x.id for x in await _open_reviews(review_gateway)}

    own = review_gateway.headers("citizen", citizen_id)
    body = await gql(rclient, "{ me { departments links { maskedKey } } }", None, own)
    assert body["data"]["me"]["departments"]
    assert body["data"]["me"]["links"] is None
    assert _codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["me", "links"]


async def test_citizen_links_show_each_department_once_per_key_with_keys_masked(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """`Citizen.links` lists every active link of the citizen with its method and score, and
    no key appears whole in the response."""
    index = await _index(review_gateway)
    try:
        everyone = [x for x in await index.all_links() if x.status == "active"]
        by_citizen: dict[str, list[Any]] = {}
        for link in everyone:
            by_citizen.setdefault(link.citizen_id, []).append(link)
        citizen_id = max(sorted(by_citizen), key=lambda c: len(by_citizen[c]))
    finally:
        await index.aclose()
    held = by_citizen[citizen_id]
    r = await rclient.post(
        "/graphql",
        json={"query": LINKS, "variables": {"id": encode_id("Citizen", citizen_id)}},
        headers=_caseworker(review_gateway),
    )
    links = r.json()["data"]["citizen"]["links"]
    got = sorted((x["department"], x["maskedKey"], x["method"], x["score"]) for x in links)
    want = sorted((x.source.upper(), "*****" + x.key[-3:], x.method, x.score) for x in held)
    assert got == want
    assert all(MASKED.match(x["maskedKey"]) for x in links)
    assert not any(x.key in r.text for x in held)


async def test_links_for_a_page_of_citizens_are_each_citizens_own(
    review_gateway: RunningGateway, rclient: httpx.AsyncClient
) -> None:
    """`links` on every citizen of a `citizens` page gives each citizen their own links."""
    body = await gql(
        rclient,
        "{ citizens(first: 25) { edges { node { id links { department maskedKey method } } } } }",
        None,
        _caseworker(review_gateway),
    )
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["citizens"]["edges"]]
    index = await _index(review_gateway)
    try:
        ids = {encode_id("Citizen", cid): cid for cid in (await index.page(25, None))[0]}
        held = await index.links_for(list(ids.values()))
    finally:
        await index.aclose()
    assert [n["id"] for n in nodes] == list(ids)
    for node in nodes:
        want = sorted(
            (x.source.upper(), "*****" + x.key[-3:], x.method) for x in held[ids[node["id"]]]
        )
        got = sorted((x["department"], x["maskedKey"], x["method"]) for x in node["links"])
        assert got == want and got

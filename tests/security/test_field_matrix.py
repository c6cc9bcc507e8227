"""Every field of the schema, as every role: the role-by-field matrix, generated from the schema.

The walk visits each object type reachable from ``Query`` and each of its fields, builds an
operation that reaches the field, sends it as each role, and compares the outcome (refused
with FORBIDDEN/UNAUTHENTICATED on the field's path, or not) with :data:`POLICY` below. A field
without an entry in :data:`POLICY` fails the test, so no new field escapes the matrix. The
fields of installed departments' declarations get their entries from the declarations.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_interface_type,
    is_object_type,
)

from govgraph.departments import AccessPolicy, RecordType, all_departments
from govgraph.index import CitizenIndex
from resolvers.authz import camel
from resolvers.ids import encode_id
from schema import build_schema
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

A, D = "allow", "deny"
ROLES = (
    "anonymous",
    "citizen_own",
    "citizen_p0",
    "citizen_other",
    "caseworker",
    "caseworker_no_purpose",
    "caseworker_bad_purpose",
    "analyst",
)


def _cls(*allowed: str) -> dict[str, str]:
    return {role: (A if role in allowed else D) for role in ROLES}


CLASSES: dict[str, dict[str, str]] = {
    "root_me": _cls("citizen_own", "citizen_p0", "citizen_other"),
    "root_caseworker": _cls("caseworker"),
    "root_node": _cls("citizen_own", "citizen_p0", "caseworker"),
    "root_signed_in": _cls(*(r for r in ROLES if r != "anonymous")),
    "root_citizen_p1": _cls("citizen_own", "citizen_other"),
    "root_aggregate": _cls(
        "caseworker", "caseworker_no_purpose", "caseworker_bad_purpose", "analyst"
    ),
    "citizen_p0": _cls("citizen_own", "citizen_p0", "caseworker"),
    "citizen_p1": _cls("citizen_own", "caseworker"),
    "citizen_p2": _cls("citizen_own", "caseworker"),
    "citizen_self_p1": _cls("citizen_own"),
    "citizen_caseworker": _cls("caseworker"),
    "write_p1": {},
    "write_p2": {},
    "write_caseworker": {},
    "inherit": {},
}
"""Expected outcome per role. ``citizen_p0`` holds a P0 token; ``citizen_p1`` and ``citizen_p2``
differ for the matrix only in the P1 token of :func:`test_identity_confidence_per_group`."""

_NESTED = "inherit"

POLICY: dict[str, str] = {
    "Query.me": "root_me",
    "Query.citizen": "root_caseworker",
    "Query.citizens": "root_caseworker",
    "Query.node": "root_node",
    "Query.services": "root_signed_in",
    "Query.statistics": "root_aggregate",
    "Query.addressChange": "root_citizen_p1",
    "Query.linkReview": "root_caseworker",
    "Query.failedDeliveries": "root_caseworker",
    "Mutation.payPenaltyNotice": "write_p1",
    "Mutation.changeAddress": "write_p2",
    "Mutation.applyForPassportRenewal": "write_p2",
    "Mutation.resolveLinkReview": "write_caseworker",
    "Mutation.retryDelivery": "write_caseworker",
    "Mutation.cancelDelivery": "write_caseworker",
    "Citizen.id": "citizen_p0",
    "Citizen.name": "citizen_p1",
    "Citizen.dateOfBirth": "citizen_p1",
    "Citizen.address": "citizen_p1",
    "Citizen.departments": "citizen_p1",
    "Citizen.tax": "citizen_p2",
    "Citizen.benefits": "citizen_p2",
    "Citizen.passport": "citizen_p1",
    "Citizen.drivingLicence": "citizen_p1",
    "Citizen.vehicles": "citizen_p1",
    "Citizen.parkingFines": "citizen_p1",
    "Citizen.applications": "citizen_p1",
    "Citizen.properties": "citizen_p2",
    "Citizen.obligations": "citizen_p2",
    "Citizen.entitlements": "citizen_p2",
    "Citizen.documents": "citizen_p1",
    "Citizen.tasks": "citizen_p2",
    "Citizen.accessLog": "citizen_self_p1",
    "Citizen.links": "citizen_caseworker",
    **{
        f"{t}.{f}": _NESTED
        for t, fields in {
            "CitizenConnection": "edges pageInfo",
            "CitizenEdge": "cursor node",
            "PageInfo": "hasNextPage endCursor hasPreviousPage startCursor",
            "PersonName": "givenName middleNames familyName fullName",
            "Address": "lines town postcode",
            "TaxAccount": "taxCode selfAssessmentStatus balanceOwed refundDue paymentsDue taxYears",
            "TaxPayment": "reference dueDate amount description",
            "TaxYearSummary": "taxYear totalIncome taxPaid taxDue",
            "Money": "amount currency formatted",
            "BenefitClaim": "id reference benefit status awardAmount frequency startDate endDate "
            "nextPaymentDate overpayment recentPayments",
            "BenefitPayment": "paidOn amount",
            "Passport": "id number issueDate expiryDate status applications",
            "PassportApplication": "reference received status",
            "DrivingLicence": "id number status issueDate expiryDate endorsements penaltyPoints",
            "Endorsement": "offenceCode points offenceDate",
            "Vehicle": "id registration make model colour firstRegistered taxExpiry motExpiry",
            "PenaltyNotice": "id pcn authority vehicleRegistration contraventionCode "
            "contravention location issuedAt amount discountAmount discountDeadline status "
            "amountDue",
            "PropertyTitle": "titleNumber tenure classOfTitle address registeredOn pricePaid "
            "leaseExpiresOn proprietorCount charges",
            "TitleCharge": "lender registeredOn",
            "Obligation": "id kind department reference description amount dueDate",
            "Entitlement": "id kind department reference description amount expectedOn",
            "Document": "id kind department reference expiryDate daysUntilExpiry",
            "Task": "id kind department title reference dueDate action",
            "TaskAction": "mutation argument value",
            "AccessRecord": "at accessor role purpose departments fieldGroups requestId",
            "Application": "kind reference department received status",
            "AddressChange": "id address reportedAt deliveries complete",
            "AddressDelivery": "department authority status attempts lastError deliveredAt",
            "PenaltyPayment": "reference pcn authority amountPaid paidAt",
            "PassportRenewal": "reference passportNumber received status",
            "Service": "name kind status breaker breakerRetryInSeconds consecutiveFailures "
            "callsInFlight callsQueued lastLatencyMs p50LatencyMs p95LatencyMs lastErrorCode "
            "lastErrorAt lastSuccessAt databases",
            "DatabaseStatus": "name breaker consecutiveFailures",
            "Statistics": "threshold fromMonth toMonth postcodeAreas benefitClaims "
            "penaltyNotices taxBalances passportExpiries passportAndVehicleRenewals "
            "unpaidPenaltyAndActiveBenefit table budget catalogue",
            "BuiltTable": "dimensions measure cells total epsilon noiseScale margin95 "
            "publishedOn charged",
            "TableCell": "labels value",
            "PrivacyBudget": "total spent remaining tableCost",
            "StatisticsVariable": "name kind description values",
            "StatisticsTable": "name rowDimensions columnDimension cells rowTotals "
            "columnTotals total",
            "StatisticsCell": "row column people records amount suppressed",
            "CountCell": "value suppressed",
            "AmountCell": "value suppressed",
            "CitizenLink": "department method score linkedAt modelVersion maskedKey",
            "LinkReviewConnection": "edges pageInfo",
            "LinkReviewEdge": "cursor node",
            "LinkReview": "id department maskedKey candidateDepartment candidateMaskedKey "
            "candidateCitizenId score reason modelVersion raisedAt status",
            "LinkReviewResolution": "review citizenId",
            "FailedDelivery": "deliveryId changeId citizenId department authority status "
            "attempts lastError reportedAt",
        }.items()
        for f in fields.split()
    },
}
"""Every coordinate's policy class; nested types inherit the class of the field that gates
them on the path (the first ``Citizen`` field, or the root field)."""


def _declared_policy() -> dict[str, str]:
    """Declared departments' ``Citizen`` fields get their field group's class (the default
    policy: citizens their own, caseworkers with a purpose, from the declared confidence);
    their record types' fields inherit it."""
    out: dict[str, str] = {}
    for d in all_departments():
        policy = d.policy
        assert policy.roles == AccessPolicy(group="x").roles, f"{d.id}: add its roles' class"
        for f in d.fields:
            out[f"Citizen.{camel(f.name)}"] = f"citizen_{policy.confidence.lower()}"
        for t in d.types:
            if isinstance(t, RecordType):
                names = [camel(x.name) for x in t.fields] + (["id"] if t.node_key else [])
                out.update({f"{t.name}.{n}": _NESTED for n in names})
    return out


POLICY.update(_declared_policy())

ROOT_ARGS = {
    "citizen": "(id: $id)",
    "node": "(id: $id)",
    "citizens": "(first: 2)",
    "addressChange": "(id: $id)",
}
FIELD_ARGS = {
    "table": '(request: {where: [{condition: "tax.owes"}]}, purpose: "access matrix")',
}
"""Arguments of nested fields that require them."""


@dataclass(frozen=True)
class Case:
    coordinate: str
    query: str
    path: tuple[str, ...]
    gate: str
    uses_id: bool


def _leaf(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    return " { __typename }" if is_object_type(named) or is_interface_type(named) else ""


def _paths(schema: GraphQLSchema, start: GraphQLObjectType, skip: set[str]) -> dict[str, list[str]]:
    """Shortest field path from ``start`` to each object type (deterministic: schema order)."""
    paths: dict[str, list[str]] = {start.name: []}
    queue = deque([start])
    while queue:
        t = queue.popleft()
        for name, field in t.fields.items():
            if (t.name, name) in {tuple(s.split(".")) for s in skip}:
                continue
            named = get_named_type(field.type)
            if is_object_type(named) and named.name not in paths:
                paths[named.name] = [*paths[t.name], name]
                queue.append(named)
    return paths


def _nest(steps: list[str], inner: str) -> str:
    out = inner
    for step in reversed(steps):
        out = f"{step}{FIELD_ARGS.get(step, '')} {{ {out} }}"
    return out


def cases(schema: GraphQLSchema) -> list[Case]:
    """One case per (object type, field) reachable from Query (introspection aside)."""
    query = schema.query_type
    citizen = schema.get_type("Citizen")
    assert query is not None and isinstance(citizen, GraphQLObjectType)
    from_citizen = _paths(schema, citizen, set())
    from_query = _paths(schema, query, {"Query.me", "Query.citizen", "Query.node"})
    out: list[Case] = []
    reachable = set(from_citizen) | set(from_query)
    for type_name in sorted(reachable):
        t = schema.get_type(type_name)
        assert isinstance(t, GraphQLObjectType)
        for name, field in t.fields.items():
            coordinate = f"{type_name}.{name}"
            selection = f"{name}{FIELD_ARGS.get(name, '')}{_leaf(field)}"
            if type_name == query.name:
                args = ROOT_ARGS.get(name, "")
                uses_id = "$id" in args
                head = "query($id: ID!)" if uses_id else "query"
                out.append(
                    Case(
                        coordinate,
                        f"{head} {{ {name}{args}{_leaf(field)} }}",
                        (name,),
                        coordinate,
                        uses_id,
                    )
                )
            elif type_name in from_citizen:
                steps = from_citizen[type_name]
                gate = f"Citizen.{steps[0]}" if steps else coordinate
                out.append(
                    Case(coordinate, _nest(steps, selection), tuple([*steps, name]), gate, True)
                )
            else:
                steps = from_query[type_name]
                args = ROOT_ARGS.get(steps[0], "")
                uses_id = "$id" in args
                head = "query($id: ID!)" if uses_id else "query"
                body = _nest(steps, selection).replace(steps[0], steps[0] + args, 1)
                out.append(
                    Case(
                        coordinate,
                        f"{head} {{ {body} }}",
                        tuple([*steps, name]),
                        f"Query.{steps[0]}",
                        uses_id,
                    )
                )
    return out


def _entry(case: Case, role: str) -> tuple[str, tuple[str, ...], str]:
    """The operation text, the field's response path, and which citizen ``$id`` names."""
    if case.coordinate.startswith("Query."):
        return case.query, case.path, "other" if role == "citizen_other" else "own"
    if not case.gate.startswith("Citizen."):
        return case.query, case.path, "own"
    if role in ("citizen_own", "citizen_p0"):
        return f"query {{ me {{ {case.query} }} }}", ("me", *case.path), "own"
    if role == "citizen_other":
        text = f"query($id: ID!) {{ node(id: $id) {{ ... on Citizen {{ {case.query} }} }} }}"
        return text, ("node", *case.path), "other"
    text = f"query($id: ID!) {{ citizen(id: $id) {{ {case.query} }} }}"
    return text, ("citizen", *case.path), "own"


def _headers(gateway: RunningGateway, role: str, own: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    if role in ("citizen_own", "citizen_other"):
        return gateway.headers("citizen", own)
    if role == "citizen_p0":
        return gateway.headers("citizen", own, confidence="P0")
    if role == "caseworker":
        return gateway.headers("caseworker", purpose="case-review")
    if role == "caseworker_no_purpose":
        return {"Authorization": f"Bearer {gateway.idp.token(role='caseworker')}"}
    if role == "caseworker_bad_purpose":
        return gateway.headers("caseworker", purpose="curiosity")
    return gateway.headers("analyst")


def _refused(body: dict[str, Any], path: tuple[str, ...]) -> bool:
    for err in body.get("errors") or []:
        code = err.get("extensions", {}).get("code")
        where = tuple(p for p in err.get("path") or () if isinstance(p, str))
        if code in ("FORBIDDEN", "UNAUTHENTICATED") and where == path[: len(where)] and where:
            return True
    return False


@dataclass
class People:
    own: str
    other: str
    other_secrets: list[str]


async def people(gateway: RunningGateway) -> People:
    """Two citizens with the most linked departments, and the other's identifying values."""
    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    try:
        by_citizen: dict[str, list[Any]] = {}
        for link in await index.all_links():
            if link.status == "active":
                by_citizen.setdefault(link.citizen_id, []).append(link)
        ranked = sorted(by_citizen, key=lambda c: (-len({x.source for x in by_citizen[c]}), c))
        profiles = await index.profiles(ranked[:20])
    finally:
        await index.aclose()
    own = ranked[0]
    other = next(c for c in ranked[1:20] if profiles[c].surname != profiles[own].surname)
    secrets = [link.key for link in by_citizen[other]] + [profiles[other].surname]
    return People(own, other, [s for s in secrets if len(s) >= 4])


def mutation_coordinates(schema: GraphQLSchema) -> set[str]:
    """Every ``Type.field`` reachable from ``Mutation`` (checked for a policy, not sent)."""
    if schema.mutation_type is None:
        return set()
    found = set()
    for type_name in _paths(schema, schema.mutation_type, set()):
        t = schema.get_type(type_name)
        assert isinstance(t, GraphQLObjectType)
        found.update(f"{type_name}.{name}" for name in t.fields)
    return found


def _check_policy_complete(schema: GraphQLSchema) -> list[Case]:
    all_cases = cases(schema)
    coordinates = {c.coordinate for c in all_cases} | mutation_coordinates(schema)
    missing = sorted(coordinates - set(POLICY))
    assert not missing, f"fields without an access policy entry in this test: {missing}"
    return all_cases


async def test_every_field_has_a_policy_entry() -> None:
    """Each field reachable from Query has an entry in the matrix's policy table."""
    _check_policy_complete(build_schema()._schema)


async def test_role_field_matrix(gateway: RunningGateway, client: httpx.AsyncClient) -> None:
    """Every field, as every role, is allowed or refused exactly as the policy table says, and
    no response to a citizen carries another citizen's identifiers."""
    all_cases = _check_policy_complete(build_schema()._schema)
    who = await people(gateway)
    ids = {"own": encode_id("Citizen", who.own), "other": encode_id("Citizen", who.other)}
    headers = {role: _headers(gateway, role, who.own) for role in ROLES}
    limit = asyncio.Semaphore(16)
    mismatches: list[str] = []
    leaks: list[str] = []

    async def run(case: Case, role: str) -> None:
        klass = POLICY[case.coordinate]
        if klass == _NESTED:
            klass = POLICY[case.gate]
        expected = CLASSES[klass][role]
        text, path, target = _entry(case, role)
        variables = {"id": ids[target]} if "$id" in text else {}
        async with limit:
            r = await client.post(
                "/graphql", json={"query": text, "variables": variables}, headers=headers[role]
            )
        assert r.status_code == 200, (case.coordinate, role, r.text)
        body = r.json()
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
        assert "INTERNAL_SERVER_ERROR" not in codes, (case.coordinate, role, body)
        assert "GRAPHQL_VALIDATION_FAILED" not in codes, (case.coordinate, role, text, body)
        actual = D if _refused(body, path) else A
        if actual != expected:
            mismatches.append(f"{case.coordinate} as {role}: expected {expected}, got {actual}")
        if role.startswith("citizen"):
            leaks.extend(
                f"{case.coordinate} as {role}: {s!r}" for s in who.other_secrets if s in r.text
            )

    await asyncio.gather(*(run(c, role) for c in all_cases for role in ROLES))
    assert not mismatches, "\n".join(sorted(mismatches))
    assert not leaks, "\n".join(sorted(leaks))


async def test_identity_confidence_per_group(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """A P1 token reads P1 groups (identity, documents, parking) but not P2 ones (tax,
    benefits, the views that use them)."""
    who = await people(gateway)
    h = gateway.headers("citizen", who.own, confidence="P1")
    citizen = build_schema()._schema.get_type("Citizen")
    assert isinstance(citizen, GraphQLObjectType)
    for field, klass in POLICY.items():
        if not field.startswith("Citizen.") or klass not in ("citizen_p1", "citizen_p2"):
            continue
        name = field.split(".", 1)[1]
        leaf = _leaf(citizen.fields[name])
        r = await client.post("/graphql", json={"query": f"{{ me {{ {name}{leaf} }} }}"}, headers=h)
        refused = _refused(r.json(), ("me", name))
        assert refused == (klass == "citizen_p2"), (field, r.json())


async def test_citizen_cannot_fetch_another_citizens_objects_by_id(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """Object ids of another citizen's passport, licence, vehicles, claims and notices are
    refused before any department is asked, and nothing of theirs comes back."""
    who = await people(gateway)
    index = CitizenIndex(gateway.settings.gateway.index_url)
    await index.open()
    try:
        links = (await index.links_for([who.other]))[who.other]
    finally:
        await index.aclose()
    kinds = {"passports": "Passport", "benefits": "BenefitClaim", "vehicles": "DrivingLicence"}
    ids = [encode_id(kinds[x.source], who.other, x.key) for x in links if x.source in kinds]
    ids.append(encode_id("Vehicle", who.other, "AB12 CDE"))
    ids.append(encode_id("PenaltyNotice", who.other, "XX00000000"))
    h = gateway.headers("citizen", who.own)
    for global_id in ids:
        r = await client.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { node(id: $id) { id __typename } }",
                "variables": {"id": global_id},
            },
            headers=h,
        )
        body = r.json()
        assert body["data"]["node"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert not any(s in r.text for s in who.other_secrets)


WRITES = {
    "payPenaltyNotice": 'payPenaltyNotice(pcn: "XX00000000", amount: "1.00", '
    'idempotencyKey: "matrix-1") { reference }',
    "changeAddress": 'changeAddress(newAddress: { lines: ["1 Matrix Road"], town: "Testbury", '
    'postcode: "TB1 1AA" }, idempotencyKey: "matrix-2") { id }',
    "applyForPassportRenewal": 'applyForPassportRenewal(input: { passportNumber: "000000000", '
    'photoCode: "X", declaration: true }, idempotencyKey: "matrix-3") { reference }',
}


@pytest.mark.parametrize("field", sorted(WRITES))
async def test_writes_are_refused_before_they_run(
    gateway: RunningGateway, client: httpx.AsyncClient, field: str
) -> None:
    """Mutations act for a signed-in citizen with enough identity confidence only: others are
    refused before the resolver runs."""
    assert f"Mutation.{field}" in POLICY
    who = await people(gateway)
    needed = "P2" if POLICY[f"Mutation.{field}"] == "write_p2" else "P1"
    too_low = "P1" if needed == "P2" else "P0"
    refused = {
        "anonymous": ({}, "UNAUTHENTICATED"),
        "caseworker": (gateway.headers("caseworker"), "FORBIDDEN"),
        "analyst": (gateway.headers("analyst"), "FORBIDDEN"),
        "low_confidence": (gateway.headers("citizen", who.own, confidence=too_low), "FORBIDDEN"),
    }
    for label, (headers, code) in refused.items():
        r = await client.post(
            "/graphql", json={"query": f"mutation {{ {WRITES[field]} }}"}, headers=headers
        )
        body = r.json()
        assert body.get("data") is None, (label, body)
        assert body["errors"][0]["extensions"]["code"] == code, (label, body)
        assert body["errors"][0]["path"] == [field], (label, body)

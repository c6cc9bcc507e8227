"""The authorization policy itself: who may use each root field, read each field group and
coordinate, at which identity confidence, and which types analysts may read."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from graphql import build_schema

from govgraph.auth import Principal
from govgraph.departments import VIEW_TYPES, all_departments
from resolvers.authz import (
    CITIZEN_FIELD_GROUPS,
    GROUPS,
    ITEM_VIEWS,
    NODE_TYPE_GROUPS,
    FieldGroup,
    analyst_types,
    camel,
    check_citizen_access,
    check_coordinate,
    check_group,
    department_of_item,
    node_group,
    require_caseworker,
)
from resolvers.errors import ApiError, Forbidden, Unauthenticated

ROLES = ("citizen", "caseworker", "analyst")


def _who(role: str, confidence: str = "P4", **kw: Any) -> Principal:
    if role == "caseworker":
        kw.setdefault("purpose", "case-review")
        kw.setdefault("purpose_allowed", True)
    if role == "citizen":
        kw.setdefault("citizen_id", "cz_1")
    return Principal(subject="s", role=role, confidence=confidence, **kw)  # type: ignore[arg-type]


def _said(problem: ApiError | None) -> tuple[str, str] | None:
    return None if problem is None else (type(problem).__name__, problem.message)


def test_camel_spells_snake_case_as_the_schema_does() -> None:
    """Each underscore-separated part after the first is capitalised on its first letter only."""
    assert camel("driving_licence") == "drivingLicence"
    assert camel("parking_fines_due") == "parkingFinesDue"
    assert camel("name") == "name"


def test_the_gateway_groups_and_citizen_fields() -> None:
    """The gateway's own groups (identity, access log, linkage) and the Citizen fields they
    guard are as documented; a department group reads that department's source only."""
    assert GROUPS["identity"] == FieldGroup("identity", ("index",), "P1")
    assert GROUPS["identity"].roles == {"citizen", "caseworker"}
    assert GROUPS["access_log"] == FieldGroup("access_log", (), "P1", frozenset({"citizen"}))
    assert GROUPS["linkage"] == FieldGroup("linkage", ("linkage",), "P1", frozenset({"caseworker"}))
    assert GROUPS["tax"] == FieldGroup("tax", ("tax",), "P2")
    assert GROUPS["passport"] == FieldGroup("passport", ("passports",), "P1")
    for field in ("name", "dateOfBirth", "address", "departments"):
        assert CITIZEN_FIELD_GROUPS[field] == ("identity",)
    assert CITIZEN_FIELD_GROUPS["id"] == ()
    assert CITIZEN_FIELD_GROUPS["accessLog"] == ("access_log",)
    assert CITIZEN_FIELD_GROUPS["links"] == ("linkage",)
    assert CITIZEN_FIELD_GROUPS["drivingLicence"] == ("licensing",)
    assert {"tax", "benefits"} <= set(CITIZEN_FIELD_GROUPS["entitlements"])
    assert {"passport", "licensing"} <= set(CITIZEN_FIELD_GROUPS["documents"])
    assert NODE_TYPE_GROUPS["Citizen"] is None
    assert NODE_TYPE_GROUPS["LinkReview"] == "linkage"
    assert NODE_TYPE_GROUPS["AddressChange"] == "identity"
    assert NODE_TYPE_GROUPS["Passport"] == "passport"


# root field -> roles that may use it, and the confidence it needs of them (None: any)
ROOTS: dict[str, tuple[set[str], str | None]] = {
    "me": ({"citizen"}, None),
    "citizen": ({"caseworker"}, None),
    "citizens": ({"caseworker"}, None),
    "node": ({"citizen", "caseworker"}, None),
    "statistics": ({"caseworker", "analyst"}, None),
    "services": ({"citizen", "caseworker", "analyst"}, None),
    "addressChange": ({"citizen"}, "P1"),
    "payPenaltyNotice": ({"citizen"}, "P1"),
    "changeAddress": ({"citizen"}, "P2"),
    "applyForPassportRenewal": ({"citizen"}, "P2"),
    "linkReview": ({"caseworker"}, None),
    "resolveLinkReview": ({"caseworker"}, None),
    "failedDeliveries": ({"caseworker"}, None),
    "retryDelivery": ({"caseworker"}, None),
    "cancelDelivery": ({"caseworker"}, None),
    "_entities": ({"citizen", "caseworker"}, None),
    "_service": ({"citizen", "caseworker", "analyst"}, None),
}
PURPOSE_BOUND = {
    "citizen", "citizens", "node", "linkReview", "resolveLinkReview", "failedDeliveries",
    "retryDelivery", "cancelDelivery", "_entities",
}  # fmt: skip
LEVELS = ("P0", "P1", "P2", "P3", "P4")


@pytest.mark.parametrize("field", sorted(ROOTS))
def test_each_root_field_is_open_to_its_roles_at_its_confidence(field: str) -> None:
    """Every role outside a root field's list is refused by name; its roles are let in from
    the confidence it needs and refused just below it, with both levels named."""
    roles, needed = ROOTS[field]
    roots = frozenset({"Query", "Mutation"})
    for role in ROLES:
        problem = check_coordinate(_who(role), "Mutation", field, root_types=roots)
        if role not in roles:
            assert _said(problem) == ("Forbidden", f"the {role} role may not use `{field}`")
            continue
        assert problem is None
        floor = LEVELS.index(needed or "P0")
        for level in LEVELS:
            got = _said(check_coordinate(_who(role, level), "Query", field))
            if LEVELS.index(level) >= floor:
                assert got is None, (field, role, level)
            else:
                wanted = f"`{field}` needs identity confidence {needed} or higher"
                assert got == ("Forbidden", f"{wanted}; the token has {level}")
    assert _said(check_coordinate(None, "Query", field)) == (
        "Unauthenticated",
        f"sign in to use `{field}`",
    )


@pytest.mark.parametrize("field", sorted(f for f, (r, _) in ROOTS.items() if "caseworker" in r))
def test_caseworkers_state_an_allowed_purpose_for_purpose_bound_roots(field: str) -> None:
    """Root fields that read citizens' records refuse a caseworker without a purpose or with
    one not allowed; the others do not ask for one."""
    bare = _who("caseworker", purpose=None, purpose_allowed=False)
    stray = _who("caseworker", purpose="curiosity", purpose_allowed=False)
    if field in PURPOSE_BOUND:
        assert _said(check_coordinate(bare, "Query", field)) == (
            "Forbidden",
            "a caseworker must state a purpose to look up a citizen",
        )
        assert _said(check_coordinate(stray, "Query", field)) == (
            "Forbidden",
            "the stated purpose is not one of the allowed purposes",
        )
    else:
        assert check_coordinate(bare, "Query", field) is None
        assert check_coordinate(stray, "Query", field) is None


def test_a_root_field_without_a_policy_is_closed_to_everyone() -> None:
    """A root field missing from the policy is refused to every role and to no one signed in,
    naming the field."""
    for who in (None, *(_who(r) for r in ROLES)):
        assert _said(check_coordinate(who, "Query", "everything")) == (
            "Forbidden",
            "`everything` has no access policy",
        )
    # a type not named a root type is not checked as one
    assert check_coordinate(_who("citizen"), "Mutation", "everything") is None


def test_require_caseworker_and_citizen_access() -> None:
    """Citizens reach only their own records; caseworkers any, with an allowed purpose; no
    one else, and no one signed out."""
    with pytest.raises(Unauthenticated, match=r"^sign in to use this field$"):
        require_caseworker(None)
    with pytest.raises(Forbidden, match=r"^only caseworkers may look up citizens$"):
        require_caseworker(_who("citizen"))
    with pytest.raises(Forbidden, match=r"^a caseworker must state a purpose"):
        require_caseworker(_who("caseworker", purpose=""))
    with pytest.raises(Forbidden, match=r"^the stated purpose is not one of the allowed"):
        require_caseworker(_who("caseworker", purpose_allowed=False))
    with pytest.raises(Forbidden, match=r"^the stated purpose is not one of the allowed"):
        require_caseworker(SimpleNamespace(role="caseworker", purpose="case-review"))
    require_caseworker(_who("caseworker"))

    with pytest.raises(Unauthenticated, match=r"^sign in to see citizens' records$"):
        check_citizen_access(None, "cz_1")
    check_citizen_access(_who("citizen", citizen_id="cz_1"), "cz_1")
    with pytest.raises(Forbidden, match=r"^you may only see your own records$"):
        check_citizen_access(_who("citizen", citizen_id="cz_1"), "cz_2")
    check_citizen_access(_who("caseworker"), "cz_2")
    with pytest.raises(Forbidden, match=r"^a caseworker must state a purpose"):
        check_citizen_access(_who("caseworker", purpose=None), "cz_2")
    with pytest.raises(Forbidden, match=r"^only caseworkers may look up citizens$"):
        check_citizen_access(_who("analyst"), "cz_2")


def test_check_group_roles_confidence_and_overrides() -> None:
    """A group is refused to roles outside it and below its confidence (equal is enough); an
    override raises or lowers the level; an unknown level held counts as P0, needed as P4."""
    assert _said(check_group(None, "tax")) == (
        "Unauthenticated",
        "sign in to see citizens' records",
    )
    assert _said(check_group(_who("analyst"), "tax")) == (
        "Forbidden",
        "the analyst role may not read `tax` data",
    )
    assert _said(check_group(_who("caseworker"), "access_log")) == (
        "Forbidden",
        "the caseworker role may not read `access_log` data",
    )
    assert check_group(_who("citizen"), "access_log") is None
    assert check_group(_who("citizen", "P2"), "tax") is None
    assert _said(check_group(_who("citizen", "P1"), "tax")) == (
        "Forbidden",
        "`tax` data needs identity confidence P2 or higher; the token has P1",
    )
    assert check_group(_who("citizen", "P1"), "identity") is None
    assert check_group(_who("citizen", "P0"), "identity") is not None
    assert check_group(_who("citizen", "P2"), "tax", {"tax": "P3"}) is not None
    assert check_group(_who("citizen", "P3"), "tax", {"tax": "P3"}) is None
    assert check_group(_who("citizen", "P1"), "tax", {"passport": "P0"}) is not None
    assert check_group(_who("citizen", "P1"), "tax", {"tax": "P1"}) is None
    assert check_group(_who("citizen", "P4"), "tax", {"tax": "P9"}) is None
    assert check_group(_who("citizen", "P3"), "tax", {"tax": "P9"}) is not None
    assert _said(check_group(_who("citizen", "high"), "identity")) == (
        "Forbidden",
        "`identity` data needs identity confidence P1 or higher; the token has high",
    )
    assert _said(check_coordinate(_who("citizen", "high"), "Query", "addressChange")) == (
        "Forbidden",
        "`addressChange` needs identity confidence P1 or higher; the token has high",
    )
    unrated = SimpleNamespace(role="citizen")
    assert _said(check_group(unrated, "identity")) == (
        "Forbidden",
        "`identity` data needs identity confidence P1 or higher; the token has P0",
    )
    assert check_group(unrated, "identity", {"identity": "P0"}) is None
    assert _said(check_coordinate(unrated, "Query", "addressChange")) == (
        "Forbidden",
        "`addressChange` needs identity confidence P1 or higher; the token has P0",
    )


def test_coordinates_below_the_root() -> None:
    """Introspection is open; other fields need a sign-in; analysts only reach open types;
    Citizen fields need every group they read, and a Citizen field without a policy is closed."""
    for who in (None, _who("analyst")):
        assert check_coordinate(who, "Citizen", "__typename") is None
        assert check_coordinate(who, "Query", "__schema") is None
        assert check_coordinate(who, "Query", "__type") is None
        assert check_coordinate(who, "__Type", "fields") is None
    assert _said(check_coordinate(None, "Passport", "number")) == (
        "Unauthenticated",
        "sign in to see citizens' records",
    )
    analyst = _who("analyst")
    refused = ("Forbidden", "analysts may read aggregate statistics only")
    assert _said(check_coordinate(analyst, "Passport", "number")) == refused
    assert _said(check_coordinate(analyst, "Citizen", "name")) == refused
    opened = frozenset({"StatisticsTable"})
    assert check_coordinate(analyst, "StatisticsTable", "rows", analyst_open=opened) is None
    citizen = _who("citizen", "P1")
    assert check_coordinate(citizen, "Passport", "number") is None
    assert check_coordinate(citizen, "Citizen", "name") is None
    assert check_coordinate(citizen, "Citizen", "id") is None
    assert _said(check_coordinate(citizen, "Citizen", "tax")) == (
        "Forbidden",
        "`tax` data needs identity confidence P2 or higher; the token has P1",
    )
    assert check_coordinate(citizen, "Citizen", "tax", overrides={"tax": "P1"}) is None
    # a view needs every group it reads: passport (P1) passes, licensing (P1) passes, at P0 not
    assert check_coordinate(citizen, "Citizen", "documents") is None
    assert check_coordinate(_who("citizen", "P0"), "Citizen", "documents") is not None
    assert _said(check_coordinate(citizen, "Citizen", "entitlements")) == (
        "Forbidden",
        "`tax` data needs identity confidence P2 or higher; the token has P1",
    )
    assert _said(check_coordinate(_who("caseworker"), "Citizen", "accessLog")) == (
        "Forbidden",
        "the caseworker role may not read `access_log` data",
    )
    assert _said(check_coordinate(citizen, "Citizen", "secrets")) == (
        "Forbidden",
        "`Citizen.secrets` has no access policy",
    )


SDL = """
interface Cell { count: Int }
type CountCell implements Cell { count: Int }
type AmountCell implements Cell { count: Int, amount: Money }
type Money { pence: Int }
type Table { cells: [Cell], total: Money }
type Service { name: String, status: Status }
type Status { up: Boolean }
type Person { name: String, owes: Money, address: Address }
type Address { line: String }
type Citizen { person: Person, table: Table }
type Query {
  statistics: Table
  services: [Service]
  me: Citizen
  citizen(id: ID): Citizen
  unlisted: Status
}
"""


def test_analysts_read_types_reachable_from_their_roots_and_not_from_citizen() -> None:
    """Analyst types are those reachable from statistics and services (through interfaces to
    their implementations), less any reachable from Citizen except plain values (Money)."""
    schema = build_schema(SDL)
    assert analyst_types(schema) == {"Service", "Status", "Money"}
    shared = build_schema(SDL.replace("type Citizen { person: Person, table: Table }",
                                      "type Citizen { person: Person }"))  # fmt: skip
    assert analyst_types(shared) == {
        "Table", "Cell", "CountCell", "AmountCell", "Money", "Service", "Status",
    }  # fmt: skip
    no_citizen = build_schema(
        "type Stat { n: Int }\ntype Person { name: String }\n"
        "type Query { statistics: Stat, me: Person }"
    )
    assert analyst_types(no_citizen) == {"Stat"}


def test_analyst_types_of_a_schema_without_a_query_type_is_empty() -> None:
    """A schema with no query type opens nothing to analysts."""
    from graphql import GraphQLSchema

    assert analyst_types(GraphQLSchema()) == frozenset()


def test_a_view_items_id_reads_the_group_of_the_department_adding_its_kind() -> None:
    """``node(id:)`` on a view item checks the group of the one department adding that kind;
    an unknown kind, a missing local key or a kind of another view names no department."""
    checked = 0
    for department in all_departments():
        for rule in department.items:
            type_name = VIEW_TYPES[rule.view]
            local = f"{rule.kind}:REF-1"
            assert department_of_item(type_name, local) is department
            assert node_group(type_name, local) == department.policy.group
            assert department_of_item(type_name, f"{rule.kind}:REF:WITH:COLONS") is department
            checked += 1
            for other_view, other_type in VIEW_TYPES.items():
                if other_view != rule.view and not any(
                    r.view == other_view and r.kind == rule.kind
                    for d in all_departments()
                    for r in d.items
                ):
                    assert department_of_item(other_type, local) is None
    assert checked >= 4
    some_item_type = next(iter(ITEM_VIEWS))
    assert department_of_item(some_item_type, "NO_SUCH_KIND:REF-1") is None
    assert node_group(some_item_type, "NO_SUCH_KIND:REF-1") is None
    assert node_group(some_item_type, None) is None
    assert department_of_item("Citizen", "ANY:REF") is None
    assert node_group("Citizen", None) is None
    assert node_group("LinkReview", "1") == "linkage"
    assert node_group("AddressChange", "1") == "identity"
    assert node_group("NoSuchType", "1") is None

"""The client tools app teams use, run for real against the committed schema and a running
gateway: relay-compiler, Apollo Client, graphql-inspector and GraphQL Code Generator (pinned in
`tests/clients/package.json`)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLObjectType, GraphQLScalarType, build_schema, get_named_type

from govgraph.commands.schema import live_sdl
from govgraph.departments.registry import installed_departments
from tests.api.helpers import citizen_id_for
from tests.clients.tools import HERE, REPO, NodeTools
from tests.harness import RunningGateway

pytestmark = pytest.mark.timeout(900)

SNAPSHOT = REPO / "schema" / "schema.graphql"
SCHEMA_DOC = REPO / "docs" / "schema.md"
_BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
_FENCED_GRAPHQL = re.compile(r"```graphql\n(.*?)```", re.S)
_CURL_QUERY = re.compile(r"""-d '\{"query":"(.*?)"\}'""")


def _schema() -> Any:
    return build_schema(SNAPSHOT.read_text(encoding="utf-8"))


def _custom_scalars() -> list[str]:
    return sorted(
        name
        for name, t in _schema().type_map.items()
        if isinstance(t, GraphQLScalarType)
        and name not in _BUILTIN_SCALARS
        and not name.startswith("__")
    )


def _relay_source() -> tuple[str, list[str]]:
    """Relay fragments for every connection field (forwards and backwards, `@connection` and
    `@refetchable`) and every `Node` type (`@refetchable`), with the artifact names expected."""
    schema = _schema()
    node = schema.get_type("Node")
    parts: list[str] = []
    expected: list[str] = []
    for type_name, t in sorted(schema.type_map.items()):
        if not isinstance(t, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in sorted(t.fields.items()):
            target = get_named_type(field.type)
            if not (isinstance(target, GraphQLObjectType) and target.name.endswith("Connection")):
                continue
            assert type_name == schema.query_type.name, f"{type_name}.{field_name}"
            for way, size, cursor in (("Fwd", "first", "after"), ("Back", "last", "before")):
                name = f"Conn{field_name[0].upper()}{field_name[1:]}{way}"
                parts.append(
                    f"export const {name} = graphql`\n"
                    f"  fragment {name}_query on Query\n"
                    f'  @refetchable(queryName: "{name}PaginationQuery")\n'
                    '  @argumentDefinitions(count: { type: "Int", defaultValue: 10 }, '
                    'cursor: { type: "String" }) {\n'
                    f"    {field_name}({size}: $count, {cursor}: $cursor)\n"
                    f'      @connection(key: "{name}_{field_name}") '
                    "{ edges { node { id } } }\n"
                    "  }\n`;\n"
                )
                expected += [f"{name}_query", f"{name}PaginationQuery"]
        if node in t.interfaces:
            name = f"Node{type_name}"
            parts.append(
                f"export const {name} = graphql`\n"
                f"  fragment {name}_node on {type_name}\n"
                f'  @refetchable(queryName: "{name}RefetchQuery") {{ id }}\n`;\n'
            )
            expected += [f"{name}_node", f"{name}RefetchQuery"]
    source = 'import { graphql } from "relay-runtime";\n\n' + "\n".join(parts)
    return source, expected


def test_relay_compiler_compiles_connections_and_refetchable_nodes(
    node_tools: NodeTools, tmp_path: Path
) -> None:
    """relay-compiler accepts `@connection` (first/after and last/before) with `@refetchable`
    on every connection field, and `@refetchable` on every `Node` type, against the committed
    schema (it refuses a `PageInfo` without `hasPreviousPage` and `startCursor`)."""
    source, expected = _relay_source()
    assert any(n.startswith("ConnCitizens") for n in expected)
    assert any(n.startswith("ConnLinkReview") for n in expected)
    assert {"NodeLinkReview_node", "NodeAddressChange_node", "NodeCitizen_node"} <= set(expected)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Fragments.ts").write_text(source, encoding="utf-8")
    config = {
        "src": "./src",
        "schema": str(SNAPSHOT),
        "language": "typescript",
        "customScalarTypes": dict.fromkeys(_custom_scalars(), "string"),
    }
    (tmp_path / "relay.config.json").write_text(json.dumps(config), encoding="utf-8")
    done = node_tools.run(node_tools.bin("relay-compiler"), cwd=tmp_path)
    assert done.returncode == 0 and "Compilation completed" in done.stdout, (
        done.stdout + done.stderr
    )
    made = {p.name.removesuffix(".graphql.ts") for p in (tmp_path / "src").rglob("*.graphql.ts")}
    assert set(expected) <= made


def _documented_operations() -> dict[str, str]:
    """Every operation the docs show: fenced ```graphql blocks in README.md and docs/, the
    README's curl query, and the examples in schema/examples."""
    found: dict[str, str] = {}
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for i, block in enumerate(_FENCED_GRAPHQL.findall(text)):
            found[f"{doc.stem}-{i}.graphql"] = block
        for i, query in enumerate(_CURL_QUERY.findall(text)):
            found[f"{doc.stem}-curl-{i}.graphql"] = query
    examples = REPO / "schema" / "examples"
    for example in sorted(examples.rglob("*.graphql")):
        found["_".join(example.relative_to(examples).parts)] = example.read_text(encoding="utf-8")
    return found


def test_graphql_inspector_validates_every_documented_operation(
    node_tools: NodeTools, tmp_path: Path
) -> None:
    """`graphql-inspector validate` finds every operation in the docs and the examples valid
    against the committed schema."""
    operations = _documented_operations()
    assert {"schema-0.graphql", "schema-1.graphql", "README-curl-0.graphql"} <= set(operations)
    assert sum(name[:2].isdigit() for name in operations) >= 4
    assert "app_01_home.graphql" in operations
    for name, text in operations.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = node_tools.run(
        node_tools.bin("graphql-inspector"),
        "validate",
        str(tmp_path / "*.graphql"),
        str(SNAPSHOT),
        "--noStrictFragments",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "All documents are valid" in output, output


async def test_graphql_inspector_finds_no_change_against_live_introspection(
    node_tools: NodeTools, clients_gateway: RunningGateway, tmp_path: Path
) -> None:
    """`graphql-inspector diff` of the printed schema against the running gateway's
    introspection reports no change at all (not even a description). The printed schema is
    the committed snapshot plus the departments that installed packages add (`govgraph schema
    check` pins the snapshot to the built-in departments). Introspection carries a deprecation
    as `isDeprecated`/`deprecationReason`, not as an applied directive, so the tool reports each
    `@deprecated` use as removed: those reports must be exactly the printed schema's deprecated
    fields (their reasons are checked through introspection in `tests/api`)."""
    expected = live_sdl()
    if not installed_departments():
        assert expected == SNAPSHOT.read_text(encoding="utf-8")
    printed = tmp_path / "schema.graphql"
    printed.write_text(expected, encoding="utf-8")
    done = await asyncio.to_thread(
        node_tools.run,
        node_tools.bin("graphql-inspector"),
        "diff",
        str(printed),
        f"{clients_gateway.base_url}/graphql",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    deprecated = {
        f"{t.name}.{name}"
        for t in build_schema(expected).type_map.values()
        if isinstance(t, GraphQLObjectType)
        for name, f in t.fields.items()
        if f.deprecation_reason is not None
    }
    reported = set(re.findall(r"Directive deprecated was removed from field (\S+)", output))
    assert reported == deprecated, output
    if not deprecated:
        assert "No changes detected" in output, output
    else:
        assert f"Detected the following changes ({len(deprecated)})" in output, output


def _home_query() -> str:
    """The citizen app's home query (`schema/examples/app/01_home.graphql`)."""
    return (REPO / "schema" / "examples" / "app" / "01_home.graphql").read_text(encoding="utf-8")


async def _run_home(
    node_tools: NodeTools,
    gateway: RunningGateway,
    tmp_path: Path,
    script: str,
    runs: int,
    text: str | None = None,
) -> dict[str, Any]:
    """Run ``script`` (a client running the home query ``runs`` times, each from a fresh
    client) for a citizen held by tax and the passport office; its JSON report."""
    person = next(
        p for p in gateway.population.people if p.tax is not None and p.passport is not None
    )
    citizen = await citizen_id_for(gateway.settings.gateway.index_url, "tax", person.tax.nino)
    assert citizen is not None
    query_file = tmp_path / "home.graphql"
    query_file.write_text(text or _home_query(), encoding="utf-8")
    done = await asyncio.to_thread(
        node_tools.run,
        node_tools.node,
        str(HERE / script),
        f"{gateway.base_url}/graphql",
        gateway.token("citizen", citizen),
        str(query_file),
        str(runs),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def test_apollo_client_runs_the_home_query_through_automatic_persisted_queries(
    node_tools: NodeTools, clients_gateway: RunningGateway, tmp_path: Path
) -> None:
    """Apollo's persisted-query link: the first hash is unknown (PERSISTED_QUERY_NOT_FOUND),
    the link sends the text with it, and a fresh client's hash alone then runs the query."""
    out = await _run_home(node_tools, clients_gateway, tmp_path, "apollo_home.mjs", runs=2)
    exchanges = out["exchanges"]
    assert [(x["sentQuery"], x["codes"]) for x in exchanges] == [
        (False, ["PERSISTED_QUERY_NOT_FOUND"]),
        (True, []),
        (False, []),
    ]
    assert len({x["sentHash"] for x in exchanges}) == 1
    for run in out["results"]:
        assert run["errors"] == [] and run["otherError"] is None
        me = run["data"]["me"]
        assert me["name"]["fullName"]
        assert "PASSPORTS" in {d["department"] for d in me["documents"]}


async def test_apollo_error_policy_all_keeps_the_other_departments_when_one_fails(
    node_tools: NodeTools, clients_gateway: RunningGateway, clients_tax_url: str, tmp_path: Path
) -> None:
    """With the tax service failing, Apollo (`errorPolicy: 'all'`) gets the home page's
    items from every other department, with errors at the lists tax was missing from, each
    naming the service."""
    import httpx

    async with httpx.AsyncClient(base_url=clients_tax_url) as admin:
        (await admin.post("/admin/faults", json={"mode": "failing"})).raise_for_status()
        try:
            out = await _run_home(node_tools, clients_gateway, tmp_path, "apollo_home.mjs", runs=1)
        finally:
            (await admin.post("/admin/faults", json={"mode": "ok"})).raise_for_status()
    (run,) = out["results"]
    assert run["otherError"] is None
    me = run["data"]["me"]
    assert me["name"]["fullName"]
    assert "PASSPORTS" in {d["department"] for d in me["documents"]}
    assert "TAX" not in {x["department"] for x in me["obligations"] + me["tasks"]}
    assert run["errors"]
    for error in run["errors"]:
        assert error["path"][0] == "me" and error["path"][1] in me, error
        assert error["extensions"]["service"] == "tax", error
        assert error["extensions"]["retryable"] is True, error


async def test_urql_persisted_exchange_registers_then_sends_the_hash_alone(
    node_tools: NodeTools, clients_gateway: RunningGateway, tmp_path: Path
) -> None:
    """urql's persisted exchange with its defaults (GET within the URL limit): an unknown
    hash, then the text with it, then a fresh client's hash alone, each answered."""
    query_file_text = _home_query().replace("query Home", "query HomeUrql")
    (tmp_path / "urql").mkdir()
    out = await _run_home(
        node_tools,
        clients_gateway,
        tmp_path / "urql",
        "urql_home.mjs",
        runs=2,
        text=query_file_text,
    )
    assert [(x["method"], x["sentQuery"], x["codes"]) for x in out["exchanges"]] == [
        ("GET", False, ["PERSISTED_QUERY_NOT_FOUND"]),
        ("GET", True, []),
        ("GET", False, []),
    ]
    assert len({x["sentHash"] for x in out["exchanges"]}) == 1
    for run in out["results"]:
        assert run["errors"] == [] and run["networkError"] is None
        assert run["data"]["me"]["name"]["fullName"]


def test_codegen_maps_every_custom_scalar_to_string(node_tools: NodeTools, tmp_path: Path) -> None:
    """GraphQL Code Generator with `tests/clients/codegen.ts` (strict scalars) types `Date`,
    `DateTime`, `Decimal` and any other custom scalar as `string`, never `unknown`."""
    out = tmp_path / "graphql.ts"
    done = node_tools.run(
        node_tools.bin("graphql-codegen"), "--config", "codegen.ts", env={"CODEGEN_OUT": str(out)}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    generated = out.read_text(encoding="utf-8")
    scalars = _custom_scalars()
    assert {"Date", "DateTime", "Decimal"} <= set(scalars)
    for name in scalars:
        assert f"  {name}: {{ input: string; output: string; }}" in generated, name
    assert "input: unknown" not in generated and "output: unknown" not in generated


def test_the_docs_give_the_codegen_scalar_mapping_the_tests_use() -> None:
    """docs/schema.md's clients section shows the `scalars` block of `tests/clients/codegen.ts`
    line for line, and names every custom scalar of the schema."""
    config = (HERE / "codegen.ts").read_text(encoding="utf-8")
    match = re.search(r"^( *)scalars: \{\n.*?^\1\}", config, re.S | re.M)
    assert match is not None
    block = [line.strip().rstrip(",") for line in match.group(0).splitlines()]
    docs = SCHEMA_DOC.read_text(encoding="utf-8")
    assert "## Clients" in docs
    lines = [line.strip().rstrip(",") for line in docs.splitlines()]
    assert any(lines[i : i + len(block)] == block for i in range(len(lines))), block
    for name in _custom_scalars():
        assert f"`{name}`" in docs, name

"""The committed SDL snapshot is the API's contract: no breaking change, never stale."""

from __future__ import annotations

from pathlib import Path

from govgraph.cli import main
from govgraph.commands.schema import SNAPSHOT, UPDATE_HINT, breaking_changes, live_sdl


def test_the_live_schema_has_no_breaking_change_against_the_snapshot() -> None:
    """Removing or changing what clients use fails unless the snapshot changes with it."""
    breaking = breaking_changes(SNAPSHOT.read_text(encoding="utf-8"), live_sdl())
    assert not breaking, (
        "breaking changes: " + "; ".join(breaking) + f". If intended, {UPDATE_HINT}"
    )


def test_the_snapshot_is_the_printed_schema() -> None:
    """`schema/schema.graphql` equals what `govgraph schema print --builtin` writes now."""
    assert SNAPSHOT.read_text(encoding="utf-8") == live_sdl(builtin=True), (
        f"the snapshot is stale: {UPDATE_HINT}"
    )


def test_a_removed_field_and_a_narrowed_argument_are_breaking() -> None:
    """graphql-core reports a removed field and a nullable argument made required."""
    old = "type Query { a: Int b(x: Int): Int }"
    new = "type Query { b(x: Int!): Int }"
    found = breaking_changes(old, new)
    assert any("Query.a was removed" in line for line in found)
    assert any("x" in line and "Query.b" in line for line in found)
    assert breaking_changes(old, old + " type Extra { c: Int }") == []


def test_schema_print_writes_the_sdl_and_check_fails_on_a_stale_snapshot(tmp_path: Path) -> None:
    """`govgraph schema print --builtin --out` writes the SDL; `schema check` fails on an older
    file."""
    out = tmp_path / "schema.graphql"
    assert main(["schema", "print", "--builtin", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == live_sdl(builtin=True)
    assert main(["schema", "check", "--snapshot", str(out)]) == 0
    out.write_text(
        live_sdl(builtin=True) + '\n"""Gone."""\ntype Gone { x: Int }\n', encoding="utf-8"
    )
    assert main(["schema", "check", "--snapshot", str(out)]) == 1

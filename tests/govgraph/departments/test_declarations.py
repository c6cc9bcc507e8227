"""Department declarations: the registry, the built-ins, and the checks of a set as a whole."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from govgraph.departments import (
    AccessPolicy,
    CitizenField,
    Department,
    FieldSpec,
    IdentityMapping,
    Item,
    ItemRule,
    RecordType,
    all_departments,
    check_departments,
    departments,
)
from schema import build_schema

BUILTINS = ("tax", "benefits", "passports", "vehicles", "parking")


def _bill() -> Department:
    return Department(
        id="bills",
        name="Example council bills",
        description="An example council's bills.",
        level="local",
        record_key="account number",
        identity=IdentityMapping(
            key="nino", surname="surname", forenames="forenames", date_of_birth="dob"
        ),
        record_fields=("account", "surname", "forenames", "dob", "amount"),
        types=(
            RecordType(
                "ExampleBill",
                "A bill.",
                (FieldSpec("account", "str", "Account number."),),
            ),
        ),
        fields=(CitizenField("example_bills", "ExampleBill", "The citizen's bills."),),
        items=(
            ItemRule(
                "obligations",
                "EXAMPLE_BILL",
                "An example bill.",
                lambda record, today: [Item(str(record["account"]), "Bill")],
            ),
        ),
    )


def test_builtin_departments_are_declared_and_consistent() -> None:
    """The five long-standing departments are declarations found by the registry, with no
    problem, each with an identity mapping and a field group."""
    found = departments()
    assert set(BUILTINS) <= set(found)
    for name in BUILTINS:
        assert found[name].identity is not None, name
        assert found[name].policy.group
    assert check_departments([("builtin", d) for d in all_departments()]) == []


def test_department_enum_comes_from_the_declarations() -> None:
    """The schema's ``Department`` enum has one value per declared department."""
    enum = build_schema()._schema.get_type("Department")
    assert enum is not None
    assert set(enum.values) == {d.enum_value for d in all_departments()}  # type: ignore[attr-defined]


def test_a_consistent_new_declaration_passes() -> None:
    """A complete declaration beside the built-ins has no problem."""
    declared = [("builtin", d) for d in all_departments()] + [("example", _bill())]
    assert check_departments(declared) == []


def test_an_identity_field_missing_from_the_record_names_department_key_and_fix() -> None:
    """An identity path whose field the records do not have is reported with its key and fix."""
    bad = replace(
        _bill(),
        identity=IdentityMapping(key="nino", surname="family_name", date_of_birth="dob"),
    )
    (problem,) = check_departments([("example", bad)])
    assert problem.startswith("departments.bills.identity.surname: 'family_name' is not a field")
    assert "fix: correct the path" in problem


def test_two_departments_with_one_id_are_refused() -> None:
    """Two declarations of one id are reported with both origins."""
    problems = check_departments([("a", _bill()), ("b", _bill())])
    assert problems == [
        "departments.bills: declared twice (a and b); fix: give one of them another id or "
        "uninstall one"
    ]


def test_a_colliding_field_group_is_refused() -> None:
    """A department whose field group is another department's is reported with a fix."""
    taken = replace(_bill(), access=AccessPolicy(group="tax"))
    problems = check_departments([("builtin", departments()["tax"]), ("example", taken)])
    assert problems == [
        "departments.bills: group 'tax' is also department 'tax''s; fix: choose another group name"
    ]


def test_an_unknown_item_view_and_identifier_are_refused() -> None:
    """An item for a view that does not exist and an unknown key identifier are reported."""
    rule = replace(_bill().items[0], view="debts")
    bad = replace(
        _bill(),
        items=(rule,),
        identity=IdentityMapping(key="council_ref", surname="surname", date_of_birth="dob"),
    )
    problems = check_departments([("example", bad)])
    assert any(p.startswith("departments.bills.identity.key: unknown identifier") for p in problems)
    assert any(
        p.startswith("departments.bills.items[0].view: unknown view 'debts'; fix: use one of")
        for p in problems
    )


def test_a_field_of_an_undeclared_type_is_refused() -> None:
    """A Citizen field whose record type is not declared is reported with a fix."""
    bad = replace(_bill(), types=())
    problems = check_departments([("example", bad)])
    assert (
        "departments.bills.fields.example_bills.type: 'ExampleBill' is not a record type the "
        "department declares; fix: declare it in `types`" in problems
    )


def _install_duplicate_tax(tmp_path: Path) -> dict[str, str]:
    """An installed package declaring a second ``tax`` department; the environment seeing it."""
    (tmp_path / "dupdept.py").write_text(
        "from dataclasses import replace\n"
        "from govgraph.departments.builtin.tax import DEPARTMENT as TAX\n"
        "DEPARTMENT = replace(TAX, name='Another tax office')\n"
    )
    info = tmp_path / "dupdept-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: dupdept\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[govgraph.departments]\nduplicate = dupdept:DEPARTMENT\n"
    )
    (tmp_path / "govgraph.toml").write_text("[gateway]\nport = 8080\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.getcwd()])}


_DUPLICATE = (
    "departments.tax: declared twice (builtin and dupdept:DEPARTMENT); fix: give one of "
    "them another id or uninstall one"
)


def test_config_check_stops_on_an_inconsistent_installed_declaration(tmp_path: Path) -> None:
    """An installed declaration that duplicates a built-in id fails ``govgraph config check``
    (exit 1) with the department, the key and the fix."""
    env = _install_duplicate_tax(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "govgraph.cli", "config", "check", "govgraph.toml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert _DUPLICATE in done.stderr


def test_serve_refuses_to_start_on_an_inconsistent_installed_declaration(tmp_path: Path) -> None:
    """``govgraph serve`` stops before listening (exit 2) with the same department, key and fix,
    and no traceback."""
    env = _install_duplicate_tax(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "govgraph.cli", "serve", "--config", "govgraph.toml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert _DUPLICATE in done.stderr
    assert "Traceback" not in done.stderr


def test_an_item_kind_that_is_not_an_enum_value_is_refused() -> None:
    """An item kind that cannot be a GraphQL enum value is reported with its rule and fix."""
    bad = replace(_bill(), items=(replace(_bill().items[0], kind="example bill"),))
    assert check_departments([("example", bad)]) == [
        "departments.bills.items[0].kind: 'example bill' is not an UPPER_SNAKE item kind; "
        "fix: rename it"
    ]


def test_an_item_kind_of_another_department_is_refused() -> None:
    """Two departments adding one item kind to one view collide, named with a fix."""
    taken = replace(_bill(), items=(replace(_bill().items[0], kind="TAX_PAYMENT"),))
    problems = check_departments([("builtin", departments()["tax"]), ("example", taken)])
    assert problems == [
        "departments.bills: kind 'obligations:TAX_PAYMENT' is also department 'tax''s; fix: "
        "choose another kind name"
    ]


def test_an_action_on_a_rule_that_is_not_a_task_is_refused() -> None:
    """Only task rules may name the mutation that does them."""
    bad = replace(_bill(), items=(replace(_bill().items[0], action=("payBill", "account")),))
    assert check_departments([("example", bad)]) == [
        "departments.bills.items[0].action: only a task has an action, this rule adds to "
        "'obligations'; fix: remove the action or make the rule's view `tasks`"
    ]


def test_a_record_type_named_like_a_gateway_type_is_refused() -> None:
    """A declared type may not take a name the gateway's own schema uses."""
    bad = replace(
        _bill(),
        types=(RecordType("Obligation", "A bill.", (FieldSpec("account", "str", "Account."),)),),
        fields=(CitizenField("example_bills", "Obligation", "The citizen's bills."),),
    )
    problems = check_departments([("example", bad)])
    assert (
        "departments.bills.types.Obligation: not a free type name; fix: use a PascalCase name "
        "of the department's own" in problems
    )

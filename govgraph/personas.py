"""Demo personas: one citizen per scenario, chosen from the demo population by what they hold.

The demo identity provider offers them on its sign-in page and ``govgraph token --persona``
prints their tokens. Each is found in the generated population by its records (an open penalty
notice, a passport within nine months of expiry and no application under way, a benefit
overpayment, a tax refund, records in every department) and resolved to the citizen the
citizen index links all of that person's department keys to, so no id is written down anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

from govgraph.departments import all_departments

__all__ = ["PERSONAS", "Persona", "Scenario", "find_personas"]

_RENEWAL_WINDOW = timedelta(days=270)
_PAYABLE = frozenset({"OPEN", "CHARGE_CERTIFICATE"})
_IN_PROGRESS = frozenset({"RECEIVED", "IN_PROGRESS", "APPROVED"})


class CitizenKeys(Protocol):
    """The citizen index's look-up of citizens by one department's keys."""

    async def citizens_for(self, source: str, keys: Sequence[str]) -> dict[str, str]: ...


@dataclass(frozen=True)
class Scenario:
    """A kind of citizen the demo can sign in as."""

    name: str
    """Short name used by ``govgraph token --persona`` and the sign-in page."""
    title: str
    description: str
    matches: Callable[[Any, date], bool]
    """Whether a generated person (``fixtures.model.Person``) fits, as of a date."""


@dataclass(frozen=True)
class Persona:
    """A scenario and the citizen chosen for it."""

    name: str
    title: str
    description: str
    citizen_id: str


def _departments(person: Any) -> int:
    return sum(
        (
            person.tax is not None,
            bool(person.benefits),
            person.passport is not None,
            person.licence is not None,
            bool(person.penalty_notices),
        )
    )


def _unpaid_fine(person: Any, today: date) -> bool:
    return any(n.status in _PAYABLE for n in person.penalty_notices)


def _discounted_fine(person: Any, today: date) -> bool:
    return any(n.status == "OPEN" and n.discount_deadline >= today for n in person.penalty_notices)


def _passport_due(person: Any, today: date) -> bool:
    passport = person.passport
    if passport is None or passport.status != "VALID":
        return False
    if any(a.status in _IN_PROGRESS for a in passport.applications):
        return False
    return bool(today <= passport.expiry_date <= today + _RENEWAL_WINDOW)


def _overpaid(person: Any, today: date) -> bool:
    return any(c.overpayment > 0 for c in person.benefits)


def _refund(person: Any, today: date) -> bool:
    return person.tax is not None and person.tax.refund_due > 0


def _moving(person: Any, today: date) -> bool:
    return person.tax is not None and bool(person.benefits) and person.passport is not None


PERSONAS: tuple[Scenario, ...] = (
    Scenario(
        "parking-fine",
        "An unpaid parking fine",
        "Has a penalty charge notice to pay, and records in several departments.",
        _unpaid_fine,
    ),
    Scenario(
        "parking-fine-discount",
        "A parking fine at its reduced rate",
        "Has a penalty charge notice that can still be paid at the reduced rate.",
        _discounted_fine,
    ),
    Scenario(
        "passport-renewal",
        "A passport due for renewal",
        "Their passport expires within nine months and no renewal has been applied for.",
        _passport_due,
    ),
    Scenario(
        "benefit-overpayment",
        "A benefit overpayment",
        "Has been paid more benefit than they were due and owes it back.",
        _overpaid,
    ),
    Scenario(
        "tax-refund",
        "A tax refund",
        "Has paid too much tax and is owed a refund.",
        _refund,
    ),
    Scenario(
        "moving-home",
        "A change of address",
        "Known to tax, benefits and the passport office: a new address goes to each of them.",
        _moving,
    ),
)
"""The scenarios, in the order the sign-in page lists them."""


def _keys(truth: dict[str, Any]) -> list[tuple[str, str]]:
    """The department keys a person's truth row holds, for every declared department linked
    by matching the person (not through another department's identifier)."""
    return [
        (d.source_name, str(truth[d.source_name]))
        for d in all_departments()
        if d.identity is not None
        and d.identity.attach_by is None
        and isinstance(truth.get(d.source_name), str)
    ]


async def _citizen(truth: dict[str, Any], index: CitizenKeys) -> str | None:
    """The one citizen every department key of a person's truth row is linked to, if there is
    one."""
    found: set[str | None] = set()
    for source, key in _keys(truth):
        found.add((await index.citizens_for(source, [key])).get(key))
    if len(found) != 1:
        return None
    return found.pop()


async def find_personas(
    data_dir: Path, index: CitizenKeys, today: date | None = None
) -> list[Persona]:
    """One persona per scenario that someone in ``data_dir``'s population fits (a different
    person each, preferring people known to more departments)."""
    from fixtures.generate import load_population, truth_rows

    population = load_population(data_dir)
    truths = {row["pid"]: row for row in truth_rows(population)}
    today = today or date.today()
    people = sorted(population.people, key=lambda p: (-_departments(p), p.pid))
    taken: set[str] = set()
    personas: list[Persona] = []
    for scenario in PERSONAS:
        for person in people:
            if person.pid in taken or person.twin_of is not None:
                continue
            if not scenario.matches(person, today):
                continue
            citizen_id = await _citizen(truths[person.pid], index)
            if citizen_id is None:
                continue
            taken.add(person.pid)
            personas.append(
                Persona(scenario.name, scenario.title, scenario.description, citizen_id)
            )
            break
    return personas

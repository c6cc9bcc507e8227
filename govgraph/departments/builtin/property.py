"""The land registry: property titles over REST (``examples/govgraph-rest``), by title number.

The citizen index links a citizen to each title number they are a proprietor of; with no
``property`` source configured, ``properties`` is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from govgraph.departments.identifiers import Identifier
from govgraph.departments.model import (
    AccessPolicy,
    CitizenField,
    Department,
    EnumType,
    FieldSpec,
    RecordType,
)
from govgraph.departments.values import amount, as_date, listed, text

_TENURES = (
    ("FREEHOLD", "Owned outright, with its land."),
    ("LEASEHOLD", "Held for a term of years under a lease."),
)


def title_values(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A title record (readable JSON fields) as a ``PropertyTitle``'s values."""
    place = record.get("property") or {}
    tenure = text(record.get("tenure"))
    charges = [
        {"lender": text(c.get("lender")), "registered_on": as_date(c.get("registered_on"))}
        for c in listed(record.get("charges"))
        if isinstance(c, Mapping)
    ]
    charges.sort(key=lambda c: c["registered_on"] or date.min)
    price = record.get("price_paid")
    return {
        "title_number": text(record.get("title_number")),
        "tenure": tenure if tenure in {t for t, _ in _TENURES} else "FREEHOLD",
        "class_of_title": text(record.get("class_of_title")),
        "address": {
            "lines": [text(line) for line in listed(place.get("lines"))],
            "town": place.get("town"),
            "postcode": place.get("postcode"),
        },
        "registered_on": as_date(record.get("registered_on")),
        "price_paid": None if price in (None, "") else amount(price),
        "lease_expires_on": as_date(record.get("lease_expires_on")),
        "proprietor_count": len(listed(record.get("proprietors"))),
        "charges": charges,
    }


def _earliest_first(titles: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    return sorted(titles, key=lambda t: (t["registered_on"] or date.min, t["title_number"]))


DEPARTMENT = Department(
    id="property",
    name="The land registry",
    description="The land registry.",
    level="central",
    record_key="title number",
    label="Property",
    identifiers=(Identifier("title_number", "land registry title number", r"[A-Z]{0,3}\d{1,6}"),),
    access=AccessPolicy(group="property", confidence="P2"),
    cost=5,
    types=(
        EnumType("Tenure", "How a property is held.", _TENURES),
        RecordType(
            "TitleCharge",
            "A charge (usually a mortgage) registered against a title.",
            (
                FieldSpec("lender", "str", "Who the charge is in favour of."),
                FieldSpec("registered_on", "date?", "Date the charge was registered."),
            ),
        ),
        RecordType(
            "PropertyTitle",
            "A registered title to land or property of which the citizen is a registered "
            "proprietor (owner).",
            (
                FieldSpec(
                    "title_number", "str", "The land registry's title number, e.g. `MB412305`."
                ),
                FieldSpec("tenure", "Tenure", "Freehold or leasehold."),
                FieldSpec(
                    "class_of_title",
                    "str",
                    "How good the registered title is: `ABSOLUTE`, `GOOD_LEASEHOLD`, "
                    "`POSSESSORY` or `QUALIFIED`.",
                ),
                FieldSpec("address", "address", "The property's address."),
                FieldSpec(
                    "registered_on", "date?", "Date the current proprietors were registered."
                ),
                FieldSpec(
                    "price_paid",
                    "money?",
                    "Price paid when the current proprietors bought it, if recorded.",
                ),
                FieldSpec(
                    "lease_expires_on", "date?", "For leasehold titles: the date the lease ends."
                ),
                FieldSpec(
                    "proprietor_count",
                    "int",
                    "How many proprietors are registered (joint owners are not named here).",
                ),
                FieldSpec(
                    "charges",
                    "[TitleCharge]",
                    "Charges registered against the title, oldest first.",
                ),
            ),
        ),
    ),
    fields=(
        CitizenField(
            "properties",
            "PropertyTitle",
            "Land and property titles the citizen is a registered proprietor of, earliest "
            "registered first. Empty when no land registry source is configured; null, with "
            "an error naming the service, when the registry cannot answer.",
            select=_earliest_first,
        ),
    ),
    record=title_values,
)

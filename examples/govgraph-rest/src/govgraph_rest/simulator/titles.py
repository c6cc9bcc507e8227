"""Synthetic property titles of a simulated land registry (no real people or places).

A title is keyed by its title number (two letters of the registry district, then six digits).
Each carries its proprietors' names, dates of birth and correspondence postcodes, which is
what a linker needs to match a title to a citizen (surname + date of birth + postcode).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

__all__ = ["TITLE_NUMBER", "generate_titles", "load_titles", "save_titles", "titles_for_owners"]

TITLE_NUMBER = r"^[A-Z]{2}[0-9]{6}$"
"""The shape of a title number, e.g. ``MB412305``."""

_DISTRICTS = ("MB", "WV", "EM", "NB", "HT")
_STREETS = (
    "Mill Lane",
    "Church Road",
    "Station Road",
    "Orchard Close",
    "Meadow Way",
    "High Street",
)
_TOWNS = ("Millbrook", "Westvale", "Eastmoor", "Northbridge", "Hartley")
_GIVEN = ("Alice", "Ben", "Chloe", "Daniel", "Ella", "Farid", "Grace", "Hamza", "Isla", "Jack")
_SURNAMES = ("Shaw", "Patel", "Okafor", "Hughes", "Kowalski", "Reid", "Begum", "Morgan", "Lloyd")
_LENDERS = ("Northbridge Building Society", "Westvale Bank plc", "Eastmoor Mutual")


def _postcode(rng: random.Random, town: str) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    inward = f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    return f"{town[:2].upper()}{rng.randint(1, 29)} {inward}"


def _title(rng: random.Random, number: str, owners: list[dict[str, Any]]) -> dict[str, Any]:
    town = rng.choice(_TOWNS)
    leasehold = rng.random() < 0.3
    registered = date(2026, 1, 1) - timedelta(days=rng.randint(200, 9000))
    charges = []
    if rng.random() < 0.6:
        charges.append({"lender": rng.choice(_LENDERS), "registered_on": registered.isoformat()})
    return {
        "title_number": number,
        "tenure": "LEASEHOLD" if leasehold else "FREEHOLD",
        "class_of_title": "GOOD_LEASEHOLD" if leasehold and rng.random() < 0.2 else "ABSOLUTE",
        "property": {
            "lines": [f"{rng.randint(1, 180)} {rng.choice(_STREETS)}"],
            "town": town,
            "postcode": _postcode(rng, town),
        },
        "proprietors": owners,
        "registered_on": registered.isoformat(),
        "price_paid": f"{rng.randint(60, 900) * 1000}.00",
        "lease_expires_on": (
            (registered + timedelta(days=365 * rng.choice((99, 125, 999)))).isoformat()
            if leasehold
            else None
        ),
        "charges": charges,
    }


def _number(rng: random.Random, used: set[str]) -> str:
    while True:
        number = f"{rng.choice(_DISTRICTS)}{rng.randint(100000, 999999)}"
        if number not in used:
            used.add(number)
            return number


def generate_titles(count: int, *, seed: int = 0, unreadable: int = 1) -> list[dict[str, Any]]:
    """``count`` titles with invented proprietors; the last ``unreadable`` are unreadable."""
    rng = random.Random(seed)
    used: set[str] = set()
    titles = []
    for _ in range(count):
        town = rng.choice(_TOWNS)
        owner = {
            "given_names": rng.choice(_GIVEN),
            "surname": rng.choice(_SURNAMES),
            "date_of_birth": (date(1940, 1, 1) + timedelta(days=rng.randint(0, 25000))).isoformat(),
            "postcode": _postcode(rng, town),
        }
        titles.append(_title(rng, _number(rng, used), [owner]))
    for title in titles[len(titles) - min(unreadable, len(titles)) :]:
        title["unreadable"] = True
    return titles


def titles_for_owners(
    owners: Iterable[Mapping[str, Any]], *, seed: int = 0
) -> list[dict[str, Any]]:
    """One title per owner, each owner given as ``given_names``, ``surname``,
    ``date_of_birth`` (ISO text) and ``postcode``."""
    rng = random.Random(seed)
    used: set[str] = set()
    return [_title(rng, _number(rng, used), [dict(owner)]) for owner in owners]


def save_titles(titles: list[dict[str, Any]], path: Path) -> None:
    """Write titles as the simulator's JSON data file."""
    path.write_text(json.dumps({"titles": titles}, indent=2) + "\n", encoding="utf-8")


def load_titles(path: Path) -> list[dict[str, Any]]:
    """Read the simulator's JSON data file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    titles: list[dict[str, Any]] = data["titles"]
    return titles

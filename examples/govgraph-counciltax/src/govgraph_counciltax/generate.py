"""Synthetic council tax bills for a generated demo population (``govgraph fixtures generate``).

Bills go to real people of the population, with the same kind and rate of identity noise the
population's own departments have (nicknames, typos, old addresses, dropped middle names,
married surnames, day/month swaps), so linking them is not a string match. Writes, under the
data folder:

- ``counciltax/bills.csv``: the councils' export;
- ``counciltax/counciltax.toml``: the source block to add to the demo (``govgraph demo --with``);
- ``truth.counciltax.jsonl``: which person each account belongs to (``govgraph link --evaluate``).

Run: ``python -m govgraph_counciltax.generate DATA_DIR [--share 0.6] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from fixtures.generate import load_population
from fixtures.model import DeptIdentity, Person
from fixtures.population.variation import FRACTIONS, vary
from govgraph_counciltax.department import COLUMNS

__all__ = ["SOURCE_BLOCK", "Bill", "generate", "main"]

SOURCE_BLOCK = """\
[sources.counciltax]
kind = "csv"
timeout_s = 3.0

[sources.counciltax.options]
path = "./bills.csv"
key_field = "account_ref"
columns = { date_of_birth = "date", annual_charge = "decimal", balance_due = "decimal", \
next_instalment_date = "date", next_instalment_amount = "decimal" }
"""
"""The ``[sources.counciltax]`` block for the generated export (paths relative to it)."""

_BAND_CHARGE = dict(zip("ABCDEFGH", (1350, 1575, 1800, 2025, 2475, 2925, 3375, 4050), strict=True))


@dataclass(frozen=True, slots=True)
class Bill:
    """One account of the export, and whose it really is."""

    pid: str
    row: dict[str, str]


def _identity(person: Person) -> DeptIdentity:
    return DeptIdentity(
        given_name=person.given_name,
        middle_names=person.middle_names,
        surname=person.surname,
        date_of_birth=person.date_of_birth,
        address=person.address,
        sex=person.sex,
    )


def _financial_year(today: date) -> str:
    start = today.year if today.month >= 4 else today.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def generate(data_dir: Path, *, share: float = 0.6, seed: int = 0) -> list[Bill]:
    """Bills for about ``share`` of the population in ``data_dir``."""
    population = load_population(data_dir)
    rng = random.Random(f"{seed}:counciltax")
    spec = FRACTIONS[population.noise]
    today = population.as_of
    councils = [c.name for c in population.councils] or ["Millbrook"]
    accounts: set[str] = set()
    bills: list[Bill] = []
    for person in population.people:
        if rng.random() >= share:
            continue
        identity = _identity(person)
        if rng.random() < spec["varied_identities"]:
            identity = vary(rng, person, identity, rng.choice(spec["variations_per_identity"]))
        account = f"CT{rng.randrange(10**8):08d}"
        while account in accounts:
            account = f"CT{rng.randrange(10**8):08d}"
        accounts.add(account)
        band = rng.choice("ABCDEFGH")
        charge = Decimal(_BAND_CHARGE[band])
        status = rng.choices(("PAID_UP", "INSTALMENTS", "ARREARS"), (30, 60, 10))[0]
        instalment = (charge / 10).quantize(Decimal("0.01"))
        due = Decimal(0) if status == "PAID_UP" else instalment * rng.randint(1, 6)
        next_date = "" if status == "PAID_UP" else (today + timedelta(days=rng.randint(1, 28)))
        row = {
            "account_ref": account,
            "council": rng.choice(councils),
            "surname": identity.surname,
            "forenames": " ".join(p for p in (identity.given_name, identity.middle_names) if p),
            "date_of_birth": identity.date_of_birth.isoformat(),
            "address_line1": identity.address.lines[0] if identity.address.lines else "",
            "town": identity.address.town,
            "postcode": identity.address.postcode,
            "band": band,
            "financial_year": _financial_year(today),
            "annual_charge": f"{charge:.2f}",
            "balance_due": f"{due:.2f}",
            "next_instalment_date": str(next_date),
            "next_instalment_amount": "" if status == "PAID_UP" else f"{instalment:.2f}",
            "status": status,
        }
        bills.append(Bill(person.pid, row))
    return bills


def write(bills: list[Bill], data_dir: Path) -> Path:
    """Write the export, its source block and the truth file; return the source block's path."""
    folder = data_dir / "counciltax"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "bills.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(b.row for b in bills)
    with (data_dir / "truth.counciltax.jsonl").open("w", encoding="utf-8") as fh:
        for b in bills:
            fh.write(json.dumps({"pid": b.pid, "counciltax": [b.row["account_ref"]]}) + "\n")
    block = folder / "counciltax.toml"
    block.write_text(SOURCE_BLOCK, encoding="utf-8")
    return block


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govgraph_counciltax.generate")
    parser.add_argument("data", help="a folder written by `govgraph fixtures generate`")
    parser.add_argument("--share", type=float, default=0.6, help="share of people billed")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    data_dir = Path(args.data)
    bills = generate(data_dir, share=args.share, seed=args.seed)
    block = write(bills, data_dir)
    print(f"wrote {len(bills)} council tax bills; source block: {block}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

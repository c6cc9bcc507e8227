"""Engine matrix for the SQL connector: the same population deployed on SQLite, PostgreSQL and
MariaDB, each server run in its own uniquely named databases that are dropped afterwards.

A missing server skips its cases with ``engine unavailable: <engine> at <host:port>``; when the
``CI`` environment variable is set, a missing server fails them instead.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import generate
from fixtures.model import PenaltyNotice, Population
from fixtures.sqldb import drop_database, load_source, parking_options, passports, vehicles

SERVERS = {
    "postgresql": ("127.0.0.1", 5432, "postgresql://postgres@127.0.0.1:5432/{db}"),
    "mariadb": ("127.0.0.1", 3306, "mysql://root@127.0.0.1:3306/{db}"),
}
ENGINES = ["sqlite", "postgresql", "mariadb"]
SHARED_VRM = "SH19 ARE"
"""A vehicle given a notice by every council, for the merge tests."""


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_engine(engine: str) -> None:
    """Skip (or fail under CI) when ``engine``'s server is not running."""
    if engine == "sqlite":
        return
    host, port, _ = SERVERS[engine]
    if not _reachable(host, port):
        message = f"engine unavailable: {engine} at {host}:{port}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI requires every engine)")
        pytest.skip(message)


def _shared_notices(population: Population) -> None:
    owner = next(p for p in population.people if p.licence is not None)
    template = PenaltyNotice(
        pcn="",
        council_code="",
        vrm=SHARED_VRM,
        keeper=owner.licence.identity if owner.licence else None,  # type: ignore[arg-type]
        contravention_code="01",
        contravention="Parked in a restricted street during prescribed hours",
        location="High Street",
        issued_at=datetime(2025, 12, 1, 9, 30, 5),
        amount=Decimal("70.00"),
        discount_amount=Decimal("35.00"),
        discount_deadline=date(2025, 12, 15),
        status="OPEN",
    )
    for number, council in enumerate(population.councils, start=1):
        owner.penalty_notices.append(
            replace(template, pcn=f"{council.code}{90000000 + number}", council_code=council.code)
        )


@pytest.fixture(scope="session")
def population() -> Population:
    """A small clean population, plus one vehicle with a notice from every council."""
    people = generate(people=300, seed=7, noise="clean", as_of=date(2026, 1, 1))
    _shared_notices(people)
    return people


@dataclass
class Deployment:
    """Where each SQL source of the population lives on one engine."""

    engine: str
    urls: dict[str, str]
    population: Population

    def options(self, source: str, **extra: Any) -> dict[str, Any]:
        """``SqlConnector`` options for ``passports``, ``vehicles`` or ``parking``."""
        if source == "passports":
            return {"url": self.urls["passports"], "mapping": passports.MAPPING, **extra}
        if source == "vehicles":
            return {"url": self.urls["vehicles"], "mapping": vehicles.MAPPING, **extra}
        return {**self.councils_options(), **extra}

    def councils_options(self) -> dict[str, Any]:
        """``SqlConnector`` options for every council's parking database."""
        councils = self.population.councils
        urls = {c.code: self.urls[f"parking:{c.code}"] for c in councils}
        return parking_options(councils, urls)


def _url(engine: str, tmp: Path, source: str, run: str) -> str:
    slug = source.replace(":", "_").lower()
    if engine == "sqlite":
        return f"sqlite:///{tmp / f'{slug}.sqlite'}"
    return SERVERS[engine][2].format(db=f"gg_test_{run}_{slug}")


@pytest.fixture(scope="session", params=ENGINES)
async def deployment(
    request: pytest.FixtureRequest, population: Population, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    """The population's SQL sources created and seeded on one engine (each engine in turn)."""
    engine: str = request.param
    require_engine(engine)
    run = uuid.uuid4().hex[:10]
    tmp = tmp_path_factory.mktemp(f"sql-{engine}")
    sources = ["passports", "vehicles", *(f"parking:{c.code}" for c in population.councils)]
    urls = {source: _url(engine, tmp, source, run) for source in sources}
    try:
        for source, url in urls.items():
            await load_source(source, population, url)
        yield Deployment(engine, urls, population)
    finally:
        for url in urls.values():
            await drop_database(url)

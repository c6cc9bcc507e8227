"""A simulated tax service on 127.0.0.1, started once per session over a small population."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from fixtures.model import Population
from fixtures.tax.runner import serve_in_thread
from fixtures.tax.sample import sample_population
from fixtures.tax.service import create_app
from fixtures.tax.writer import write


@dataclass
class TaxService:
    """A running simulated tax service and what it serves."""

    base_url: str
    data_dir: Path
    population: Population
    app: Starlette

    @property
    def ninos(self) -> list[str]:
        return sorted(p.tax.nino for p in self.population.people if p.tax)

    @property
    def password(self) -> str:
        return (self.data_dir / "secrets" / "tax.password").read_text().strip()

    def set_faults(self, **changes: object) -> None:
        httpx.post(f"{self.base_url}/admin/faults", json=changes).raise_for_status()

    def stats(self) -> dict[str, object]:
        result: dict[str, object] = httpx.get(f"{self.base_url}/admin/stats").json()
        return result

    def reset_stats(self) -> None:
        httpx.delete(f"{self.base_url}/admin/stats").raise_for_status()


@pytest.fixture(scope="session")
def tax_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaxService]:
    data_dir = tmp_path_factory.mktemp("taxdata")
    population = sample_population(150, seed=11)
    write(population, data_dir)
    app = create_app(data_dir)
    with serve_in_thread(app) as url:
        yield TaxService(url, data_dir, population, app)


@pytest.fixture
def tax(tax_service: TaxService) -> Iterator[TaxService]:
    """The session's tax service, with its fault injection put back to normal afterwards."""
    yield tax_service
    tax_service.set_faults(mode="ok", latency_ms=0, error_rate=0.0)

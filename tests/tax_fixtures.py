"""The simulated tax service as pytest fixtures. A ``conftest.py`` that imports them gets a
service of its own, started once per session over a small population, for its folder's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fixtures.tax.testing import TaxService, running_tax_service

__all__ = ["tax", "tax_service"]


@pytest.fixture(scope="session")
def tax_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TaxService]:
    with running_tax_service(tmp_path_factory.mktemp("taxdata")) as service:
        yield service


@pytest.fixture
def tax(tax_service: TaxService) -> Iterator[TaxService]:
    """The session's tax service, with its fault injection put back to normal afterwards."""
    yield tax_service
    tax_service.set_faults(mode="ok", latency_ms=0, error_rate=0.0)

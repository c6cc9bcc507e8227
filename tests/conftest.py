"""Session fixtures: a generated population, the simulated tax service and a running gateway."""

from __future__ import annotations

from tests.harness import gateway_fixtures

population, demo_data, tax_url, gateway, client = gateway_fixtures(
    "", people=300, seed=11, data="demo_data", client_timeout=30
)

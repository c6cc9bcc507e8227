"""A gateway over its own generated data for the write tests (writes change the data)."""

from __future__ import annotations

from tests.harness import gateway_fixtures

write_population, write_data, write_tax_url, write_gateway, write_client = gateway_fixtures(
    "write_", people=150, seed=29, data="write_data", client_timeout=60
)

"""A simulated tax service on 127.0.0.1, started once per session over a small population
(this folder's own: its tests change the service's data and faults)."""

from __future__ import annotations

from tests.tax_fixtures import tax, tax_service

__all__ = ["tax", "tax_service"]

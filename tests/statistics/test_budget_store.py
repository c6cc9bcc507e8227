"""Privacy budgets and published answers on SQLite and PostgreSQL: spending is atomic, a spent
budget refuses without spending, answers are kept once and survive a new store object."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from govgraph.statistics.budget import BudgetSpent, BudgetStore

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A budget store on each database the gateway supports (keys are unique per test)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'budgets.sqlite'}"
    return PG


def _unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:12]}"


async def test_concurrent_spending_never_goes_over_the_budget(store_url: str) -> None:
    """Twenty concurrent spends of 0.25 against a budget of 1.0: exactly four succeed, the rest
    are BudgetSpent, and the stored spend is 1.0."""
    a1 = _unique("a1")
    store = BudgetStore(store_url)
    try:
        results = await asyncio.gather(
            *(store.spend(a1, 0.25, 1.0) for _ in range(20)), return_exceptions=True
        )
        spent = [r for r in results if isinstance(r, float)]
        refused = [r for r in results if isinstance(r, BudgetSpent)]
        assert len(spent) == 4, results
        assert len(refused) == 16
        assert await store.spent(a1) == pytest.approx(1.0)
        assert await store.spent("someone-else") == 0.0
    finally:
        await store.aclose()


async def test_budgets_and_answers_persist_across_store_objects(store_url: str) -> None:
    """What one store object spent and published, a new one (a restarted gateway) reads back;
    a second answer for the same request gives the first one back."""
    a2, a3, r1 = _unique("a2"), _unique("a3"), _unique("r1")
    first = BudgetStore(store_url)
    try:
        await first.spend(a2, 0.5, 10.0)
        kept = await first.publish(r1, a2, {"cells": [{"labels": ["x"], "value": 3}]})
        assert kept["cells"][0]["value"] == 3
    finally:
        await first.aclose()
    second = BudgetStore(store_url)
    try:
        assert await second.spent(a2) == pytest.approx(0.5)
        again = await second.publish(r1, a3, {"cells": [{"labels": ["x"], "value": 9}]})
        assert again["cells"][0]["value"] == 3
        assert await second.answer(r1) == again
        with pytest.raises(BudgetSpent, match="budget is spent"):
            await second.spend(a2, 9.75, 10.0)
        assert await second.spent(a2) == pytest.approx(0.5)
    finally:
        await second.aclose()

"""Attacks on the table builder: differencing, complements, overlapping conditions and
repetition learn nothing beyond the documented guarantee (epsilon per table, a budget per
analyst, the same answer for the same question on the same day)."""

from __future__ import annotations

import math
import statistics
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from govgraph.statistics import StatisticsService, StatisticsSettings
from govgraph.statistics.privacy import margin, release
from tests.statistics.conftest import StatsGateway
from tests.statistics.test_table_builder import build

ASYNC = pytest.mark.asyncio(loop_scope="session")

EPSILON = 0.25
TRIALS = 2000


def _guess_rate(present: list[float], absent: list[float]) -> float:
    """Best success rate of the threshold test 'present if the estimate > t', over every t."""
    marks = sorted([(v, 1) for v in present] + [(v, 0) for v in absent])
    hit = len(present)
    best = hit
    i = 0
    while i < len(marks):
        value = marks[i][0]
        while i < len(marks) and marks[i][0] == value:
            hit += -1 if marks[i][1] else 1
            i += 1
        best = max(best, hit)
    return max(0.5, best / len(marks))


def _bound(epsilon: float) -> float:
    """Most an epsilon-DP release lets anyone guess one person's presence (fair prior)."""
    return math.exp(epsilon) / (1 + math.exp(epsilon))


def _noisy(tables: list[list[int]]) -> list[list[int]]:
    """Each table released with its own noise (one OpenDP call for all, cut back into tables)."""
    flat = release([c for t in tables for c in t], 1, EPSILON).values
    out, start = [], 0
    for t in tables:
        out.append(flat[start : start + len(t)])
        start += len(t)
    return out


def _attack(first: list[int], second: list[int]) -> list[float]:
    """Per trial: the sum of the noisy second table minus the sum of the noisy first."""
    released = _noisy([first, second] * TRIALS)
    return [float(sum(released[2 * i + 1]) - sum(released[2 * i])) for i in range(TRIALS)]


def test_differencing_with_repeats_learns_no_more_than_two_releases() -> None:
    """Twelve areas against the same twelve plus one holding one person (by year, and by
    month within the year), each asked 100 times: repeats return the same answer, so averaging
    them adds nothing and the guess is no better than the two releases' epsilon allows."""
    twelve = [40, 55, 61, 38, 72, 44, 50, 63, 47, 58, 39, 66]
    for small in ([1], [0] * 6 + [1] + [0] * 5):
        present = _attack(twelve, twelve + small)
        absent = _attack(twelve, twelve + [0] * len(small))
        averaged = [statistics.fmean([v] * 100) for v in present]
        assert averaged == present
        rate = _guess_rate(present, absent)
        assert rate <= _bound(2 * EPSILON) + 3 * math.sqrt(0.25 / TRIALS), rate


def test_complement_attack_learns_no_more_than_the_guarantee() -> None:
    """Total minus all-but-one: the difference of two noisy releases is the person plus noise,
    and guessing from it does no better than the two releases' epsilon allows."""
    rest = [120, 340, 95, 410]
    present = _attack(rest, [sum(rest) + 1])
    absent = _attack(rest, [sum(rest)])
    assert _guess_rate(present, absent) <= _bound(2 * EPSILON) + 3 * math.sqrt(0.25 / TRIALS)


def test_overlapping_conditions_learn_no_more_than_the_guarantee() -> None:
    """A and (A and B) released separately: their difference points at people in A but not B,
    and a person there is guessed no better than the two releases' epsilon allows."""
    present = _attack([199], [200])
    absent = _attack([199], [199])
    assert _guess_rate(present, absent) <= _bound(2 * EPSILON) + 3 * math.sqrt(0.25 / TRIALS)


def test_a_cell_of_a_thousand_is_within_two_per_cent_at_95_per_cent() -> None:
    """At the default epsilon a cell of 1,000 people is published within ±20 in at least 95%
    of releases, and the published margin95 says so."""
    values = release([1000] * 20000, 1, EPSILON).values
    inside = sum(abs(v - 1000) <= 20 for v in values) / len(values)
    assert inside >= 0.95
    assert margin(1 / EPSILON) <= 20
    assert sum(abs(v - 1000) <= margin(1 / EPSILON) for v in values) / len(values) >= 0.94


@pytest_asyncio.fixture(loop_scope="session")
async def default_privacy(stats_gateway: StatsGateway) -> AsyncIterator[StatisticsService]:
    """The gateway's statistics engine swapped for one with the default privacy settings."""
    gw = stats_gateway.running
    settings = gw.settings
    engine = StatisticsService(
        stats_gateway.service.sources,
        stats_gateway.service.index,
        StatisticsSettings(areas=settings.statistics.areas, budget=1.0),
        store_url=settings.gateway.index_url,
    )
    state = stats_gateway.service
    stats_gateway.gateway.statistics = engine
    try:
        yield engine
    finally:
        stats_gateway.gateway.statistics = state
        await engine.aclose()


@ASYNC
async def test_repeats_return_the_same_answer_and_a_spent_budget_is_a_typed_error(
    stats_gateway: StatsGateway, stats_client: httpx.AsyncClient, default_privacy: Any
) -> None:
    """Asking the same table 100 times returns one answer at no further cost; new tables
    spend epsilon each until the budget is spent, then BUDGET_SPENT names what to do."""
    request = {"by": ["region"], "where": [{"condition": "passports.status", "values": ["VALID"]}]}
    subject = "analyst-attacker"
    first = await build(stats_client, stats_gateway, request, subject=subject)
    assert "errors" not in first, first
    table = first["data"]["statistics"]["table"]
    assert table["charged"] == EPSILON
    for _ in range(99):
        again = await build(stats_client, stats_gateway, request, subject=subject)
        assert again["data"]["statistics"]["table"]["cells"] == table["cells"]
        assert again["data"]["statistics"]["table"]["charged"] == 0
    budget = again["data"]["statistics"]["budget"]
    assert budget["spent"] == pytest.approx(EPSILON)
    assert budget["remaining"] == pytest.approx(1.0 - EPSILON)
    months = [3, 6, 9, 12]
    errors = []
    for n in months:
        body = await build(
            stats_client,
            stats_gateway,
            {
                "by": ["region"],
                "where": [{"condition": "passports.expires_within_months", "months": n}],
            },
            subject=subject,
        )
        errors.extend(body.get("errors", []))
    assert len(errors) == 1, errors
    assert errors[0]["extensions"]["code"] == "BUDGET_SPENT"
    assert "budget" in errors[0]["message"] and "already published today" in errors[0]["message"]
    repeat = await build(stats_client, stats_gateway, request, subject=subject)
    assert repeat["data"]["statistics"]["table"]["cells"] == table["cells"]

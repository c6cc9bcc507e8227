"""The disclosure mechanism of the table builder: differential privacy through OpenDP.

A table is released as a vector of whole-number cells, each with independent discrete Laplace
noise of scale ``sensitivity / epsilon`` (OpenDP's ``then_laplace`` over an integer vector
with the L1 distance). ``sensitivity`` is the most one person can change the whole vector by
(each person's contribution is bounded before release), so the release is
``epsilon``-differentially private whatever else an attacker knows or asks; OpenDP's own
privacy map gives the loss that is charged to the analyst's budget.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import opendp.prelude as dp

__all__ = ["Release", "margin", "release"]

dp.enable_features("contrib")

_SPACE = (dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int))


@dataclass(frozen=True, slots=True)
class Release:
    """Noisy cells and what they cost."""

    values: list[int]
    epsilon: float
    """The privacy loss of this release (OpenDP's privacy map at ``sensitivity``)."""
    scale: float
    """The discrete Laplace scale of each cell's noise."""


def release(counts: Sequence[int], sensitivity: int, epsilon: float) -> Release:
    """``counts`` with discrete Laplace noise making them ``epsilon``-DP when one person
    changes them by at most ``sensitivity`` in L1."""
    if sensitivity < 1:
        raise ValueError(f"sensitivity must be at least 1, got {sensitivity}")
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive, got {epsilon}")
    scale = sensitivity / epsilon
    measurement = _measurement(scale)
    spent = float(measurement.map(sensitivity))
    values = [int(v) for v in measurement([int(c) for c in counts])]
    return Release(values, spent, scale)


@functools.lru_cache(maxsize=64)
def _measurement(scale: float) -> Any:
    return _SPACE >> dp.m.then_laplace(scale=scale)


def margin(scale: float, level: float = 0.95) -> int:
    """Half-width ``t`` of a cell's noise at ``level``: ``P(|noise| <= t) >= level`` for discrete
    Laplace noise of ``scale`` (``P(|X| >= k) = 2 e^(-k/s) / (1 + e^(-1/s))``)."""
    if scale <= 0:
        return 0
    tail = (1 - level) * (1 + math.exp(-1 / scale)) / 2
    return max(0, math.ceil(-scale * math.log(tail)) - 1)

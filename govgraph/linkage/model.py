"""A Fellegi-Sunter model: per-field m and u probabilities, fitted by EM on comparison vectors.

``m[f][l]`` is the probability that field ``f`` compares at level ``l`` for records of the same
person, ``u[f][l]`` the same for records of different people among the candidate pairs, and
``prior`` the share of candidate pairs that match. A pair's match weight is the sum of
``log2(m/u)`` over its fields; its probability follows from the weight and the prior. Fields
assume conditional independence, as the tradition does. ``fit`` runs expectation-maximisation
over the counts of distinct vectors (a few hundred), starting from the priors below, and keeps
every probability inside [1e-6, 1 - 1e-6]. Vectors are taken in a fixed order, so the fit does
not depend on the order the pairs were compared in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from govgraph.linkage.compare import FIELDS, LEVELS, Pattern

__all__ = ["FSModel"]

_EPS = 1e-6

_PRIOR_M: tuple[tuple[float, ...], ...] = (
    (0.935, 0.049, 0.016),
    (0.945, 0.018, 0.033, 0.0001, 0.0039),
    (0.573, 0.427, 0.0001),
    (0.994, 0.006, 0.0001),
    (0.973, 0.0001, 0.0001, 0.0268),
    (0.974, 0.026, 0.0001),
    (0.9999, 0.0001),
)
_PRIOR_U: tuple[tuple[float, ...], ...] = (
    (0.004, 0.001, 0.995),
    (0.004, 0.0003, 0.0003, 0.0056, 0.9898),
    (0.0015, 0.66, 0.3385),
    (0.7355, 0.2645, 0.0001),
    (0.00001, 0.0001, 0.0029, 0.99699),
    (0.0015, 0.498, 0.5005),
    (0.5, 0.5),
)
"""Starting parameters: a fit on a realistic synthetic population of 100,000 people."""


def _clamp(x: float) -> float:
    return min(1 - _EPS, max(_EPS, x))


@dataclass(slots=True)
class FSModel:
    """m and u probabilities per field and level, and the prior match share."""

    m: list[list[float]] = field(default_factory=lambda: [list(x) for x in _PRIOR_M])
    u: list[list[float]] = field(default_factory=lambda: [list(x) for x in _PRIOR_U])
    prior: float = 0.14
    iterations: int = 0

    def weight(self, pattern: Pattern) -> float:
        """The match weight: sum of log2(m/u) over the fields that apply."""
        total = 0.0
        for f, level in enumerate(pattern):
            if level is not None:
                total += math.log2(self.m[f][level] / self.u[f][level])
        return total

    def probability(self, weight: float) -> float:
        """The match probability of a pair with this weight."""
        logit = weight + math.log2(self.prior / (1 - self.prior))
        if logit > 60:
            return 1.0
        if logit < -60:
            return 0.0
        return 1.0 / (1.0 + math.pow(2.0, -logit))

    def fit(self, counts: Mapping[Pattern, int], iterations: int = 40) -> FSModel:
        """Estimate m, u and the prior by EM over vector counts; return ``self``."""
        items = sorted(
            ((p, n) for p, n in counts.items() if n > 0),
            key=lambda item: tuple(-1 if x is None else x for x in item[0]),
        )
        if not items:
            return self
        total = float(sum(n for _, n in items))
        for it in range(iterations):
            m_acc = [[0.0] * k for k in LEVELS]
            u_acc = [[0.0] * k for k in LEVELS]
            matched = 0.0
            for pattern, n in items:
                g = n * self.probability(self.weight(pattern))
                matched += g
                for f, level in enumerate(pattern):
                    if level is not None:
                        m_acc[f][level] += g
                        u_acc[f][level] += n - g
            new_prior = min(0.95, max(1e-4, matched / total))
            delta = abs(new_prior - self.prior)
            self.prior = new_prior
            for f in range(len(FIELDS)):
                for acc, target in ((m_acc[f], self.m[f]), (u_acc[f], self.u[f])):
                    mass = sum(acc)
                    if mass > 0:
                        for level in range(len(acc)):
                            target[level] = _clamp(acc[level] / mass)
            self.iterations = it + 1
            if delta < 1e-7:
                break
        return self

    def to_json(self) -> dict[str, object]:
        """The fitted parameters, rounded, for reports."""
        return {
            "prior": round(self.prior, 6),
            "iterations": self.iterations,
            "m": {f: [round(x, 6) for x in self.m[i]] for i, f in enumerate(FIELDS)},
            "u": {f: [round(x, 6) for x in self.u[i]] for i, f in enumerate(FIELDS)},
        }

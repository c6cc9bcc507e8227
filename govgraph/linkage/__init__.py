"""Linkage: one citizen from many departments' records, written to the citizen index.

:func:`link` reads every source through its connector's ``scan``, maps each record to a common
:class:`Identity`, links exactly where a shared identifier or surname + date of birth + postcode
allows, scores the rest with a Fellegi-Sunter model fitted by EM, and decides per pair: linked,
rejected, or ambiguous (kept for a caseworker, never linked). :func:`evaluate` measures the
result against the generator's truth.
"""

from __future__ import annotations

from govgraph.linkage.evaluate import Evaluation, PairQuality, evaluate, evaluate_groups
from govgraph.linkage.identity import Identity
from govgraph.linkage.model import FSModel
from govgraph.linkage.report import LinkReport
from govgraph.linkage.run import MODEL_VERSION, LinkInterrupted, ScanFailed, link

__all__ = [
    "MODEL_VERSION",
    "Evaluation",
    "FSModel",
    "Identity",
    "LinkInterrupted",
    "LinkReport",
    "PairQuality",
    "ScanFailed",
    "evaluate",
    "evaluate_groups",
    "link",
]

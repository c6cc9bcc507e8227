"""A REST/JSON connector kind for govgraph, installed as a plugin.

It registers under the entry-point group ``govgraph.connectors`` as kind ``rest``; the
gateway finds it by name once this package is installed. :mod:`govgraph_rest.simulator` is a
simulated land registry that serves property titles through such an API.
"""

from __future__ import annotations

from govgraph_rest.connector import RestConnector
from govgraph_rest.settings import RestSettings

__all__ = ["RestConnector", "RestSettings"]

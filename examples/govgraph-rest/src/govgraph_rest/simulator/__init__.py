"""A simulated land registry: property titles served over a small JSON API.

Run it with ``python -m govgraph_rest.simulator --port 0``; it prints
``listening on http://HOST:PORT`` once it accepts connections.
"""

from __future__ import annotations

from govgraph_rest.simulator.app import create_app
from govgraph_rest.simulator.runner import serve_forever, serve_in_thread
from govgraph_rest.simulator.titles import (
    generate_titles,
    load_titles,
    save_titles,
    titles_for_owners,
)

__all__ = [
    "create_app",
    "generate_titles",
    "load_titles",
    "save_titles",
    "serve_forever",
    "serve_in_thread",
    "titles_for_owners",
]

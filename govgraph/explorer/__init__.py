"""GraphiQL served from the package: pinned GraphiQL and React builds, no CDN, a strict CSP.

The page loads only files under ``/graphiql/`` from this server (``static/``, copied from npm by
``frontend/build.py``) and its own ``explorer.js``; the example operations (analysts' from
``schema/examples/``, app developers' from ``schema/examples/app/``) ride in a JSON data block
and open as tabs.
"""

from __future__ import annotations

from govgraph.explorer.page import CSP, explorer_html, explorer_routes

__all__ = ["CSP", "explorer_html", "explorer_routes"]

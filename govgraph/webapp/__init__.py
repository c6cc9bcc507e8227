"""The citizen app: server-rendered GOV.UK pages over the GraphQL API, served at ``/app``.

``govgraph.webapp.app.create_webapp`` builds it; the gateway mounts it, and
``uvicorn --factory govgraph.webapp.app:standalone`` runs it on its own.
"""

from __future__ import annotations

__all__: list[str] = []

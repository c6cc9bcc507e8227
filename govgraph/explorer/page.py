"""The GraphiQL page, its assets route and its Content-Security-Policy."""

from __future__ import annotations

import html
import json
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from govgraph.statistics.graphiql import EXAMPLES, examples

__all__ = ["ASSETS", "CSP", "explorer_html", "explorer_routes"]

ASSETS = "/graphiql"
"""Where the page's scripts and styles are served."""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Scripts only from this server (no inline script, no eval); GraphiQL sets inline styles."""

_HEADERS = '{\n  "Authorization": "Bearer <a token from govgraph token --persona parking-fine>"\n}'


def explorer_html(folders: tuple[Path, ...] = (EXAMPLES, EXAMPLES / "app")) -> str:
    """The GraphiQL page with every example as a tab."""
    found = [text for folder in folders for _name, text in examples(folder)]
    config = {
        "url": "/graphql",
        "tabs": [{"query": text, "headers": _HEADERS} for text in found],
    }
    data = html.escape(json.dumps(config), quote=False)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL - govgraph</title>
<link rel="stylesheet" href="{ASSETS}/graphiql.min.css">
<link rel="stylesheet" href="{ASSETS}/explorer.css">
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script type="application/json" id="graphiql-config">{data}</script>
<script src="{ASSETS}/react.production.min.js"></script>
<script src="{ASSETS}/react-dom.production.min.js"></script>
<script src="{ASSETS}/graphiql.min.js"></script>
<script src="{ASSETS}/explorer.js"></script>
</body>
</html>
"""


def explorer_routes() -> list[Mount]:
    """The assets route (``/graphiql/...``)."""
    return [Mount(ASSETS, StaticFiles(directory=Path(__file__).parent / "static"))]

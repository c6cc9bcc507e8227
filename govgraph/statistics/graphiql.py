"""GraphiQL offered with the example operations for analysts (``schema/examples/*.graphql``).

The examples open as GraphiQL tabs, the first one in the editor, so an analyst starts from a
working ``statistics`` query instead of an empty page.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

__all__ = ["EXAMPLES", "examples", "graphiql_html"]


def _examples_folder() -> Path:
    spec = importlib.util.find_spec("schema")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "examples"


EXAMPLES = _examples_folder()
"""The folder of example operations shipped with the ``schema`` package."""

_EXAMPLE_QUERY = re.compile(r"const EXAMPLE_QUERY = `.*?`;", re.DOTALL)
_PROPS = "fetcher: fetcher,"


def examples(folder: Path = EXAMPLES) -> list[tuple[str, str]]:
    """``(file name, operation text)`` of every example, in file-name order."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.graphql"))]


def _script_json(value: object) -> str:
    return json.dumps(value).replace("</", "<\\/")


def graphiql_html(folder: Path = EXAMPLES, base: str | None = None) -> str:
    """The GraphiQL page with the examples as its tabs (the page unchanged if there are none)."""
    html = base if base is not None else get_graphql_ide_html()
    found = examples(folder)
    if not found or not _EXAMPLE_QUERY.search(html) or _PROPS not in html:
        return html
    tabs = [{"query": text} for _, text in found]
    script = (
        f"const EXAMPLE_QUERY = {_script_json(found[0][1])};\n"
        f"      const EXAMPLE_TABS = {_script_json(tabs)};"
    )
    html = _EXAMPLE_QUERY.sub(lambda _m: script, html, count=1)
    return html.replace(_PROPS, f"{_PROPS}\n          defaultTabs: EXAMPLE_TABS,", 1)

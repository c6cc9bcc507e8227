"""Copy the pinned browser assets from ``frontend/node_modules`` into the Python packages.

Run ``npm ci && python build.py`` in this folder; the copies are committed, so
``pip install -e .`` needs neither npm nor a network. The app's own ``app.css`` and ``app.mjs``
live beside the copies and are left alone.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULES = HERE / "node_modules"
ROOT = HERE.parent
APP_ASSETS = ROOT / "govgraph" / "webapp" / "static"
EXPLORER_ASSETS = ROOT / "govgraph" / "explorer" / "static"

_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


def _govuk_css(text: str) -> str:
    """GOV.UK Frontend's CSS without the GDS Transport font (reserved for GOV.UK's own domain,
    so the type falls back to Arial) and with asset URLs relative to the stylesheet."""
    text = _FONT_FACE.sub("", text)
    text = text.replace("GDS Transport,arial,sans-serif", "arial,sans-serif")
    text = text.replace("url(/assets/", "url(")
    return re.sub(r"/\*# sourceMappingURL=.*?\*/", "", text)


def _strip_map(text: str) -> str:
    return re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", text)


def build() -> None:
    govuk = MODULES / "govuk-frontend" / "dist" / "govuk"
    if not govuk.is_dir():
        sys.exit("frontend/node_modules is missing: run `npm ci` in frontend/ first")
    shutil.rmtree(APP_ASSETS / "images", ignore_errors=True)
    (APP_ASSETS / "images").mkdir(parents=True)
    css = (govuk / "govuk-frontend.min.css").read_text(encoding="utf-8")
    (APP_ASSETS / "govuk-frontend.min.css").write_text(_govuk_css(css), encoding="utf-8")
    js = (govuk / "govuk-frontend.min.js").read_text(encoding="utf-8")
    (APP_ASSETS / "govuk-frontend.min.js").write_text(_strip_map(js), encoding="utf-8")
    for image in (
        "favicon.ico",
        "favicon.svg",
        "govuk-crest.svg",
        "govuk-icon-mask.svg",
        "govuk-icon-180.png",
    ):
        shutil.copy2(govuk / "assets" / "images" / image, APP_ASSETS / "images" / image)

    shutil.rmtree(EXPLORER_ASSETS, ignore_errors=True)
    EXPLORER_ASSETS.mkdir(parents=True)
    for source, name in (
        (MODULES / "react" / "umd" / "react.production.min.js", "react.production.min.js"),
        (
            MODULES / "react-dom" / "umd" / "react-dom.production.min.js",
            "react-dom.production.min.js",
        ),
        (MODULES / "graphiql" / "graphiql.min.js", "graphiql.min.js"),
        (MODULES / "graphiql" / "graphiql.min.css", "graphiql.min.css"),
    ):
        text = source.read_text(encoding="utf-8")
        (EXPLORER_ASSETS / name).write_text(_strip_map(text), encoding="utf-8")
    print(f"copied assets into {APP_ASSETS} and {EXPLORER_ASSETS}")


if __name__ == "__main__":
    build()

"""The public names of the soap connector and the tax fixture packages exist."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["legacy_connectors.soap", "fixtures.tax"])
def test_all_names_exist(module: str) -> None:
    """Every name in ``__all__`` is defined by the package."""
    mod = importlib.import_module(module)
    assert mod.__all__ and all(hasattr(mod, name) for name in mod.__all__)


def test_connector_package_does_not_import_the_gateway() -> None:
    """The soap connector imports nothing from the gateway, schema, resolvers or fixtures."""
    import pathlib

    root = pathlib.Path(importlib.import_module("legacy_connectors.soap").__file__ or "").parent
    for path in root.glob("*.py"):
        text = path.read_text()
        for banned in (
            "import strawberry",
            "from govgraph",
            "from schema",
            "from resolvers",
            "from fixtures",
            "import govgraph",
            "import fixtures",
        ):
            assert banned not in text, f"{path.name}: {banned}"

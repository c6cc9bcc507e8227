"""The REST plugin from ``examples/`` (installed in the environment) and its land registry.

Tests that need the plugin skip, saying how to install it, when it is not installed; the slow
test ``test_rest_plugin_install.py`` installs it with pip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from legacy_connectors.registry import known_kinds
from tests.integration_kit.land import OWNER, TOKEN, LandRegistry


def require_rest_plugin() -> None:
    """Skip unless the example REST plugin is installed (its entry point is visible)."""
    if "rest" not in known_kinds():
        pytest.skip("the REST plugin is not installed: pip install ./examples/govgraph-rest")


@pytest.fixture(scope="session")
def land_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LandRegistry]:
    """The plugin's simulated land registry on a loopback port, requiring a token."""
    require_rest_plugin()
    from govgraph_rest.simulator import (
        create_app,
        generate_titles,
        serve_in_thread,
        titles_for_owners,
    )

    token_file = tmp_path_factory.mktemp("land-registry") / "token"
    token_file.write_text(TOKEN + "\n")
    titles = titles_for_owners([OWNER, OWNER], seed=9) + generate_titles(30, seed=10)
    with serve_in_thread(create_app(titles, token=TOKEN)) as url:
        yield LandRegistry(url, titles, token_file)

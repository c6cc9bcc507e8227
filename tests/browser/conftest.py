"""A gateway over its own data (the journeys change it) and one headless Chromium per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from govgraph import demo
from tests.harness import RunningGateway, running_gateway

CHROMIUM = os.environ.get("GOVGRAPH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def app_population() -> Any:
    from fixtures.generate import generate

    return generate(people=200, seed=2, noise="realistic", as_of=date.today())


@pytest.fixture(scope="session")
def app_data(tmp_path_factory: pytest.TempPathFactory, app_population: Any) -> Path:
    from fixtures.generate import write_all

    data_dir = tmp_path_factory.mktemp("app-data")
    write_all(app_population, data_dir)
    return data_dir


@pytest.fixture(scope="session")
def app_tax_url(app_data: Path) -> Iterator[str]:
    with demo.tax_service(app_data) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def app_gateway(
    app_data: Path, app_tax_url: str, app_population: Any
) -> AsyncIterator[RunningGateway]:
    async with running_gateway(app_data, app_tax_url, app_population) as gateway:
        yield gateway


_INSTALLED = bool(shutil.which(CHROMIUM)) or Path(CHROMIUM).exists()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    if not _INSTALLED:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()

"""Demo personas: one per scenario, found by their data, the same on the sign-in page and in
``govgraph token --persona``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import jwt
import pytest

from govgraph.index import CitizenIndex
from govgraph.personas import PERSONAS, find_personas
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_token_persona_matches_the_scenario(app_gateway: RunningGateway) -> None:
    """Every scenario has a persona whose records fit it, and `govgraph token --persona` signs
    a token for that same citizen."""
    import httpx

    index = CitizenIndex(app_gateway.settings.gateway.index_url)
    await index.open()
    try:
        personas = {p.name: p for p in await find_personas(app_gateway.data_dir, index)}
    finally:
        await index.aclose()
    assert set(personas) == {s.name for s in PERSONAS}
    assert len({p.citizen_id for p in personas.values()}) == len(personas)
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "govgraph.cli",
            "token",
            "--data",
            str(app_gateway.data_dir),
            "--persona",
            "passport-renewal",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    token = done.stdout.strip()
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    assert claims["citizen_id"] == personas["passport-renewal"].citizen_id
    overpaid = personas["benefit-overpayment"].citizen_id
    async with httpx.AsyncClient(base_url=app_gateway.base_url) as client:
        answer = await client.post(
            "/graphql",
            json={"query": "{ me { obligations { kind } } }"},
            headers=app_gateway.headers("citizen", overpaid),
        )
    kinds = {o["kind"] for o in answer.json()["data"]["me"]["obligations"]}
    assert "BENEFIT_OVERPAYMENT" in kinds

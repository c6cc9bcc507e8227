"""`govgraph token` prints tokens the gateway accepts, for each role."""

from __future__ import annotations

import subprocess
import sys

import pytest

from govgraph.auth import TokenVerifier
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _token(gateway: RunningGateway, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govgraph.cli", "token", "--data", str(gateway.data_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_token_command_prints_accepted_tokens(gateway: RunningGateway) -> None:
    """Caseworker and analyst tokens from the CLI verify against the gateway's keys, with the
    stated purpose and confidence; an unlisted purpose is flagged."""
    verifier = TokenVerifier(gateway.settings.auth)
    caseworker = _token(gateway, "--role", "caseworker", "--purpose", "benefit-claim")
    assert caseworker.returncode == 0, caseworker.stderr
    principal = verifier.verify(caseworker.stdout.strip())
    assert (principal.role, principal.purpose, principal.purpose_allowed) == (
        "caseworker",
        "benefit-claim",
        True,
    )
    analyst = _token(gateway, "--role", "analyst", "--confidence", "P1", "--purpose", "nosy")
    assert analyst.returncode == 0
    assert verifier.verify(analyst.stdout.strip()).confidence == "P1"
    odd = _token(gateway, "--role", "caseworker", "--purpose", "curiosity")
    assert "not one of the default allowed purposes" in odd.stderr
    assert not verifier.verify(odd.stdout.strip()).purpose_allowed

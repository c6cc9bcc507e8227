"""`govgraph token` prints tokens the gateway accepts, for each role."""

from __future__ import annotations

import asyncio

import pytest

from govgraph.auth import TokenVerifier
from govgraph.cli import main
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _token(
    gateway: RunningGateway, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run `govgraph token` (in a thread: the command may run its own event loop)."""
    code = await asyncio.to_thread(main, ["token", "--data", str(gateway.data_dir), *args])
    out = capsys.readouterr()
    return code, out.out.strip(), out.err


async def test_token_command_prints_accepted_tokens(
    gateway: RunningGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    """Caseworker and analyst tokens from the CLI verify against the gateway's keys, with the
    stated purpose and confidence; an unlisted purpose is flagged."""
    verifier = TokenVerifier(gateway.settings.auth)
    code, token, err = await _token(
        gateway, capsys, "--role", "caseworker", "--purpose", "benefit-claim"
    )
    assert code == 0, err
    principal = verifier.verify(token)
    assert (principal.role, principal.purpose, principal.purpose_allowed) == (
        "caseworker",
        "benefit-claim",
        True,
    )
    code, token, _ = await _token(gateway, capsys, "--role", "analyst", "--confidence", "P1")
    assert code == 0
    assert verifier.verify(token).confidence == "P1"
    code, token, err = await _token(
        gateway, capsys, "--role", "caseworker", "--purpose", "curiosity"
    )
    assert "not one of the default allowed purposes" in err
    assert not verifier.verify(token).purpose_allowed

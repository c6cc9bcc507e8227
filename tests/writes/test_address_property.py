"""Property: every department holds exactly the confirmed address, or it was refused."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import RunningGateway
from tests.writes.stores import holds_exactly, snapshot
from tests.writes.test_change_address import TRACK
from tests.writes.test_strict_address import CONFIRMED, citizen

pytestmark = pytest.mark.asyncio(loop_scope="session")

EXAMPLES = 25

_SAFE = "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789-'.,ßéüçñøÆ\u00a0"
"""Characters every department can hold."""
_RISKY = st.one_of(
    st.sampled_from(
        ["\U0001f600", "\u0141", "\u017a", "\u202e", "\x00", "\x1b", "\ufffe", "\u0301", "\u3000"]
    ),
    st.characters(),
)
"""One character some department (or every one) cannot hold, or any character at all."""
_VALID = st.sampled_from(["SW1A 1AA", "hx9 4qt", "M1 1AE", " b33  8th ", "CR2 6XH"])


@st.composite
def addresses(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly addresses every department can hold (some too long for one of them), about one
    field in five with a character some department cannot hold or that is not text at all."""

    def field(longest: int) -> str:
        text = draw(st.text(alphabet=st.sampled_from(_SAFE), min_size=1, max_size=longest))
        if draw(st.integers(0, 9)) >= 8:
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(_RISKY) + text[at:]
        return text

    count = (
        draw(st.integers(1, 3)) if draw(st.integers(0, 9)) < 9 else draw(st.sampled_from([0, 4]))
    )
    lines = [field(36) for _ in range(count)]
    town = field(28)
    postcode = draw(_VALID) if draw(st.integers(0, 9)) < 9 else draw(st.text(max_size=10))
    return {"lines": lines, "town": town, "postcode": postcode}


def _settle(client: httpx.Client, headers: dict[str, str], change_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = client.post(
            "/graphql", json={"query": TRACK, "variables": {"id": change_id}}, headers=headers
        ).json()
        change = body["data"]["addressChange"]
        if change["complete"] or any(d["status"] == "FAILED" for d in change["deliveries"]):
            return change  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("deliveries did not settle")


def check_addresses(
    base_url: str, data_dir: Path, headers: dict[str, str], held: dict[str, list[str]]
) -> int:
    """Run the property (in a thread of its own, with its own event loop for the store reads);
    return how many changes were accepted."""
    accepted = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(address=addresses())
    def run(address: dict[str, Any]) -> None:
        nonlocal accepted
        before = asyncio.run(snapshot(data_dir, held))
        with httpx.Client(base_url=base_url, timeout=60) as client:
            variables = {"address": address, "key": uuid.uuid4().hex}
            body = client.post(
                "/graphql", json={"query": CONFIRMED, "variables": variables}, headers=headers
            ).json()
            if body.get("errors"):
                assert body["data"] is None, body
                assert all(e["extensions"]["code"].startswith("INVALID_") for e in body["errors"])
                assert asyncio.run(snapshot(data_dir, held)) == before
                return
            shown = body["data"]["changeAddress"]
            change = _settle(client, headers, shown["id"])
        assert all(d["status"] == "DELIVERED" for d in change["deliveries"]), change
        asyncio.run(holds_exactly(data_dir, held, shown["address"], shown["id"]))
        accepted += 1

    run()
    return accepted


async def test_departments_hold_exactly_what_the_citizen_was_shown_or_nothing(
    write_gateway: RunningGateway,
) -> None:
    """Random Unicode addresses: refused with INVALID_* and nothing stored, or stored as shown."""
    headers, held = await citizen(write_gateway, 4)
    assert held.get("tax") and held.get("benefits") and held.get("passports")
    accepted = await asyncio.to_thread(
        check_addresses, write_gateway.base_url, write_gateway.data_dir, headers, held
    )
    assert accepted >= 3, f"only {accepted} of {EXAMPLES} addresses were accepted"

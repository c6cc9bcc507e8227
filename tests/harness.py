"""The running gateway the end-to-end tests talk to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgraph.idp import DemoIdentityProvider
from govgraph.settings import Settings


@dataclass
class RunningGateway:
    """A gateway served over loopback HTTP, with its data and identity provider."""

    base_url: str
    settings: Settings
    data_dir: Path
    idp: DemoIdentityProvider
    population: Any

    def token(self, role: str, citizen_id: str | None = None, **kw: Any) -> str:
        if role == "caseworker":
            kw.setdefault("purpose", "case-review")
        return self.idp.token(role=role, citizen_id=citizen_id, **kw)

    def headers(
        self, role: str = "citizen", citizen_id: str | None = None, **kw: Any
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, citizen_id, **kw)}"}

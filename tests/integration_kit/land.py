"""The simulated land registry the integration kit's tests run against: who owns what."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["OWNER", "TOKEN", "LandRegistry"]

TOKEN = "integration-kit-land-registry"
OWNER = {
    "given_names": "Mara",
    "surname": "Quillfeather",
    "date_of_birth": "1979-04-23",
    "postcode": "MB7 2QX",
}
"""The invented proprietor of the first two titles (linked to a test citizen)."""


@dataclass
class LandRegistry:
    """A running simulated land registry: its URL, titles and token file."""

    base_url: str
    titles: list[dict[str, Any]]
    token_file: Path

    def options(self, **changes: Any) -> dict[str, Any]:
        """``rest`` connector options for this registry."""
        return {
            "base_url": self.base_url,
            "record_path": "/titles/{key}",
            "batch_path": "/titles",
            "scan_path": "/titles",
            "records_field": "titles",
            "key_field": "title_number",
            "token_file": str(self.token_file),
            **changes,
        }

    @property
    def owned(self) -> list[dict[str, Any]]:
        """The titles of ``OWNER``."""
        return [t for t in self.titles if t["proprietors"] == [OWNER]]

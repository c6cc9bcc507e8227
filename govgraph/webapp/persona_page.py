"""The demo identity provider's persona page, drawn with the app's templates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govgraph.personas import CitizenKeys, Persona, find_personas
from govgraph.webapp.render import Renderer

__all__ = ["PersonaPage"]


class PersonaPage:
    """Finds the demo personas once (from the demo data) and renders the page to pick one."""

    def __init__(self, renderer: Renderer, data_dir: Path, index: CitizenKeys) -> None:
        self.renderer = renderer
        self.data_dir = data_dir
        self.index = index
        self._found: list[Persona] | None = None

    async def personas(self) -> list[Persona]:
        if self._found is None:
            self._found = await find_personas(self.data_dir, self.index)
        return self._found

    def render(self, template: str, context: dict[str, Any]) -> str:
        defaults: dict[str, Any] = {"signed_in": False, "csrf_token": "", "errors": None}
        return self.renderer.text(template, {**defaults, **context})

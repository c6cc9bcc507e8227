"""Land registry titles of a citizen, from the ``property`` source when one is configured.

The source is any connector kind whose records are titles shaped as the simulated land
registry's (see ``examples/govgraph-rest``); the citizen index links a citizen to each title
number they are a proprietor of.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from govgraph.departments.values import as_date
from resolvers.citizen import load_source
from resolvers.context import RequestContext
from resolvers.records import money
from schema.common import Address
from schema.property import PropertyTitle, Tenure, TitleCharge

__all__ = ["SOURCE", "property_title", "property_titles"]

SOURCE = "property"
"""The configured source name that serves titles."""


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def property_title(rec: dict[str, Any]) -> PropertyTitle:
    """A title record (readable JSON fields) as the schema's type."""
    place = rec.get("property") or {}
    try:
        tenure = Tenure(_text(rec.get("tenure")))
    except ValueError:
        tenure = Tenure.FREEHOLD
    charges = [
        TitleCharge(lender=_text(c.get("lender")), registered_on=as_date(c.get("registered_on")))
        for c in rec.get("charges") or []
        if isinstance(c, dict)
    ]
    charges.sort(key=lambda c: c.registered_on or date.min)
    price = rec.get("price_paid")
    return PropertyTitle(
        title_number=_text(rec.get("title_number")),
        tenure=tenure,
        class_of_title=_text(rec.get("class_of_title")),
        address=Address(
            lines=[_text(line) for line in place.get("lines") or []],
            town=place.get("town"),
            postcode=place.get("postcode"),
        ),
        registered_on=as_date(rec.get("registered_on")),
        price_paid=None if price in (None, "") else money(price),
        lease_expires_on=as_date(rec.get("lease_expires_on")),
        proprietor_count=len(rec.get("proprietors") or []),
        charges=charges,
    )


async def property_titles(ctx: RequestContext, citizen_id: str) -> list[PropertyTitle]:
    """The citizen's titles, earliest registered first; empty when no source is configured."""
    titles = [
        property_title(r) for r in await load_source(ctx, citizen_id, SOURCE) if isinstance(r, dict)
    ]
    titles.sort(key=lambda t: (t.registered_on or date.min, t.title_number))
    return titles

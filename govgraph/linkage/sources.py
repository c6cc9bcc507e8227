"""One small function per source: a scanned (key, record) to the common :class:`Identity`.

The record shapes are the connectors' contract (field names exactly as each source returns
them). A record that lacks what linkage needs gives ``None`` and is counted as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from govgraph.linkage.identity import Identity, parse_date, split_forenames

__all__ = ["MAPPERS", "ParkingNotice", "map_parking"]


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _lines(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, Sequence):
        return tuple(_text(x) for x in value if _text(x))
    return ()


def map_tax(key: str, r: Mapping[str, Any]) -> Identity | None:
    """``tax``: ``Nino``, ``Name{GivenName, MiddleNames, FamilyName}``, ``DateOfBirth``,
    ``Sex``, ``Address{Line[], Town, PostCode}``."""
    name = r.get("Name") or {}
    address = r.get("Address") or {}
    return Identity(
        source="tax",
        key=key,
        surname=_text(name.get("FamilyName")),
        given_name=_text(name.get("GivenName")),
        middle_names=_text(name.get("MiddleNames")),
        date_of_birth=parse_date(r.get("DateOfBirth")),
        sex=_text(r.get("Sex")),
        postcode=_text(address.get("PostCode")),
        address_lines=_lines(address.get("Line")),
        town=_text(address.get("Town")),
    )


def map_benefits(key: str, r: Mapping[str, Any]) -> Identity | None:
    """``benefits`` (one record per claim): ``SURNAME``, ``FORENAMES``, ``DATE_OF_BIRTH``,
    ``SEX``, ``ADDRESS_LINE[]``, ``POST_TOWN``, ``POSTCODE``."""
    given, middle = split_forenames(_text(r.get("FORENAMES")))
    return Identity(
        source="benefits",
        key=key,
        surname=_text(r.get("SURNAME")),
        given_name=given,
        middle_names=middle,
        date_of_birth=parse_date(r.get("DATE_OF_BIRTH")),
        sex=_text(r.get("SEX")),
        postcode=_text(r.get("POSTCODE")),
        address_lines=_lines(r.get("ADDRESS_LINE")),
        town=_text(r.get("POST_TOWN")),
    )


def _flat(source: str, key: str, r: Mapping[str, Any]) -> Identity:
    given, middle = split_forenames(_text(r.get("forenames")))
    return Identity(
        source=source,
        key=key,
        surname=_text(r.get("surname")),
        given_name=given,
        middle_names=middle,
        date_of_birth=parse_date(r.get("date_of_birth")),
        sex=_text(r.get("sex")),
        postcode=_text(r.get("postcode")),
        address_lines=_lines(r.get("address_line1")),
        town=_text(r.get("town")),
    )


def map_passports(key: str, r: Mapping[str, Any]) -> Identity | None:
    """``passports``: ``surname``, ``forenames``, ``date_of_birth``, ``sex``,
    ``address_line1``, ``town``, ``postcode``."""
    return _flat("passports", key, r)


def map_vehicles(key: str, r: Mapping[str, Any]) -> Identity | None:
    """``vehicles``: as passports, plus ``licence_number`` and ``vehicles[{vrm}]``."""
    identity = _flat("vehicles", key, r)
    identity.licence_number = _text(r.get("licence_number")) or key
    identity.vrms = tuple(
        _vrm(v.get("vrm")) for v in (r.get("vehicles") or ()) if isinstance(v, Mapping)
    )
    return identity


def _vrm(value: Any) -> str:
    compact = _text(value).upper().replace(" ", "")
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


class ParkingNotice:
    """A penalty notice's link-relevant fields: the VRM and the keeper as the council has them."""

    __slots__ = ("forenames", "key", "postcode", "surname", "vrm")

    def __init__(self, key: str, vrm: str, surname: str, forenames: str, postcode: str) -> None:
        self.key = key
        self.vrm = vrm
        self.surname = surname
        self.forenames = forenames
        self.postcode = postcode


def map_parking(key: str, r: Mapping[str, Any]) -> ParkingNotice | None:
    """``parking`` (one record per notice, keyed by VRM): ``vrm``, ``keeper_surname``,
    ``keeper_forenames``, ``keeper_postcode``."""
    vrm = _vrm(r.get("vrm") or key)
    if not vrm:
        return None
    return ParkingNotice(
        key=key.strip() or vrm,
        vrm=vrm,
        surname=_text(r.get("keeper_surname")),
        forenames=_text(r.get("keeper_forenames")),
        postcode=_text(r.get("keeper_postcode")),
    )


MAPPERS: dict[str, Callable[[str, Mapping[str, Any]], Identity | None]] = {
    "tax": map_tax,
    "benefits": map_benefits,
    "passports": map_passports,
    "vehicles": map_vehicles,
}
"""The identity-bearing sources, by source name (``parking`` links through VRMs instead)."""

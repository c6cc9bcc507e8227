"""Read SOAP 1.1 and 1.2 faults and map them to the project's typed errors.

A fault is classified by its codes: the ``faultcode`` (1.1) or Code/Subcode values (1.2), the
local names of the detail's child elements, and any ``Code`` element inside them. The fault
string is never copied into an error: services put keys and names in it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from legacy_connectors.errors import (
    ChangesExpiredError,
    InvalidInputError,
    LegacyError,
    NotAuthorisedError,
    ProtocolError,
    RecordNotFoundError,
    UpstreamBusyError,
    UpstreamUnavailableError,
)
from legacy_connectors.soap.settings import SoapSettings
from legacy_connectors.soap.wsdl import SOAP11_ENV, SOAP12_ENV

__all__ = ["FaultInfo", "SoapFault", "classify_fault", "find_fault", "http_error", "read_fault"]

_RETRY_NAMES = {"RetryAfterSeconds", "RetryAfter", "retryAfter", "retryAfterSeconds"}


@dataclass(slots=True)
class FaultInfo:
    """What a fault says, reduced to names and codes (no free text)."""

    codes: list[str] = field(default_factory=list)
    detail_names: list[str] = field(default_factory=list)
    detail_codes: list[str] = field(default_factory=list)
    retry_after_s: float | None = None

    def candidates(self) -> list[str]:
        return [*self.detail_names, *self.detail_codes, *self.codes]

    def describe(self) -> str:
        parts = [f"code {'/'.join(self.codes) or '?'}"]
        if self.detail_names:
            parts.append(f"detail {', '.join(self.detail_names)}")
        return ", ".join(parts)


class SoapFault(Exception):
    """Raised by reply parsers when the body holds a fault; the connector classifies it."""

    def __init__(self, info: FaultInfo) -> None:
        super().__init__(info.describe())
        self.info = info


def _local(value: str | None) -> str:
    value = (value or "").strip()
    return value.rsplit(":", 1)[-1].rsplit("}", 1)[-1]


def _local_tag(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def find_fault(root: etree._Element) -> etree._Element | None:
    """The ``Fault`` element of an envelope, or ``None``."""
    for ns in (SOAP11_ENV, SOAP12_ENV):
        fault = root.find(f"{{{ns}}}Body/{{{ns}}}Fault")
        if fault is not None:
            return fault
    return None


def read_fault(fault: etree._Element) -> FaultInfo:
    """Reduce a Fault element (either SOAP version) to its codes and detail names."""
    info = FaultInfo()
    ns = etree.QName(fault).namespace
    if ns == SOAP12_ENV:
        code = fault.find(f"{{{ns}}}Code")
        while code is not None:
            info.codes.append(_local(code.findtext(f"{{{ns}}}Value")))
            code = code.find(f"{{{ns}}}Subcode")
        detail = fault.find(f"{{{ns}}}Detail")
    else:
        info.codes.append(_local(fault.findtext("faultcode")))
        for subcode in info.codes[0].split(".")[1:]:
            info.codes.append(subcode)
        detail = fault.find("detail")
    if detail is not None:
        for child in detail:
            name = _local_tag(child)
            if not name:
                continue
            info.detail_names.append(name)
            for sub in child.iter():
                sub_name = _local_tag(sub)
                if sub_name in ("Code", "code", "ErrorCode", "errorCode") and sub.text:
                    info.detail_codes.append(sub.text.strip())
                elif sub_name in _RETRY_NAMES and sub.text:
                    with contextlib.suppress(ValueError):
                        info.retry_after_s = float(sub.text.strip())
    return info


def classify_fault(
    info: FaultInfo,
    settings: SoapSettings,
    *,
    service: str,
    operation: str,
    status: int,
    retry_after_header: str | None = None,
) -> LegacyError:
    """The typed error a fault stands for (``RecordNotFoundError`` for "no such key")."""
    detail = f"operation {operation}: HTTP {status}, SOAP fault {info.describe()}"
    names = info.candidates()

    def has(codes: list[str]) -> str | None:
        wanted = set(codes)
        return next((n for n in names if n in wanted), None)

    if (found := has(settings.changes_expired_fault_codes)) is not None:
        return ChangesExpiredError(
            f"{service}'s change log no longer reaches back to the position asked for "
            f"({found}); read the source whole",
            service=service,
            detail=detail,
        )
    if (found := has(settings.not_found_fault_codes)) is not None:
        return RecordNotFoundError(
            f"{service} holds no record for the key ({found})", service=service, detail=detail
        )
    if (found := has(settings.not_authorised_fault_codes)) is not None:
        return NotAuthorisedError(
            f"{service} rejected the gateway's credentials ({found})",
            service=service,
            detail=detail,
        )
    if (found := has(settings.busy_fault_codes)) is not None:
        retry = info.retry_after_s
        if retry is None and retry_after_header:
            retry = _seconds(retry_after_header)
        return UpstreamBusyError(
            f"{service} is busy and asked to be called later ({found})",
            service=service,
            detail=detail,
            retry_after_s=retry,
        )
    invalid_codes = set(settings.invalid_input_fault_codes)
    invalid = next((n for n in names if n in invalid_codes or n.startswith("Invalid")), None)
    if invalid is not None:
        return InvalidInputError(
            f"{service} rejected the request as invalid ({invalid})",
            service=service,
            detail=detail,
        )
    return ProtocolError(
        f"{service} answered with an unexpected SOAP fault ({info.describe()})",
        service=service,
        detail=detail,
    )


def _seconds(value: str) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def http_error(
    status: int, headers: Mapping[str, str], *, service: str, operation: str
) -> LegacyError:
    """The typed error for a non-200 answer that carries no SOAP fault."""
    detail = f"operation {operation}: HTTP {status} without a SOAP fault"
    if status in (429, 503):
        return UpstreamBusyError(
            f"{service} is busy (HTTP {status})",
            service=service,
            detail=detail,
            retry_after_s=_seconds(headers.get("retry-after", "")),
        )
    if status in (502, 504):
        return UpstreamUnavailableError(
            f"{service} is unavailable (HTTP {status})", service=service, detail=detail
        )
    if status in (401, 403):
        return NotAuthorisedError(
            f"{service} rejected the gateway's credentials (HTTP {status})",
            service=service,
            detail=detail,
        )
    return ProtocolError(
        f"{service} answered HTTP {status} without a SOAP fault", service=service, detail=detail
    )

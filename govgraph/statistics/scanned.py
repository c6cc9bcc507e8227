"""Sources aggregated by reading them through once: the mainframe file and the SOAP service.

Each pass keeps only what statistics need of each record (a person key, categories, a postcode
area, a month and an amount) and is reused: the benefits file's until the connector serves a
new generation, the tax service's for ``tax_ttl_s``. Concurrent requests share one pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from govgraph.statistics.filters import month_of, postcode_area

__all__ = [
    "BENEFIT_STATUSES",
    "BENEFIT_TYPES",
    "TAX_BANDS",
    "BenefitRow",
    "ScanCache",
    "TaxRow",
    "benefit_row",
    "tax_band",
    "tax_row",
]

BENEFIT_TYPES = {
    "UC": "UNIVERSAL_CREDIT",
    "PIP": "PERSONAL_INDEPENDENCE_PAYMENT",
    "SP": "STATE_PENSION",
    "CB": "CHILD_BENEFIT",
    "ESA": "EMPLOYMENT_AND_SUPPORT_ALLOWANCE",
    "JSA": "JOBSEEKERS_ALLOWANCE",
}
BENEFIT_STATUSES = {"A": "ACTIVE", "S": "SUSPENDED", "C": "CLOSED", "P": "PENDING"}
TAX_BANDS = (
    (Decimal("0"), "1 nothing owed"),
    (Decimal("500"), "2 up to £500"),
    (Decimal("2000"), "3 £500 to £2,000"),
    (Decimal("10000"), "4 £2,000 to £10,000"),
)
TAX_TOP_BAND = "5 over £10,000"


@dataclass(frozen=True, slots=True)
class BenefitRow:
    """What statistics keep of one claim."""

    nino: str
    benefit: str
    status: str
    area: str | None
    start_month: str | None
    amount: Decimal


@dataclass(frozen=True, slots=True)
class TaxRow:
    """What statistics keep of one taxpayer."""

    nino: str
    band: str
    area: str | None
    balance: Decimal


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0.00")
    except InvalidOperation:
        return Decimal("0.00")


def _month(value: Any) -> str | None:
    if isinstance(value, datetime | date):
        return month_of(value)
    text = str(value or "").strip()
    if len(text) >= 7 and text[4] == "-":
        return text[:7]
    if len(text) == 8 and text.isdigit() and text != "00000000":
        return f"{text[:4]}-{text[4:6]}"
    return None


def benefit_row(key: str, record: dict[str, Any]) -> BenefitRow:
    """The statistics row of one benefits record."""
    code = str(record.get("BENEFIT_TYPE") or "").strip()
    status = str(record.get("CLAIM_STATUS") or "").strip()
    return BenefitRow(
        nino=key,
        benefit=BENEFIT_TYPES.get(code, "OTHER"),
        status=BENEFIT_STATUSES.get(status, "OTHER"),
        area=postcode_area(str(record.get("POSTCODE") or "")),
        start_month=_month(record.get("START_DATE")),
        amount=_decimal(record.get("AWARD_AMOUNT")),
    )


def tax_band(balance: Decimal) -> str:
    """The published band of a balance owed."""
    for upper, label in TAX_BANDS:
        if balance <= upper:
            return label
    return TAX_TOP_BAND


def tax_row(key: str, record: dict[str, Any]) -> TaxRow:
    """The statistics row of one taxpayer record."""
    account = record.get("Account") or {}
    address = record.get("Address") or {}
    balance = _decimal(account.get("Balance") if isinstance(account, dict) else None)
    postcode = address.get("PostCode") if isinstance(address, dict) else None
    return TaxRow(nino=key, band=tax_band(balance), area=postcode_area(postcode), balance=balance)


log = logging.getLogger("govgraph.statistics")

Row = TypeVar("Row")
Scan = Callable[[], AsyncIterator[list[tuple[str, dict[str, Any]]]]]


class ScanCache(Generic[Row]):
    """The rows of one full pass over a source, reused while its ``version`` is unchanged.

    With ``ttl_s`` the rows also expire. With ``refresh_ahead``, expired rows are still served
    while a new pass runs in the background, so no caller waits for it once a pass exists.
    """

    def __init__(
        self,
        to_row: Callable[[str, dict[str, Any]], Row],
        ttl_s: float | None,
        *,
        refresh_ahead: bool = False,
        on_page: Callable[[], None] | None = None,
    ) -> None:
        self._to_row = to_row
        self._ttl_s = ttl_s
        self._refresh_ahead = refresh_ahead
        self._on_page = on_page
        self._rows: list[Row] | None = None
        self._version: object = None
        self._taken = 0.0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.passes = 0
        """Full passes made so far."""
        self.pages = 0
        """Pages (upstream calls) read so far."""

    def _fresh(self, version: object) -> bool:
        if self._rows is None or version != self._version:
            return False
        return self._ttl_s is None or time.monotonic() - self._taken < self._ttl_s

    async def rows(self, scan: Scan, version: object = None) -> list[Row]:
        """The cached rows, or a new pass over ``scan()`` when stale."""
        if self._fresh(version) and self._rows is not None:
            return self._rows
        if self._refresh_ahead and self._rows is not None and version == self._version:
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._refresh(scan, version))
            return self._rows
        async with self._lock:
            if self._fresh(version) and self._rows is not None:
                return self._rows
            return await self._pass(scan, version)

    async def _pass(self, scan: Scan, version: object) -> list[Row]:
        rows: list[Row] = []
        async for page in scan():
            self.pages += 1
            if self._on_page is not None:
                self._on_page()
            rows.extend(self._to_row(key, record) for key, record in page)
        self._rows, self._version, self._taken = rows, version, time.monotonic()
        self.passes += 1
        return rows

    async def _refresh(self, scan: Scan, version: object) -> None:
        async with self._lock:
            try:
                await self._pass(scan, version)
            except Exception as exc:
                log.warning("statistics: a background pass failed (%s)", type(exc).__name__)

    async def aclose(self) -> None:
        """Stop a background pass, if one is running."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

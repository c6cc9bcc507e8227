"""JSON lines for decoded records: ``Decimal`` as JSON numbers (never floats), dates as ISO."""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal
from typing import Any

__all__ = ["to_json"]


def to_json(value: Any) -> str:
    """One compact JSON text; money keeps every digit."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "null"
    if isinstance(value, date):
        return f'"{value.isoformat()}"'
    if isinstance(value, dict):
        items = ",".join(f"{json.dumps(str(k))}:{to_json(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return json.dumps(str(value))

"""Per-field converters: the decoder and encoder of one elementary item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from legacy_connectors.flatfile.codec.codepages import CodePage, code_page
from legacy_connectors.flatfile.codec.dates import date_converter, date_to_number
from legacy_connectors.flatfile.codec.edited import format_edited, parse_edited
from legacy_connectors.flatfile.codec.hfp import float_to_hfp, hfp_to_float
from legacy_connectors.flatfile.codec.numeric import (
    Decoder,
    binary_decoder,
    encode_binary,
    encode_packed,
    encode_zoned,
    packed_decoder,
    unscaled,
    zoned_decoder,
)
from legacy_connectors.flatfile.codec.options import DecodeOptions, TrimPolicy
from legacy_connectors.flatfile.copybook.model import Field, Usage
from legacy_connectors.flatfile.errors import FieldDecodeError

__all__ = [
    "field_decoder",
    "field_encoder",
    "is_text",
    "raw_field_decoder",
    "text_decoder",
    "trim_text",
]

Encoder = Callable[[Any], bytes]
_TRUNCATED = "record ends inside the field"


def is_text(node: Field) -> bool:
    """True for an alphanumeric or alphabetic DISPLAY item."""
    return node.picture is not None and node.picture.category in ("alphanumeric", "alphabetic")


def trim_text(value: str, trim: TrimPolicy) -> str:
    """Apply a trim policy to decoded text."""
    if trim == "both":
        return value.strip()
    if trim == "right":
        return value.rstrip()
    if trim == "left":
        return value.lstrip()
    return value


def text_decoder(cp: CodePage, size: int, trim: TrimPolicy) -> Decoder:
    """Decoder for a text field: LOW-VALUES give ``None``, otherwise trimmed text."""
    nulls = bytes(size)
    codec = cp.codec

    def decode(rec: bytes, pos: int) -> Any:
        b = rec[pos : pos + size]
        if len(b) != size:
            raise FieldDecodeError(_TRUNCATED)
        if b == nulls:
            return None
        return trim_text(b.decode(codec, "replace"), trim)

    return decode


def _float_decoder(size: int) -> Decoder:
    def decode(rec: bytes, pos: int) -> Any:
        b = rec[pos : pos + size]
        if len(b) != size:
            raise FieldDecodeError(_TRUNCATED)
        return hfp_to_float(b)

    return decode


def _edited_decoder(node: Field, cp: CodePage) -> Decoder:
    assert node.picture is not None
    size, picture, codec = node.size, node.picture, cp.codec

    def decode(rec: bytes, pos: int) -> Any:
        b = rec[pos : pos + size]
        if len(b) != size:
            raise FieldDecodeError(_TRUNCATED)
        return parse_edited(b.decode(codec, "replace"), picture)

    return decode


def _raw_decoder(node: Field, cp: CodePage, options: DecodeOptions) -> Decoder:
    usage = node.usage or Usage.DISPLAY
    if usage in (Usage.FLOAT, Usage.DOUBLE):
        return _float_decoder(node.size)
    pic = node.picture
    assert pic is not None
    if pic.category in ("alphanumeric", "alphabetic"):
        return text_decoder(cp, node.size, options.trim)
    if pic.category == "edited":
        return _edited_decoder(node, cp)
    decimal = pic.is_decimal
    if usage is Usage.DISPLAY:
        return zoned_decoder(
            cp,
            node.size,
            pic.scale,
            pic.signed,
            bool(node.sign_leading),
            node.sign_separate,
            decimal,
        )
    if usage is Usage.PACKED:
        return packed_decoder(node.size, pic.scale, pic.signed, decimal)
    return binary_decoder(node.size, pic.scale, pic.signed, decimal, _order(usage, options))


def _order(usage: Usage, options: DecodeOptions) -> str:
    if usage is Usage.BINARY_LE:
        return "little"
    if usage is Usage.NATIVE_BINARY:
        return options.comp5_endian
    return "big"


def raw_field_decoder(node: Field, options: DecodeOptions) -> Decoder:
    """``(record, offset) -> value`` for an elementary item, before any date conversion."""
    return _raw_decoder(node, code_page(options.encoding), options)


def field_decoder(node: Field, options: DecodeOptions) -> Decoder:
    """``(record, offset) -> value`` for an elementary item, with date conversion if set."""
    raw = raw_field_decoder(node, options)
    fmt = options.date_format(node.name)
    if fmt is None:
        return raw

    convert = date_converter(fmt)

    def decode_date(rec: bytes, pos: int) -> Any:
        return convert(raw(rec, pos))

    return decode_date


def field_encoder(node: Field, options: DecodeOptions) -> Encoder:
    """``value -> bytes`` for an elementary item; ``None`` writes LOW-VALUES."""
    cp = code_page(options.encoding)
    usage = node.usage or Usage.DISPLAY
    size = node.size
    fmt = options.date_format(node.name)
    pic = node.picture

    def encode(value: Any) -> bytes:
        if value is None and fmt is None:
            return bytes(size)
        if fmt is not None:
            if value is not None and not isinstance(value, date):
                raise ValueError(f"{node.name}: expected a date, got {type(value).__name__}")
            value = date_to_number(value, fmt)
            if pic is not None and pic.category != "numeric":
                value = str(value).rjust(size, "0") if value else " " * size
        if usage in (Usage.FLOAT, Usage.DOUBLE):
            return float_to_hfp(float(value), size)
        assert pic is not None
        if pic.category in ("alphanumeric", "alphabetic"):
            data = cp.encode(str(value))
            if len(data) > size:
                raise ValueError(f"{node.name}: {len(data)} characters do not fit in {size}")
            return data.ljust(size, bytes([cp.space]))
        if pic.category == "edited":
            return cp.encode(format_edited(value, pic))
        if isinstance(value, float):
            value = Decimal(repr(value))
        number = unscaled(value, pic.scale, node.name)
        if usage is Usage.DISPLAY:
            return encode_zoned(
                cp, number, size, pic.signed, bool(node.sign_leading), node.sign_separate
            )
        if usage is Usage.PACKED:
            return encode_packed(number, size, pic.signed)
        return encode_binary(number, size, pic.signed, _order(usage, options))

    return encode

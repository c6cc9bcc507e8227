"""IBM hexadecimal floating point (COMP-1 short, COMP-2 long) to and from Python floats."""

from __future__ import annotations

import math

__all__ = ["float_to_hfp", "hfp_to_float"]


def hfp_to_float(data: bytes) -> float:
    """Decode a 4- or 8-byte IBM HFP number: sign, 7-bit excess-64 base-16 exponent, fraction."""
    bits = len(data) * 8
    n = int.from_bytes(data, "big")
    frac_bits = bits - 8
    frac = n & ((1 << frac_bits) - 1)
    negative = n >> (bits - 1)
    if frac == 0:
        return -0.0 if negative else 0.0
    exponent = (n >> frac_bits) & 0x7F
    value = math.ldexp(frac, 4 * (exponent - 64) - frac_bits)
    return -value if negative else value


def float_to_hfp(value: float, size: int) -> bytes:
    """Encode ``value`` as a normalised IBM HFP number of ``size`` (4 or 8) bytes."""
    frac_bits = size * 8 - 8
    if value == 0 or math.isnan(value):
        return (b"\x80" if math.copysign(1.0, value) < 0 else b"\x00") + bytes(size - 1)
    if math.isinf(value):
        raise ValueError("infinity cannot be stored in IBM floating point")
    negative = value < 0
    mantissa, exp2 = math.frexp(abs(value))
    exp16 = -(-exp2 // 4)
    fraction = math.ldexp(mantissa, exp2 - 4 * exp16)
    frac = round(math.ldexp(fraction, frac_bits))
    if frac >> frac_bits:
        frac >>= 4
        exp16 += 1
    biased = exp16 + 64
    if biased > 127:
        raise ValueError(f"{value!r} is too large for IBM floating point")
    if biased < 0:
        return bytes(size)
    word = (int(negative) << (size * 8 - 1)) | (biased << frac_bits) | frac
    return word.to_bytes(size, "big")

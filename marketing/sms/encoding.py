"""How long an SMS is, as the networks count it: GSM-7 when every character is in the
GSM 03.38 alphabet (160 characters in one segment, 153 per segment when split; the
extension characters take two), else UCS-2 (70, 67 when split; characters outside the
Basic Multilingual Plane, most emoji, take two)."""

from __future__ import annotations

from dataclasses import dataclass

_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENDED = "^{}\\[~]|€\f"
GSM7 = set(_BASIC)
GSM7_EXTENDED = set(_EXTENDED)


@dataclass(frozen=True)
class Length:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets or UTF-16 code units
    segments: int


def measure(text: str) -> Length:
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    if units == 0:
        return Length(encoding, 0, 0)
    segments = 1 if units <= single else -(-units // part)
    return Length(encoding, units, segments)

"""Web-ready images: each configured width as WebP, turned the way the camera meant
(EXIF orientation applied) and with every EXIF tag (location, camera) stripped."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError


class BadImage(ValueError):
    """Not an image Pillow can read."""


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    data: bytes


def inspect(data: bytes) -> tuple[int, int]:
    """(width, height) of an image as displayed; raises BadImage."""
    image = _open(data)
    return ImageOps.exif_transpose(image).size


def variants(data: bytes, widths: list[int], quality: int) -> list[Variant]:
    """One WebP per width (never wider than the original; one at its own width when it
    is smaller than all of them), EXIF applied, then dropped."""
    image = ImageOps.exif_transpose(_open(data))
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    targets = sorted({min(width, image.width) for width in widths}, reverse=True)
    made = []
    for width in targets:
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height), Image.LANCZOS)
        buffer = io.BytesIO()
        resized.save(buffer, "WEBP", quality=quality, method=4)  # no exif= : none is written
        made.append(Variant(width, height, buffer.getvalue()))
    return made


def social_jpeg(data: bytes, width: int = 1080, quality: int = 88) -> Variant:
    """One JPEG at most `width` wide (what Instagram and Facebook take: no WebP, no
    transparency), EXIF applied, then dropped."""
    image = ImageOps.exif_transpose(_open(data))
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))),
                             Image.LANCZOS)  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return Variant(image.width, image.height, buffer.getvalue())


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise BadImage(f"not a readable image: {exc}") from None
    return image

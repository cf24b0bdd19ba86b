"""Images another app publishes (a social post's picture): the kernel holds the hook,
ai_content fills it with its image assets, and the asking app imports neither."""

from __future__ import annotations

from collections.abc import Callable

Resolver = Callable[[int], str]
_resolver: list[Resolver] = []


class ImageUnavailable(Exception):
    """No such image, or not ready yet (the reason says which)."""


def register_image_resolver(resolver: Resolver) -> None:
    _resolver[:] = [resolver]


def public_image_url(image_id: int) -> str:
    """The public address of image `image_id` as a JPEG that social platforms take."""
    if not _resolver:
        raise ImageUnavailable("no image library is installed (the ai_content app)")
    return _resolver[0](image_id)

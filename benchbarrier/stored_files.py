"""Files a job writes under a name of its own (an export, an image's variants): written
again by a re-run job, they replace the first copy instead of leaving it behind under a
suffixed name (Django's storage never overwrites)."""

from __future__ import annotations

from django.core.files import File
from django.core.files.storage import default_storage


def save_replacing(name: str, content: File) -> str:
    default_storage.delete(name)
    return default_storage.save(name, content)

"""Make a VAPID key pair for web push and print it as the environment lines to set."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_pair() -> tuple[str, str]:
    """(public, private), base64url: the public key as browsers want it (an uncompressed
    P-256 point), the private one as its 32 raw bytes."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64(public), _b64(key.private_numbers().private_value.to_bytes(32, "big"))


class Command(BaseCommand):
    help = "Make a VAPID key pair for web push; set the printed lines in the environment."

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = new_pair()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}\nVAPID_PRIVATE_KEY={private}\n")
        self.stderr.write("Keep VAPID_PRIVATE_KEY secret; the site uses the public key.")

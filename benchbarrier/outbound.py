"""Outbound HTTP to addresses that users configure (webhook steps), guarded against
SSRF: the host is resolved once, every address it has must be public (unless the host
is explicitly allowed), and the connection goes to that checked address. There is no
second lookup that DNS rebinding could point at an internal service, and TLS is still
verified against the host's name."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Collection
from datetime import datetime
from urllib.parse import urlsplit

import urllib3


class BlockedAddress(ValueError):
    """The host resolves to a private, loopback or link-local address, or not at all."""


class OutboundError(Exception):
    """The other side answered with an error status."""


def checked_address(host: str, allowed_hosts: Collection[str]) -> str:
    """The address to connect to for `host`; raises BlockedAddress."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise BlockedAddress(f"cannot resolve {host}: {exc}") from None
    addresses = [info[4][0] for info in infos]
    if host not in allowed_hosts:
        for address in addresses:
            if not ipaddress.ip_address(address).is_global:
                raise BlockedAddress(
                    f"{host} is a private or local address ({address}); allow it in "
                    "the setting of allowed hosts (WORKFLOW_WEBHOOK_ALLOWED_HOSTS, "
                    "PUSH_ALLOWED_HOSTS) if you mean it"
                )
    return addresses[0]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The project's signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def signed_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    """JSON headers signed the project's way: X-Timestamp (Unix seconds), X-Signature."""
    timestamp = str(int(now.timestamp()))
    return {"Content-Type": "application/json", "X-Timestamp": timestamp,
            "X-Signature": signature(secret, timestamp, body)}  # fmt: skip


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allowed_hosts: Collection[str] = (),
    timeout: tuple[float, float] = (3, 5),
    raise_for_status: bool = True,
) -> int:
    """POST `body` to `url` without following redirects; returns the status, raises
    OutboundError for 4xx/5xx (unless `raise_for_status` is False) and BlockedAddress
    before connecting anywhere it must not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    address = checked_address(host, allowed_hosts)
    secure = parts.scheme == "https"
    options = {
        "port": parts.port or (443 if secure else 80),
        "timeout": urllib3.Timeout(connect=timeout[0], read=timeout[1]),
        "retries": False,
    }
    if secure:
        pool = urllib3.HTTPSConnectionPool(
            address, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED",
            **options,
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(address, **options)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with pool:
        response = pool.urlopen(
            "POST", target, body=body, headers={**headers, "Host": parts.netloc.rsplit("@")[-1]},
            redirect=False,
        )  # fmt: skip
    if response.status >= 400 and raise_for_status:
        raise OutboundError(f"{url} answered {response.status}")
    return response.status

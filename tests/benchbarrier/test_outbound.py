"""SSRF-guarded outbound POSTs, against a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from benchbarrier.outbound import BlockedAddress, OutboundError, checked_address, post


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, bytes]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.seen.append((self.path, self.headers["Host"], body))
        code = {"/missing": 404, "/moved": 302}.get(self.path.split("?")[0], 200)
        self.send_response(code)
        if code == 302:
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server() -> Iterator[int]:
    _Handler.seen = []
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_port
    httpd.shutdown()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "169.254.169.254", "10.0.0.8"])
def test_private_and_local_addresses_are_refused(host):
    with pytest.raises(BlockedAddress, match="private or local address"):
        checked_address(host, allowed_hosts=())


def test_an_unresolvable_host_is_refused():
    with pytest.raises(BlockedAddress, match="cannot resolve"):
        checked_address("no-such-host.invalid", allowed_hosts=())


def test_an_allowed_host_is_called_at_the_address_that_was_checked(server):
    url = f"http://localhost:{server}/hook?x=1"
    with pytest.raises(BlockedAddress):
        post(url, b"{}", {})
    assert _Handler.seen == [], "refused before connecting"
    assert post(url, b'{"a": 1}', {"X-Test": "1"}, allowed_hosts=["localhost"]) == 200
    assert _Handler.seen == [("/hook?x=1", f"localhost:{server}", b'{"a": 1}')]


def test_errors_raise_and_redirects_are_not_followed(server):
    allowed = ["127.0.0.1"]
    with pytest.raises(OutboundError, match="answered 404"):
        post(f"http://127.0.0.1:{server}/missing", b"", {}, allowed_hosts=allowed)
    assert post(f"http://127.0.0.1:{server}/moved", b"", {}, allowed_hosts=allowed) == 302
    assert [path for path, _, _ in _Handler.seen] == ["/missing", "/moved"]

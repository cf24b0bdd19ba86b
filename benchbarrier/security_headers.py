"""The Content-Security-Policy every page the project serves carries (django-csp): scripts
only from this site or inline with the response's nonce (`{{ request.csp_nonce }}`), no
plugins, no framing, forms posting only here. Styles may be inline (the admin's charts and
layouts use `style=`); images may come from any https address (email previews show the
shop's product pictures). Nosniff, Referrer-Policy and HSTS come from Django's
SecurityMiddleware (settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from csp.constants import NONCE, NONE, SELF
from csp.decorators import csp_replace
from django.views.decorators.clickjacking import xframe_options_sameorigin

View = TypeVar("View", bound=Callable)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "https:"],
        "connect-src": [SELF],
        "font-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}


def frameable_here(view: View) -> View:
    """A page the admin shows in an iframe of its own (a live preview): framing by this
    site only, in both the old header and the policy."""
    return xframe_options_sameorigin(csp_replace({"frame-ancestors": [SELF]})(view))

"""Who a web visitor is, as the shop's site vouches: the site signs the signed-in user's id
with CHATBOT_USER_SECRET, `hex(HMAC-SHA256(secret, "<userId>.<expires>"))` with `expires`
in Unix seconds, and the widget passes `userId`, `userExpires` and `userSignature`. Only a
vouched-for id counts as the customer (their orders described without asking for the
email on them): the widget's key is public, so anyone could claim an id unsigned."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from benchbarrier import clock


class NotVouched(ValueError):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def signature(user_id: str, expires: int, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.CHATBOT_USER_SECRET).encode()
    return hmac.new(key, f"{user_id}.{expires}".encode(), hashlib.sha256).hexdigest()


def vouched(user_id: str, expires: int | None, given: str) -> bool:
    """Whether the site signed this id (False without a signature: the id is kept, not
    trusted); raises NotVouched for a signature that is wrong, expired or uncheckable."""
    if not given:
        return False
    if not user_id:
        raise NotVouched("userId", "a signature needs the userId it signs")
    if not settings.CHATBOT_USER_SECRET:
        raise NotVouched("userSignature", "CHATBOT_USER_SECRET is not set on the back office")
    if expires is None or expires < clock.now().timestamp():
        raise NotVouched("userExpires", "missing or past: sign the id again")
    if not hmac.compare_digest(given, signature(user_id, expires)):
        raise NotVouched("userSignature", "does not match userId and userExpires")
    return True

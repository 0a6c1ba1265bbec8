"""Request verification exactly as ``ApiServer.verifyRequest`` does it.

Every parameter except ``signature`` is taken with its first value, sorted by raw name
(Python's ``sorted`` on ``str`` equals Java's ``Collections.sort`` for these names), each value
encoded like ``java.net.URLEncoder`` with ``+`` turned into ``%20``, joined with ``&``, the whole
string lowercased, then HMAC-SHA1 with the secret and standard Base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

# java.net.URLEncoder leaves exactly these bytes alone; space becomes '+' (then '%20').
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_")


def java_urlencode(value: str) -> str:
    """URLEncoder.encode(value, "UTF-8").replace("+", "%20"): note '~' becomes %7E."""
    out: list[str] = []
    for byte in value.encode("utf-8"):
        if byte in _SAFE:
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def string_to_sign(params: Mapping[str, str]) -> str:
    pairs = [
        f"{name}={java_urlencode(params[name])}"
        for name in sorted(params)
        if name.lower() != "signature"
    ]
    return "&".join(pairs).lower()


def compute_signature(params: Mapping[str, str], secret: str) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), string_to_sign(params).encode("utf-8"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def parse_expires(value: str) -> datetime | None:
    """The formats DateUtil.parseTZDateString accepts; None when unparseable."""
    text = value.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%SZ%z"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def verify(params: Mapping[str, str], lookup_secret: Mapping[str, str], now: datetime) -> bool:
    """True when the request is signed by a known key and, for v3, has not expired.

    ``params`` maps raw names to first values. ``now`` is real wall-clock time: clients compute
    ``expires`` from their own clock, so the simulated clock must not be used here.
    """
    lowered = {name.lower(): value for name, value in params.items()}
    signature = lowered.get("signature")
    api_key = lowered.get("apikey")
    if not signature or not api_key:
        return False
    secret = lookup_secret.get(api_key)
    if secret is None:
        return False
    if lowered.get("signatureversion") == "3":
        expires_raw = lowered.get("expires")
        if not expires_raw:
            return False
        expires = parse_expires(expires_raw)
        if expires is None or expires < now.astimezone(UTC):
            return False
    expected = compute_signature(params, secret)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))

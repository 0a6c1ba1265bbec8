"""A tiny request signer for the simulator tests (independent of atlas_tui.cloud and sim)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode


def java_quote(value: str) -> str:
    # quote() keeps A-Z a-z 0-9 _ . - ~ and our '*'; Java's URLEncoder encodes '~'.
    return quote(value, safe="*").replace("~", "%7E")


def sign(params: dict[str, str], secret: str, encoder=java_quote) -> str:
    text = "&".join(f"{k}={encoder(params[k])}" for k in sorted(params)).lower()
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_query(
    command: str,
    key: str,
    secret: str,
    expires_in: float | None = 600,
    encoder=java_quote,
    **params: Any,
) -> str:
    p = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
    p.update({"command": command, "apikey": key, "response": "json"})
    if expires_in is not None:
        p["signatureversion"] = "3"
        p["expires"] = (datetime.now(UTC) + timedelta(seconds=expires_in)).strftime(
            "%Y-%m-%dT%H:%M:%S+0000"
        )
    p["signature"] = sign(p, secret, encoder)
    return urlencode(p, quote_via=quote)

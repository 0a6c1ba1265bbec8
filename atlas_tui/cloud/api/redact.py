"""Credentials never leave in a message, a log line or a journal.

An endpoint may carry credentials of its own: `https://user:pass@host/client/api` (basic
auth for a proxy in front of the API) or `...?token=...`; a failed request's text may quote
the URL it asked for, with `apikey=` and `signature=` in its query. Everything the app shows
or writes that may hold such a URL goes through `redact_text` (or `redact_url` for a URL
on its own): the user info and the values of secret-looking parameters become `***`, and
the rest stays readable, so the operator still sees which host and path failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# A parameter or field whose name contains one of these holds a secret.
SECRET_HINTS = ("secret", "password", "passwd", "signature", "apikey", "api_key", "token",
                "credential", "sessionkey", "userdata", "auth")
# Short names that would match too much as substrings ("key" is in "monkey").
SECRET_NAMES = frozenset({"key", "pass", "pwd", "sig", "session", "jsessionid"})

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()\[\]{}]+")
_PARAM = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_.-]*)=([^&\s'\"<>;,)\]}]+)")


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_NAMES or any(hint in lowered for hint in SECRET_HINTS)


def _redact_params(query: str) -> str:
    def mask(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"{name}={MASK}" if is_secret_name(name) else match.group(0)

    return _PARAM.sub(mask, query)


def redact_url(url: str) -> str:
    """The URL with its user info and secret query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparseable URL (bad IPv6 literal...): mask what looks secret
        return _redact_params(re.sub(r"//[^/@\s]*@", f"//{MASK}@", url))
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    return urlunsplit((parts.scheme, netloc, parts.path, _redact_params(parts.query),
                       _redact_params(parts.fragment)))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Any text with the credentials in it masked: URLs, `name=value` pairs whose name
    says secret, and the literal values in `secrets` (a profile's keys, say)."""
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    text = _redact_params(text)
    for secret in secrets:
        if secret and len(secret) >= 4:  # masking "ab" everywhere would mangle the text
            text = text.replace(secret, MASK)
    return text

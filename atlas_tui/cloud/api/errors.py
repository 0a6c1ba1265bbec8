"""One typed error for every way an API call can fail.

The UI shows `CloudError.user_message()` and nothing else, so every failure (server
error, failed job, throttling, network, TLS, timeout) reads the same way and never
becomes a traceback. Messages carry the server's own text; they never carry a secret.
"""

from __future__ import annotations

import re
from enum import StrEnum

from atlas_tui.cloud.api.redact import redact_text
from atlas_tui.cloud.api.text import clean_text


class ErrorKind(StrEnum):
    AUTH = "auth"  # 401: wrong keys, expired signature, command not allowed
    PARAM = "param"  # 430/431: bad or missing parameter
    UNSUPPORTED = "unsupported"  # 432
    THROTTLED = "throttled"  # 429
    SERVER = "server"  # 530 and the other 5xx codes
    PERMISSION = "permission"  # 531
    LIMIT = "limit"  # 532, 535: account limits
    JOB_FAILED = "job"  # an async job ended with jobstatus=2
    TRANSPORT = "transport"  # connection refused, reset, DNS
    TIMEOUT = "timeout"  # no whole answer within the request's deadline
    UNAVAILABLE = "unavailable"  # 502/503/504: a proxy or the server is down or restarting
    TLS = "tls"
    PROTOCOL = "protocol"  # the endpoint does not answer like CloudStack
    MALFORMED = "malformed"  # an answer without the shape its command promises
    READ_ONLY = "read-only"  # refused locally: the app is read-only
    UNKNOWN_OUTCOME = "unknown-outcome"  # a write whose answer was lost

_KIND_BY_CODE = {
    401: ErrorKind.AUTH,
    405: ErrorKind.PARAM,
    411: ErrorKind.AUTH,
    429: ErrorKind.THROTTLED,
    430: ErrorKind.PARAM,
    431: ErrorKind.PARAM,
    432: ErrorKind.UNSUPPORTED,
    531: ErrorKind.PERMISSION,
    532: ErrorKind.LIMIT,
    535: ErrorKind.LIMIT,
}

_RETRY_AFTER = re.compile(r"retry after \[?(\d+)\]? ms", re.IGNORECASE)  # older: no []


def kind_for_code(code: int) -> ErrorKind:
    if code in _KIND_BY_CODE:
        return _KIND_BY_CODE[code]
    if code >= 500:
        return ErrorKind.SERVER
    return ErrorKind.PARAM


class CloudError(Exception):
    """An API call failed. `code` is CloudStack's errorcode (= the HTTP status) when
    the server answered; None for failures that never reached an answer. `http_status` is
    the HTTP status of the answer, when there was one (a proxy's 502 has no errorcode)."""

    def __init__(
        self,
        command: str,
        text: str,
        *,
        kind: ErrorKind,
        code: int | None = None,
        cs_code: int | None = None,
        jobid: str | None = None,
        http_status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        # Exception and header texts did not pass the JSON boundary; a transport error may
        # quote the URL, with the endpoint's user:pass@ or token, or the request's apikey.
        text = redact_text(clean_text(text))
        super().__init__(text)
        self.command = command
        self.text = text
        self.kind = kind
        self.code = code
        self.cs_code = cs_code
        self.jobid = jobid
        self.http_status = http_status
        self._retry_after_s = retry_after_s

    @property
    def retry_after_s(self) -> float | None:
        """The wait a 429 advertises: CloudStack's "please retry after [N] ms", or a
        proxy's Retry-After header."""
        match = _RETRY_AFTER.search(self.text)
        return int(match.group(1)) / 1000 if match else self._retry_after_s

    @property
    def transient(self) -> bool:
        """Worth retrying a read for: throttling, server trouble, the network."""
        if self.kind in (ErrorKind.THROTTLED, ErrorKind.TRANSPORT, ErrorKind.TIMEOUT,
                         ErrorKind.UNAVAILABLE):
            return True
        return self.kind is ErrorKind.SERVER and self.code not in (None, 536, 537)

    def user_message(self) -> str:
        prefix = {
            ErrorKind.AUTH: "The API refused the keys",
            ErrorKind.THROTTLED: "The API is throttling this account",
            ErrorKind.TRANSPORT: "Cannot reach the API",
            ErrorKind.TIMEOUT: "The API did not answer in time",
            ErrorKind.UNAVAILABLE: "The API is unavailable",
            ErrorKind.TLS: "TLS error talking to the API",
            ErrorKind.PROTOCOL: "The endpoint does not answer like a CloudStack API",
            ErrorKind.MALFORMED: f"The answer to {self.command} was not understood",
            ErrorKind.JOB_FAILED: f"{self.command} failed",
            ErrorKind.READ_ONLY: "Read-only mode",
            ErrorKind.UNKNOWN_OUTCOME: f"{self.command}: the answer was lost",
        }.get(self.kind, f"{self.command} was refused")
        if self.kind is ErrorKind.UNAVAILABLE:
            code = f" (HTTP {self.http_status or self.code})"
        else:
            code = f" ({self.code})" if self.code else ""
        return f"{prefix}{code}: {self.text}"

    def __str__(self) -> str:
        return self.user_message()


class ReadOnlyError(CloudError):
    def __init__(self, command: str) -> None:
        super().__init__(
            command,
            f"{command} changes the cloud, and this session is read-only (--read-only).",
            kind=ErrorKind.READ_ONLY,
        )

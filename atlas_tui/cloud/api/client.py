"""The async API client: one `cs.AIOCloudStack` session, typed results, one error type.

- Lists page at 500; once `count` is known the remaining pages are fetched concurrently.
- Every request has a total deadline (connect plus the whole answer, the profile's
  `timeout`), so a server that drips one byte every few seconds cannot hold a call open
  for ever, and a size cap (`MAX_ANSWER_BYTES`): a bigger answer is an error, not read.
- The HTTP status is looked at before the body: a 502/503/504 is "the API is unavailable"
  whatever the body (a proxy's HTML page), a bare 429 is throttling; neither means "wrong URL".
- Reads retry with backoff on 429 (waiting what the server advertises), 5xx and network
  errors. Writes are never retried blindly: only a 429, which the server rejects before
  doing any work, is retried; a write whose answer was lost is reported as such.
- Every mutating call passes `_write`, the one gate: read-only mode and the audit hook.
- The server's clock comes from the HTTP `Date` header when there is one, so ages ("3 hours
  ago") are measured against server time. The management server itself sends none (only a
  proxy in front adds one): then times are this computer's, and `server_clock_known` says so.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json as json_module
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import GenericAlias
from typing import Any
from urllib.parse import quote

import aiohttp
import msgspec
from cs import AIOCloudStack, CloudStackApiException, CloudStackException
from cs.client import unwrap_response

from atlas_tui.cloud import turns
from atlas_tui.cloud.api.config import Profile
from atlas_tui.cloud.api.errors import CloudError, ErrorKind, ReadOnlyError, kind_for_code
from atlas_tui.cloud.api.models import (
    AsyncJob,
    Capabilities,
    DiskOffering,
    JobStarted,
    OsType,
    Raw,
    ServiceOffering,
    Snapshot,
    SnapshotPolicy,
    Template,
    VirtualMachine,
    VMSnapshot,
    Volume,
    Zone,
    _check,
    malformed,
    parse_items,
)
from atlas_tui.cloud.api.text import clean_json_text

PAGE_SIZE = 500
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a page of 500 items is well under 1 MiB
# An answer this big takes its turn to be cleaned and decoded (cloud/turns.py): a page of
# 500 volumes is ~400 KB, ~5 ms.
HEAVY_ANSWER_BYTES = 64 * 1024
# Statuses that say the API is not there right now (a proxy's gateway error, maintenance):
# worth retrying a read for, whatever the body looks like.
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
MAX_TIMEOUT_ATTEMPTS = 2  # a read that timed out is tried once more, not `attempts` times
# A list longer than this is not an answer to believe: the largest Atlas accounts list
# ~300,000 snapshots, and a count of 10**9 would have the client page for hours.
MAX_COUNT = 1_000_000
# Pages asked beyond what the first `count` needs, for a list that grows while it is read.
EXTRA_PAGES = 2

# Called after every mutating call: (command, params, outcome, jobid or None).
AuditHook = Callable[[str, dict[str, Any], str, str | None], None]


def java_url_encode(value: str) -> str:
    """java.net.URLEncoder.encode(v, "UTF-8") with `+` as `%20`, as the server signs.

    Python's quote() leaves `~` alone; Java encodes it, so a value with `~` signed the
    Python way fails against a real server (cs 5.2.0 has exactly that bug)."""
    return quote(value, safe="*").replace("~", "%7E")


def sign(params: dict[str, str], secret: str) -> str:
    """The signature a CloudStack server expects for these parameters."""
    query = "&".join(f"{k}={java_url_encode(v)}" for k, v in sorted(params.items()))
    digest = hmac.new(secret.encode(), query.lower().encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class ServerClock:
    """The server's time as last seen in a response's Date header."""

    server_date: datetime | None = None
    local_at_date: datetime | None = None

    def now(self) -> datetime:
        local = datetime.now(UTC)
        if self.server_date is None or self.local_at_date is None:
            return local
        return local + (self.server_date - self.local_at_date)

    @property
    def known(self) -> bool:
        """A Date header was seen; without one, `now()` is this computer's clock."""
        return self.server_date is not None


# Set (per task) by `pages(..., as_type=...)`: the decoder of that list's answers, straight
# into compact typed items. Unset, an answer decodes to plain dicts and lists.
_PAGE_DECODER: ContextVar[msgspec.json.Decoder[Any] | None] = ContextVar(
    "_PAGE_DECODER", default=None)


# Set (per page read) by `pages(..., known=...)`: the answer's digest is noted there, and an
# answer whose digest the caller knows is not cleaned nor decoded at all.
_PAGE_DIGEST: ContextVar[_DigestSlot | None] = ContextVar("_PAGE_DIGEST", default=None)

# What a caller knows of a page it has read before, by digest: (its items, its count).
KnownPages = Callable[[bytes], "tuple[int, int | None] | None"]


class _DigestSlot:
    __slots__ = ("digest", "known")

    def __init__(self, known: KnownPages) -> None:
        self.known = known
        self.digest: bytes | None = None


def page_digest(body: bytes, charset: str | None) -> bytes:
    """What identifies an answer's bytes: the same bytes in the same charset clean and
    decode to the same items, every time."""
    named = (charset or "").encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(len(named).to_bytes(4, "big") + named, digest_size=16)
    digest.update(body)
    return digest.digest()


class _KnownAnswer(dict[str, Any]):
    """An answer the caller has read before, byte for byte: neither cleaned nor decoded."""

    def __init__(self, digest: bytes, length: int, count: int | None) -> None:
        super().__init__()
        self.digest, self.length, self.count = digest, length, count


class KnownPage(list[Any]):
    """A page `pages(known=...)` yields in place of items the caller already has: `digest`
    names them; `length` is how many. Empty as a list: nothing was decoded."""

    def __init__(self, digest: bytes, length: int) -> None:
        super().__init__()
        self.digest, self.length = digest, length


class DigestedPage(list[Any]):
    """A page of items `pages(known=...)` decoded, with the `digest` of its answer and the
    `answer_count` it gave: what the caller keeps to know the page again."""

    def __init__(self, items: list[Any], digest: bytes, answer_count: int | None) -> None:
        super().__init__(items)
        self.digest, self.answer_count = digest, answer_count


@dataclass
class PageMemo:
    """The pages of one list a walk read, by the digest of their answer, with what was made
    of them (and the answer's count): the next walk takes a page that answers byte for byte
    as one of `previous` without cleaning, decoding or parsing it (`pages(known=...)`)."""

    previous: Mapping[bytes, tuple[list[Any], int | None]] = field(default_factory=dict)
    now: dict[bytes, tuple[list[Any], int | None]] = field(default_factory=dict)

    def known(self, digest: bytes) -> tuple[int, int | None] | None:
        seen = self.previous.get(digest)
        return None if seen is None else (len(seen[0]), seen[1])


def _page_length(items: list[Any]) -> int:
    return items.length if isinstance(items, KnownPage) else len(items)


class _TypedPage(dict[str, Any]):
    """A list answer decoded straight into typed items (`as_type`): `count` and the list
    under its key, both checked by the decoder. A dict, so `_once` takes it like any answer."""


def _page_decoder(key: str, item_type: type[Any]) -> msgspec.json.Decoder[Any]:
    """A decoder for `{"listxresponse": {"count": N, key: [item, ...]}}` into `item_type`.
    Strict: anything else (numbers as strings, an error object, a null item) fails it, and
    the answer is then decoded and judged the ordinary way."""
    page = msgspec.defstruct(
        f"_{key}_page",
        [("count", int | None, None), (key, list[item_type] | None, None),  # type: ignore[valid-type]
         ("errortext", Any, None), ("errorcode", Any, None)],
        gc=False,
    )
    return msgspec.json.Decoder(GenericAlias(dict, (str, page)))  # dict[str, page]


def _typed_page(decoder: msgspec.json.Decoder[Any], text: str) -> _TypedPage | None:
    """The answer as a `_TypedPage`, or None when it is not a plain list answer."""
    try:
        answer = decoder.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if len(answer) != 1:
        return None
    [inner] = answer.values()
    if inner.errortext is not None or inner.errorcode is not None:
        return None
    return _TypedPage((f, getattr(inner, f)) for f in inner.__struct_fields__[:2])


def _loads(text: str) -> Any:
    """JSON text decoded: msgspec (twice as fast), or the standard library for what msgspec
    refuses and json accepts (NaN, 1e400), so that nothing that read before fails now."""
    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return json_module.loads(text)


class _Refused(Exception):
    """An answer judged before it was decoded: too large, a gateway error, a bare 429.
    `_once` turns it into a CloudError naming the command."""

    def __init__(self, text: str, *, kind: ErrorKind, status: int, code: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.kind = kind
        self.status = status
        self.code = code
        self.retry_after_s = retry_after_s


class _NotUnderstood(Exception):
    """A 200 answer whose body does not decode: `_once` names the command."""


PARSE_CHUNK = 500  # items parsed per turn by `_parse_in_turns` (~2 ms of policies)


async def _parse_in_turns(model: type[Any], raw: list[Raw], command: str,
                          key: str) -> list[Any]:
    """`parse_items(model, raw, ...)`, `PARSE_CHUNK` items per turn (cloud/turns.py): the
    account's policies come as one list (3,000 at 10,000 instances: ~11 ms; 9,000 at
    30,000), which parsed in one piece held the event loop that long."""
    out: list[Any] = []
    for at in range(0, len(raw), PARSE_CHUNK):
        async with turns.turn():
            try:
                out += parse_items(model, raw[at:at + PARSE_CHUNK], command, key)
            except CloudError:
                # The error names the item by its place in the chunk: parse the whole list
                # for the one that names it by its place in the answer.
                parse_items(model, raw, command, key)
                raise
    return out


class _Transport(AIOCloudStack):
    """cs.AIOCloudStack with Java-exact signing, a look at each response's Date, and an
    answer read with a size cap and judged by its status before its body."""

    clock: ServerClock
    max_bytes: int = MAX_ANSWER_BYTES

    def _sign(self, data: dict[str, str]) -> None:
        if self.secret:
            data["signature"] = sign(data, self.secret)

    def _see_date(self, response: Any) -> None:
        date = response.headers.get("Date")
        if date:
            try:
                self.clock.server_date = parsedate_to_datetime(date)
                self.clock.local_at_date = datetime.now(UTC)
            except (TypeError, ValueError):
                pass

    async def _response_value(self, response: Any, json: bool = True) -> Any:
        self._see_date(response)
        try:
            body = await _read_capped(response, self.max_bytes)
        except BaseException:
            response.close()  # a half-read answer: the connection cannot be reused
            raise
        if len(body) < HEAVY_ANSWER_BYTES:
            return self._value_of(response, body, json)
        async with turns.turn():  # ~10 ms for 500 instances: one such answer per loop pass
            return self._value_of(response, body, json)

    def _value_of(self, response: Any, body: bytes, json: bool) -> Any:
        """The answer's value (or the exception that judges it), from its whole body."""
        status = response.status
        slot = _PAGE_DIGEST.get()
        if slot is not None and status == 200 and json:
            slot.digest = digest = page_digest(body, response.charset)
            known = slot.known(digest)
            # Only a page with items: an empty one costs nothing to read, and is judged by
            # where it comes (a first page with a count and no list is an error, a later
            # one the end of the list).
            if known is not None and known[0] > 0:
                return _KnownAnswer(digest, *known)
        # The text boundary: every string of the answer is made safe before it is decoded
        # (atlas_tui.cloud.api.text), so nothing built from it can carry a control sequence.
        text = clean_json_text(_decode(body, response.charset))
        if not json:
            if status != 200:
                raise CloudStackApiException(f"HTTP {status} response from CloudStack",
                                             error=text, response=response)
            return text
        decoder = _PAGE_DECODER.get()
        if decoder is not None and status == 200:
            typed = _typed_page(decoder, text)
            if typed is not None:
                return typed
        bad_json: ValueError | None = None
        try:
            data = _loads(text)
        except ValueError as e:
            data, bad_json = None, e
        # Status before body: CloudStack's own errors carry an errortext; a proxy's page,
        # a gateway's JSON or an empty body do not, and say nothing about the URL.
        error = _error_of(data)
        reason = f"HTTP {status} {response.reason or ''}".strip()
        if status in UNAVAILABLE_STATUSES:
            raise _Refused(str(error.get("errortext") or reason) if error else reason,
                           kind=ErrorKind.UNAVAILABLE, status=status,
                           code=_int(error.get("errorcode")) if error else None)
        if status == 429 and error is None:
            raise _Refused(reason, kind=ErrorKind.THROTTLED, status=status, code=429,
                           retry_after_s=_retry_after(response))
        if status >= 500 and error is None:
            raise _Refused(reason, kind=ErrorKind.SERVER, status=status, code=status)
        if bad_json is not None:
            if status == 200 and text.lstrip().startswith(("{", "[")):
                # JSON that does not read: cut short by a proxy, or corrupt. Not a wrong URL.
                raise _NotUnderstood(f"the JSON ends early or does not read ({bad_json})")
            raise CloudStackException(
                f"HTTP {status} response from CloudStack",
                f"{bad_json}. Make sure endpoint URL is correct.",
                response=response,
            )
        data = unwrap_response(data, response)
        if status != 200:
            raise CloudStackApiException(
                f"HTTP {status} response from CloudStack", error=data,
                response=response,
            )
        return data


async def _read_capped(response: Any, limit: int) -> bytes:
    """The whole body, refusing one larger than `limit` (declared or as it arrives)."""
    declared = response.content_length
    if declared is not None and declared > limit:
        raise _Refused(f"the answer is {declared} bytes, more than the {_mib(limit)} this "
                       "client reads", kind=ErrorKind.PROTOCOL, status=response.status)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise _Refused(f"the answer is larger than the {_mib(limit)} this client reads",
                           kind=ErrorKind.PROTOCOL, status=response.status)
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:g} MiB"


def _error_of(data: Any) -> dict[str, Any] | None:
    """The CloudStack error object of a decoded answer ({"xresponse": {"errortext"...}})."""
    if isinstance(data, dict) and len(data) == 1:
        [inner] = data.values()
        if isinstance(inner, dict) and "errortext" in inner:
            return inner
    return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _retry_after(response: Any) -> float | None:
    """Retry-After in seconds (the delta form; the date form is rare for APIs)."""
    value = getattr(response, "headers", {}).get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


@dataclass
class RetryPolicy:
    attempts: int = 5  # first try included
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0

    def delay(self, attempt: int, advertised: float | None) -> float:
        if advertised is not None:
            return min(advertised + 0.05, self.max_delay_s)
        backoff = self.base_delay_s * 2 ** (attempt - 1)
        return min(backoff * (0.75 + random.random() / 2), self.max_delay_s)


class CloudClient:
    """All API access for one profile. Use as `async with CloudClient(profile) as c:`."""

    def __init__(
        self,
        profile: Profile,
        *,
        read_only: bool = False,
        page_size: int = PAGE_SIZE,
        concurrency: int = 6,
        retry: RetryPolicy | None = None,
        audit: AuditHook | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.profile = profile
        self.read_only = read_only
        # Calls that may have changed the cloud (sent, whatever came back): a screen held
        # under another one reloads when it comes back only if this moved meanwhile.
        self.writes = 0
        self.page_size = page_size
        self.retry = retry or RetryPolicy()
        self.audit = audit
        self.calls: Counter[str] = Counter()
        self._concurrency = concurrency
        self._limit = asyncio.Semaphore(concurrency)
        self.clock = ServerClock()
        # The total deadline of one request: connect, send, and the whole answer.
        self.deadline_s = float(profile.timeout_s)
        # Reads go as GET, writes as POST: aiohttp silently resends an idempotent (GET)
        # request once when a kept-alive connection drops, which for a write would be a
        # blind retry. POST is also what servers enforcing POST for writes require.
        self._reader = self._transport("get")
        self._writer = self._transport("post")
        self._reader.max_bytes = self._writer.max_bytes = max_answer_bytes
        self._session: aiohttp.ClientSession | None = None

    def _transport(self, method: str) -> _Transport:
        t = _Transport(
            endpoint=self.profile.url,
            key=self.profile.api_key,
            secret=self.profile.secret_key,
            timeout=max(1, int(self.profile.timeout_s)),
            verify=self.profile.ca_bundle or self.profile.verify_tls,
            # cs ignores verify=False (it reads it as "not set"): this is its real switch.
            dangerous_no_tls_verify=not self.profile.verify_tls,
            method=method,
            retry=0,  # retries are ours, by kind of call
        )
        t.clock = self.clock
        return t

    async def __aenter__(self) -> CloudClient:
        # One session (one connection pool) shared by both transports.
        # Per-socket timeouts as a backstop; the total deadline is `_once`'s own.
        timeout = aiohttp.ClientTimeout(sock_connect=self.deadline_s, sock_read=self.deadline_s)
        # The system's CAs, no client certificate: aiohttp's own verified context, made as
        # it was imported. cs would build one more here, in the event loop: reading the CA
        # certificates took ~50 ms, the longest stall of a load (issue 13). A CA bundle or
        # no verification at all still goes through cs's `_ssl`.
        default_tls = (self.profile.verify_tls and not self.profile.ca_bundle
                       and not self._reader.cert)
        connector = aiohttp.TCPConnector(ssl=True if default_tls else self._reader._ssl)
        self._session = aiohttp.ClientSession(timeout=timeout, connector=connector)
        self._reader.session = self._writer.session = self._session
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- time -------------------------------------------------------------------------

    def server_now(self) -> datetime:
        """Now, on the server's clock (as last seen in a Date header)."""
        return self.clock.now()

    @property
    def server_clock_known(self) -> bool:
        """False when the server sends no Date header (CloudStack's own Jetty sends none):
        ages are then measured on this computer's clock and any skew is unknown."""
        return self.clock.known

    @property
    def server_offset(self) -> timedelta:
        return self.server_now() - datetime.now(UTC)

    # -- the wire ---------------------------------------------------------------------

    async def _once(self, command: str, params: dict[str, Any], *, write: bool = False,
                    deadline_s: float | None = None) -> Raw:
        """One request, within `deadline_s` (the profile's timeout unless shorter) from
        the moment it gets a connection slot to the last byte of its answer."""
        self.calls[command] += 1
        transport = self._writer if write else self._reader
        deadline = self.deadline_s if deadline_s is None else min(deadline_s, self.deadline_s)
        try:
            async with self._limit:
                async with asyncio.timeout(deadline):
                    result = await getattr(transport, command)(**params)
        except _Refused as e:
            raise CloudError(command, e.text, kind=e.kind, code=e.code, http_status=e.status,
                             retry_after_s=e.retry_after_s) from None
        except CloudStackApiException as e:
            error = e.error if isinstance(e.error, dict) else {}
            status = getattr(e.response, "status", None)
            code = _int(error.get("errorcode")) or status or 530
            text = str(error.get("errortext") or f"HTTP {status}")
            raise CloudError(
                command, text, kind=kind_for_code(code), code=code,
                cs_code=error.get("cserrorcode"), http_status=status,
                retry_after_s=_retry_after(e.response),
            ) from None
        except _NotUnderstood as e:
            raise malformed(command, str(e)) from None
        except CloudStackException as e:
            text = " ".join(str(a) for a in e.args if a)
            raise CloudError(command, text, kind=ErrorKind.PROTOCOL,
                             http_status=getattr(e.response, "status", None)) from None
        except (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError) as e:
            raise CloudError(command, _describe(e), kind=ErrorKind.TLS) from None
        except TimeoutError:  # ours (the total deadline) or aiohttp's per-socket ones
            raise CloudError(command, f"no whole answer within {deadline:.3g} s",
                             kind=ErrorKind.TIMEOUT) from None
        except aiohttp.ClientPayloadError as e:
            raise CloudError(command, _cut_off(e), kind=ErrorKind.TRANSPORT) from None
        except (aiohttp.ClientError, OSError) as e:
            raise CloudError(command, _describe(e), kind=ErrorKind.TRANSPORT) from None
        if not isinstance(result, dict):
            raise CloudError(command, "the answer was not a JSON object", kind=ErrorKind.PROTOCOL)
        return result

    async def read_once(self, command: str, *, deadline_s: float | None = None,
                        **params: Any) -> Raw:
        """One attempt at a read, no retry: for pollers that own their own backoff (and may
        want a deadline shorter than the profile's)."""
        return await self._once(command, params, deadline_s=deadline_s)

    async def _read(self, command: str, *, budget_s: float | None = None, **params: Any) -> Raw:
        """A read, retried while its error is transient. `budget_s` bounds the whole of it,
        retries and waits included (the first connection gives up after one deadline)."""
        loop = asyncio.get_running_loop()
        end = None if budget_s is None else loop.time() + budget_s
        attempt, timed_out = 1, 0
        while True:
            left = None if end is None else max(0.001, end - loop.time())
            try:
                return await self._once(command, params, deadline_s=left)
            except CloudError as e:
                if not e.transient or attempt >= self.retry.attempts:
                    raise
                if e.kind is ErrorKind.TIMEOUT:
                    # Each timed-out attempt already waited a whole deadline: one more try
                    # (a network hiccup), not four, or a stalled server holds a screen for
                    # minutes.
                    timed_out += 1
                    if timed_out >= MAX_TIMEOUT_ATTEMPTS:
                        raise
                delay = self.retry.delay(attempt, e.retry_after_s)
                if end is not None and loop.time() + delay >= end:
                    raise
                await asyncio.sleep(delay)
                attempt += 1

    async def _write(self, command: str, **params: Any) -> Raw:
        """The one gate for every call that changes the cloud."""
        if self.read_only:
            self._audit(command, params, "refused: read-only", None)
            raise ReadOnlyError(command)
        self.writes += 1
        attempt = 1
        while True:
            try:
                result = await self._once(command, params, write=True)
            except CloudError as e:
                if e.kind is ErrorKind.THROTTLED and attempt < self.retry.attempts:
                    # Throttled calls are refused before any work is done: safe to resend.
                    await asyncio.sleep(self.retry.delay(attempt, e.retry_after_s))
                    attempt += 1
                    continue
                # A gateway error without CloudStack's own error text (code None) may come
                # after the server did the work: the answer is lost, not a refusal.
                lost = e.kind is ErrorKind.UNAVAILABLE and e.code is None
                if e.kind in (ErrorKind.TRANSPORT, ErrorKind.TIMEOUT) or lost:
                    e = CloudError(
                        command,
                        f"{e.text}. The request may or may not have been carried out: "
                        "refresh and check before trying again.",
                        kind=ErrorKind.UNKNOWN_OUTCOME, http_status=e.http_status,
                    )
                self._audit(command, params, f"error: {e.text}", None)
                raise e from None
            self._audit(command, params, "accepted", result.get("jobid"))
            return result

    def _audit(self, command: str, params: dict[str, Any], outcome: str, jobid: str | None) -> None:
        if self.audit is not None:
            self.audit(command, dict(params), outcome, jobid)

    # -- lists ------------------------------------------------------------------------

    async def pages(self, command: str, key: str, *, as_type: type[Any] | None = None,
                    on_count: Callable[[int], None] | None = None,
                    known: KnownPages | None = None, window: int | None = None,
                    **params: Any) -> AsyncIterator[list[Any]]:
        """Yield each page of a list: page 1 first, then the rest as they arrive
        (fetched concurrently once `count` is known). Order between pages is not kept.

        Every page is checked (`list_page`). The walk asks for no more pages than the first
        `count` needs, plus `EXTRA_PAGES` when a later page reports a list that grew, and
        starts none after a short or empty page: whatever an answer says, it ends.

        `as_type` (a `msgspec.Struct` wire shape): items come as that type, decoded straight
        from the answer's (cleaned) text, never as dicts; an item that does not fit is a
        CloudError naming it, as with `parse_items`.

        `on_count(count)`: the list's size as its first page says, before that page is
        yielded (a hint only: the server's word, and the list may shift while it is read).

        `known(digest)`: each page comes as a `DigestedPage` (its items, its answer's digest
        and count), or, when `known` gives (length, count) for the digest of an answer the
        caller has read before byte for byte, as a `KnownPage` (nothing cleaned, decoded or
        built: an unchanged page of 500 instances costs a hash, ~0.5 ms, not ~25 ms).

        `window`: at most this many pages in flight or not yet taken (default: the client's
        concurrency; at least 2)."""
        size = self.page_size
        decoder = None if as_type is None else _page_decoder(key, as_type)

        async def read(page: int) -> tuple[list[Any], int | None]:
            slot = None if known is None else _DigestSlot(known)
            token = _PAGE_DECODER.set(decoder)
            digest_token = _PAGE_DIGEST.set(slot)
            try:
                r = await self._read(command, page=page, pagesize=size, **params)
            finally:
                _PAGE_DIGEST.reset(digest_token)
                _PAGE_DECODER.reset(token)
            if r.__class__ is _KnownAnswer:
                return KnownPage(r.digest, r.length), r.count
            if r.__class__ is _TypedPage:
                items, count = typed_list_page(command, key, r, first=page == 1)
            else:
                items, count = list_page(command, key, r, first=page == 1)
                if as_type is not None:  # numbers as strings, or an item that does not fit
                    items = _check(items, list[as_type], command, key)  # type: ignore[valid-type]
            if slot is not None and slot.digest is not None:
                items = DigestedPage(items, slot.digest, count)
            return items, count

        items, count = await read(1)
        if on_count is not None and count is not None:
            on_count(count)
        yield items
        pages = -(-(_page_length(items) if count is None else count) // size)
        if pages <= 1 or _page_length(items) < size:
            return
        limit = pages + EXTRA_PAGES

        # A window of pages in flight (or fetched and not yet taken), not all of them at
        # once: 600 pages of snapshots held at the same time would cost ~600 MB, and a
        # list of 600 queued pages would make every other list wait behind it.
        window = max(2, self._concurrency if window is None else window)
        arrived: asyncio.Queue[asyncio.Task[tuple[list[Any], int | None]]] = asyncio.Queue()
        running: set[asyncio.Task[tuple[list[Any], int | None]]] = set()
        next_page = 2
        outstanding = 0  # started and not yet taken
        ended = False  # a short or empty page came: the list ends there

        def landed(task: asyncio.Task[tuple[list[Any], int | None]]) -> None:
            running.discard(task)
            arrived.put_nowait(task)

        def start_more() -> None:
            nonlocal next_page, outstanding
            while not ended and next_page <= pages and outstanding < window:
                task = asyncio.ensure_future(read(next_page))
                running.add(task)
                task.add_done_callback(landed)
                next_page += 1
                outstanding += 1

        try:
            start_more()
            while outstanding:
                task = await arrived.get()
                outstanding -= 1
                items, count = task.result()  # a failed page ends the walk with its error
                del task
                if _page_length(items) < size:
                    ended = True
                elif count is not None:  # the list grew while it was read: follow it, a little
                    pages = min(limit, max(pages, -(-count // size)))
                start_more()
                yield items
                del items
                # Two pages that arrived together are taken in two loop steps, not one: each
                # is ~15-25 ms of work for its consumer (models built), and a key waits for
                # the step it lands in.
                await asyncio.sleep(0)
        finally:
            for task in list(running):  # a failed or abandoned walk leaves nothing running
                task.cancel()
            while not arrived.empty():  # fetched but never taken: their errors are moot
                task = arrived.get_nowait()
                if not task.cancelled():
                    task.exception()

    async def list_all(self, command: str, key: str, **params: Any) -> list[Raw]:
        """Every item of a list command, without duplicates (lists shift while paging)."""
        seen: set[Any] = set()
        items: list[Raw] = []
        async for page in self.pages(command, key, **params):
            for item in page:
                ident = item.get("id", item.get("jobid"))
                if ident.__class__ is str:  # anything else is for the model to refuse
                    if ident in seen:
                        continue
                    seen.add(ident)
                items.append(item)
        return items

    # -- typed reads ------------------------------------------------------------------

    async def capabilities(self, *, budget_s: float | None = None) -> Capabilities:
        r = await self._read("listCapabilities", budget_s=budget_s)
        return Capabilities.parse(r.get("capability"), "listCapabilities", "capability")

    async def zones(self) -> list[Zone]:
        raw = await self.list_all("listZones", "zone")
        return parse_items(Zone, raw, "listZones", "zone")

    async def virtual_machines(self, **filters: Any) -> list[VirtualMachine]:
        raw = await self.list_all("listVirtualMachines", "virtualmachine", listall=True, **filters)
        return parse_items(VirtualMachine, raw, "listVirtualMachines", "virtualmachine")

    async def virtual_machine(self, vm_id: str) -> VirtualMachine | None:
        found = await self.virtual_machines(id=vm_id)
        return found[0] if found else None

    async def volumes(self, **filters: Any) -> list[Volume]:
        raw = await self.list_all("listVolumes", "volume", listall=True, **filters)
        return parse_items(Volume, raw, "listVolumes", "volume")

    async def volume(self, volume_id: str) -> Volume | None:
        found = await self.volumes(id=volume_id)
        return found[0] if found else None

    async def snapshots(self, **filters: Any) -> list[Snapshot]:
        raw = await self.list_all("listSnapshots", "snapshot", listall=True, **filters)
        return parse_items(Snapshot, raw, "listSnapshots", "snapshot")

    async def snapshot(self, snapshot_id: str) -> Snapshot | None:
        found = await self.snapshots(id=snapshot_id)
        return found[0] if found else None

    async def volumes_of(self, vm_id: str) -> list[Volume]:
        volumes = await self.volumes(virtualmachineid=vm_id)
        return sorted(volumes, key=lambda v: (v.deviceid if v.deviceid is not None else 99, v.name))

    async def snapshots_of(self, volume_id: str) -> list[Snapshot]:
        return await self.snapshots(volumeid=volume_id)

    async def vm_snapshots_of(self, vm_id: str) -> list[VMSnapshot]:
        return await self.vm_snapshots(virtualmachineid=vm_id)

    async def find_snapshots(self, text: str) -> list[Snapshot]:
        return await self.snapshots(keyword=text)

    async def snapshot_policies(self, volume_id: str) -> list[SnapshotPolicy]:
        raw = await self.list_all("listSnapshotPolicies", "snapshotpolicy", volumeid=volume_id)
        return parse_items(SnapshotPolicy, raw, "listSnapshotPolicies", "snapshotpolicy")

    async def all_snapshot_policies(self, volume_ids: Iterable[str],
                                    memo: PageMemo | None = None) -> list[SnapshotPolicy]:
        """The account's policies: one account-wide list where the server allows it
        (4.20+ lists without `volumeid`); older servers need one call per volume.

        `memo`: the pages of the last such list, by digest; a page that answers the same
        again is those policies (each keeps its raw dict: 3,000 policies are ~5 MB of
        dicts, which an auto refresh would otherwise make again beside the ones shown)."""
        try:
            if memo is not None:
                return await self._policies_by_page(memo)
            raw = await self.list_all("listSnapshotPolicies", "snapshotpolicy", listall=True)
            return await _parse_in_turns(SnapshotPolicy, raw, "listSnapshotPolicies",
                                         "snapshotpolicy")
        except CloudError as e:
            if e.kind is not ErrorKind.PARAM:
                raise
        lists = await asyncio.gather(*(self.snapshot_policies(v) for v in volume_ids))
        return [p for chunk in lists for p in chunk]

    async def _policies_by_page(self, memo: PageMemo) -> list[SnapshotPolicy]:
        """`list_all` + `_parse_in_turns` of the account's policies, page by page through
        `memo`; no policy twice (the list may shift while it is paged: same id, once)."""
        command, key = "listSnapshotPolicies", "snapshotpolicy"
        seen: set[str] = set()
        out: list[SnapshotPolicy] = []
        async for page in self.pages(command, key, known=memo.known, listall=True):
            if isinstance(page, KnownPage):
                models, count = memo.previous[page.digest]
            else:
                try:
                    models = await _parse_in_turns(SnapshotPolicy, page, command, key)
                except CloudError:
                    # Named by its place in the whole list read so far, as list_all would.
                    parse_items(SnapshotPolicy, [dict(p.raw) for p in out] + page, command,
                                key)
                    raise
                count = page.answer_count if isinstance(page, DigestedPage) else None
            if isinstance(page, (KnownPage, DigestedPage)):
                memo.now[page.digest] = (models, count)
            for policy in models:
                if policy.id not in seen:
                    seen.add(policy.id)
                    out.append(policy)
        return out

    async def vm_snapshots(self, **filters: Any) -> list[VMSnapshot]:
        raw = await self.list_all("listVMSnapshot", "vmSnapshot", listall=True, **filters)
        return parse_items(VMSnapshot, raw, "listVMSnapshot", "vmSnapshot")

    async def service_offerings(self) -> list[ServiceOffering]:
        raw = await self.list_all("listServiceOfferings", "serviceoffering")
        return parse_items(ServiceOffering, raw, "listServiceOfferings", "serviceoffering")

    async def disk_offerings(self) -> list[DiskOffering]:
        raw = await self.list_all("listDiskOfferings", "diskoffering")
        return parse_items(DiskOffering, raw, "listDiskOfferings", "diskoffering")

    async def os_types(self) -> list[OsType]:
        raw = await self.list_all("listOsTypes", "ostype")
        return parse_items(OsType, raw, "listOsTypes", "ostype")

    async def templates(self, templatefilter: str = "self") -> list[Template]:
        raw = await self.list_all("listTemplates", "template", templatefilter=templatefilter)
        return parse_items(Template, raw, "listTemplates", "template")

    async def job(self, jobid: str) -> AsyncJob:
        r = await self._read("queryAsyncJobResult", jobid=jobid)
        return AsyncJob.parse(r, "queryAsyncJobResult")

    async def jobs(self, since: datetime | None = None) -> list[AsyncJob]:
        params: dict[str, Any] = {"listall": True}
        if since is not None:
            params["startdate"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        raw = await self.list_all("listAsyncJobs", "asyncjobs", **params)
        return parse_items(AsyncJob, raw, "listAsyncJobs", "asyncjobs")

    # -- writes (each one goes through _write) -----------------------------------------

    async def _start(self, command: str, **params: Any) -> JobStarted:
        r = await self._write(command, **params)
        jobid = r.get("jobid")
        if not jobid:
            raise CloudError(command, "the server started no job", kind=ErrorKind.PROTOCOL)
        return JobStarted(command, str(jobid), str(r["id"]) if r.get("id") else None)

    async def create_snapshot(
        self, volume_id: str, *, name: str | None = None, quiesce: bool = False
    ) -> JobStarted:
        return await self._start(
            "createSnapshot", volumeid=volume_id, name=name, quiescevm=quiesce or None
        )

    async def delete_snapshot(self, snapshot_id: str) -> JobStarted:
        return await self._start("deleteSnapshot", id=snapshot_id)

    async def revert_snapshot(self, snapshot_id: str) -> JobStarted:
        return await self._start("revertSnapshot", id=snapshot_id)

    async def create_vm_snapshot(
        self, vm_id: str, *, name: str | None = None, description: str | None = None,
        memory: bool = False, quiesce: bool = False,
    ) -> JobStarted:
        return await self._start(
            "createVMSnapshot", virtualmachineid=vm_id, name=name, description=description,
            snapshotmemory=memory, quiescevm=quiesce or None,
        )

    async def revert_vm_snapshot(self, vm_snapshot_id: str) -> JobStarted:
        return await self._start("revertToVMSnapshot", vmsnapshotid=vm_snapshot_id)

    async def delete_vm_snapshot(self, vm_snapshot_id: str) -> JobStarted:
        return await self._start("deleteVMSnapshot", vmsnapshotid=vm_snapshot_id)

    async def create_snapshot_policy(
        self, volume_id: str, *, interval: str, schedule: str, timezone: str, maxsnaps: int
    ) -> SnapshotPolicy:
        r = await self._write(
            "createSnapshotPolicy", volumeid=volume_id, intervaltype=interval,
            schedule=schedule, timezone=timezone, maxsnaps=maxsnaps,
        )
        return SnapshotPolicy.parse(r.get("snapshotpolicy"), "createSnapshotPolicy",
                                    "snapshotpolicy")

    async def delete_snapshot_policies(self, policy_ids: list[str]) -> None:
        await self._write("deleteSnapshotPolicies", ids=",".join(policy_ids))

    async def create_volume_from_snapshot(
        self, snapshot_id: str, *, name: str, disk_offering_id: str | None = None,
        zone_id: str | None = None, size_gib: int | None = None,
    ) -> JobStarted:
        # `size` (GiB) only with a custom disk offering.
        return await self._start(
            "createVolume", snapshotid=snapshot_id, name=name,
            diskofferingid=disk_offering_id, zoneid=zone_id, size=size_gib,
        )

    async def attach_volume(
        self, volume_id: str, vm_id: str, *, device_id: int | None = None
    ) -> JobStarted:
        return await self._start(
            "attachVolume", id=volume_id, virtualmachineid=vm_id, deviceid=device_id
        )

    async def delete_volume(self, volume_id: str) -> None:
        """deleteVolume (synchronous). The app deletes unasked only the volume a restore
        drill created, by the id its createVolume returned (cloud/drill.py)."""
        await self._write("deleteVolume", id=volume_id)

    async def detach_volume(self, volume_id: str) -> JobStarted:
        return await self._start("detachVolume", id=volume_id)

    async def rename_volume(self, volume_id: str, name: str) -> JobStarted:
        """updateVolume with `name` (async). Servers older than `name` ignore it: the job
        succeeds and nothing is renamed, so read the volume back to know."""
        return await self._start("updateVolume", id=volume_id, name=name)

    async def stop_vm(self, vm_id: str, *, forced: bool = False) -> JobStarted:
        return await self._start("stopVirtualMachine", id=vm_id, forced=forced or None)

    async def start_vm(self, vm_id: str) -> JobStarted:
        return await self._start("startVirtualMachine", id=vm_id)

    async def create_template_from_snapshot(
        self, snapshot_id: str, *, name: str, ostype_id: str, displaytext: str | None = None,
    ) -> JobStarted:
        return await self._start(
            "createTemplate", snapshotid=snapshot_id, name=name,
            displaytext=displaytext or name, ostypeid=ostype_id,
        )

    async def deploy_vm(
        self, *, template_id: str, zone_id: str, service_offering_id: str,
        name: str | None = None, network_ids: list[str] | None = None,
    ) -> JobStarted:
        return await self._start(
            "deployVirtualMachine", templateid=template_id, zoneid=zone_id,
            serviceofferingid=service_offering_id, name=name, displayname=name,
            networkids=",".join(network_ids) if network_ids else None,
        )

    # -- jobs -------------------------------------------------------------------------

    async def wait(self, jobid: str, *, timeout_s: float = 3600, poll_s: float = 1.0) -> AsyncJob:
        """Poll one job until it ends. For scripts and tests; the UI uses the tracker."""
        deadline = time.monotonic() + timeout_s
        delay = min(0.2, poll_s)
        while True:
            job = await self.job(jobid)
            if job.done:
                return job
            if time.monotonic() > deadline:
                raise CloudError("queryAsyncJobResult", f"job {jobid} still running after "
                                 f"{timeout_s:g} s", kind=ErrorKind.TIMEOUT, jobid=jobid)
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, poll_s)

    async def run(self, started: JobStarted, **wait_args: Any) -> Raw:
        """Wait for a started job; its result object, or a JOB_FAILED CloudError."""
        job = await self.wait(started.jobid, **wait_args)
        if not job.succeeded:
            raise CloudError(
                started.command, job.error_text or "the job failed", kind=ErrorKind.JOB_FAILED,
                code=job.resultcode or None, jobid=job.jobid,
            )
        return job.result or {}


def _cut_off(e: aiohttp.ClientPayloadError) -> str:
    """A body that ended early, said plainly (aiohttp's text nests three exceptions)."""
    counted = re.search(r"received (\d+) of (\d+) bytes", str(e))
    detail = f" ({counted[1]} of {counted[2]} bytes arrived)" if counted else ""
    return f"the connection closed before the end of the answer{detail}"


def list_page(command: str, key: str, answer: Raw, *, first: bool
              ) -> tuple[list[Raw], int | None]:
    """One page of a list answer, checked: its items (objects, never `null`) and its
    `count` (a number up to `MAX_COUNT`, or None when the answer has none).

    `{}` is an empty list and `{"count": N}` a page past the end, as the server answers
    them; but a first page whose count says there are items and that has no list is an
    error, not an empty cloud."""
    count = answer.get("count")
    if count is not None:
        if count.__class__ is str and count.isascii() and count.isdigit():
            count = int(count)  # as lenient as the models: numbers may come as strings
        if count.__class__ is not int:
            raise malformed(command, f"`count` is {_json_kind(count)}, not a number")
        if not 0 <= count <= MAX_COUNT:
            raise malformed(command, f"`count` is {count}, beyond any real list "
                                     f"(0 to {MAX_COUNT:,})")
    items = answer.get(key)
    if items is None:
        if first and count:
            raise malformed(command, f"`count` is {count} and there is no `{key}` list")
        return [], count
    if items.__class__ is not list:
        raise malformed(command, f"`{key}` is {_json_kind(items)}, not a list")
    for i, item in enumerate(items):
        if item.__class__ is not dict:
            raise malformed(command, f"`{key}[{i}]` is {_json_kind(item)}, not an object")
    return items, count


def typed_list_page(command: str, key: str, answer: _TypedPage, *, first: bool
                    ) -> tuple[list[Any], int | None]:
    """`list_page` for an answer decoded into typed items: its types are already checked;
    the bounds of `count` and a list missing under a count are not."""
    count, items = answer["count"], answer[key]
    if count is not None and not 0 <= count <= MAX_COUNT:
        raise malformed(command, f"`count` is {count}, beyond any real list "
                                 f"(0 to {MAX_COUNT:,})")
    if items is None:
        if first and count:
            raise malformed(command, f"`count` is {count} and there is no `{key}` list")
        return [], count
    return items, count


def _json_kind(value: Any) -> str:
    """What a decoded JSON value is, in words (never the value: it may be anything)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _describe(e: BaseException) -> str:
    text = str(e).strip()
    return text or type(e).__name__

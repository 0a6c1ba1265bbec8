"""Finds the CloudStack endpoint and API keys to use, the way cmk and `cs` users expect.

Discovery order (first match wins; see `discover`):

1. Environment, as the `cs` library reads it: ``CLOUDSTACK_ENDPOINT``, ``CLOUDSTACK_KEY`` and
   ``CLOUDSTACK_SECRET`` (all three; optional ``CLOUDSTACK_TIMEOUT``,
   ``CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY``). Used when no profile was asked for, or when the
   profile asked for is ``"env"``.
2. cmk (CloudMonkey): ``~/.cmk/config``, then the legacy ``~/.cloudmonkey/config``. The profile
   is the one asked for, else the file's global ``profile`` key (cmk's active profile; the legacy
   file keeps it under ``[core]``), else the first section with ``url``, ``apikey`` and
   ``secretkey``.
3. `cs` ini files: ``~/.cloudstack.ini``, ``./cloudstack.ini``, ``$CLOUDSTACK_CONFIG``, read in
   that order with later files overriding earlier ones key by key (as `cs` does). The section is
   the profile asked for, else ``$CLOUDSTACK_REGION``, else ``cloudstack``.

A profile asked for by name that exists nowhere is an error naming the profiles that do exist.
An implicit choice that is unusable (say cmk's active profile has a username and password but no
API keys) falls through to the next source; if nothing usable is found, the error explains each
such near miss.

TLS verification is on unless one of the documented switches turns it off: cmk's
``verifycert = false`` (or cloudmonkey's ``verifysslcert = false``) in the profile's section
or, failing that, in the globals; `cs`'s ``verify = false`` or ``dangerous_no_tls_verify =
true`` in cloudstack.ini; ``CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY`` (true/yes/1/on) for the
environment and cloudstack.ini profiles, as `cs` reads it. ``verify = /path`` names a CA
bundle instead. `Profile.transport_warning` is what the header then says.

The secret key never appears in a repr, a str, an exception message or the help text.
"""

from __future__ import annotations

import configparser
import contextlib
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from atlas_tui.cloud.api.redact import redact_url

__all__ = [
    "ENV_PROFILE",
    "ConfigError",
    "Profile",
    "discover",
    "list_profiles",
]

#: The profile name that selects the CLOUDSTACK_* environment variables.
ENV_PROFILE = "env"
ENV_SOURCE = "environment"

DEFAULT_TIMEOUT_S = 30.0
API_PATH = "/client/api"

ENV_ENDPOINT = "CLOUDSTACK_ENDPOINT"
ENV_KEY = "CLOUDSTACK_KEY"
ENV_SECRET = "CLOUDSTACK_SECRET"
ENV_TIMEOUT = "CLOUDSTACK_TIMEOUT"
ENV_NO_VERIFY = "CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY"
ENV_REGION = "CLOUDSTACK_REGION"
ENV_CONFIG = "CLOUDSTACK_CONFIG"

# configparser needs a header before the first key; cmk writes its globals without one.
_GLOBALS = "\x00cmk-globals"
_TRUE = {"1", "yes", "true", "on"}
_FALSE = {"0", "no", "false", "off"}


@dataclass(frozen=True, repr=False)
class Profile:
    """One CloudStack account to talk to.

    ``url`` is the API endpoint. A URL with no path (``https://cloud.example.com``) gets
    ``/client/api`` appended, since that is where every CloudStack management server answers;
    a URL with any other path is kept as written.
    """

    name: str
    url: str
    api_key: str
    secret_key: str = field(repr=False)
    source: str  # the file the profile came from, or "environment"
    verify_tls: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    ca_bundle: str | None = None  # CA file for a private CA (cs's `verify = /path`)

    @property
    def host(self) -> str:
        """``host[:port]`` of the endpoint, for the header."""
        netloc = urlsplit(self.url).netloc
        return netloc.rpartition("@")[2]  # never show user:password@ if someone wrote one

    @property
    def display_url(self) -> str:
        """The endpoint as it may be shown or written: no user:password@, no token."""
        return redact_url(self.url)

    @property
    def transport_warning(self) -> str | None:
        """What the header must say about this endpoint's transport, or None if it is safe:
        a plain http:// endpoint off this machine is UNENCRYPTED (keys, signatures and
        answers cross the network in clear); https:// with verification turned off is TLS NOT
        VERIFIED (anyone in the path can pose as the server)."""
        parts = urlsplit(self.url)
        if parts.scheme == "http":
            return None if _is_loopback(parts.hostname or "") else "UNENCRYPTED"
        return None if self.verify_tls else "TLS NOT VERIFIED"

    def redacted(self) -> dict[str, object]:
        """The profile as a dict safe to log: the secret is masked, the API key shortened."""
        return {
            "name": self.name,
            "url": redact_url(self.url),
            "api_key": _shorten(self.api_key),
            "secret_key": "<redacted>",
            "source": self.source,
            "verify_tls": self.verify_tls,
            "timeout_s": self.timeout_s,
            "ca_bundle": self.ca_bundle,
        }

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.redacted().items())
        return f"Profile({fields})"

    __str__ = __repr__


class ConfigError(Exception):
    """Nothing usable was configured, or what was asked for is wrong.

    ``looked_at`` lists every file and variable consulted, in order, each with what was found
    (``"/home/u/.cmk/config (found)"``, ``"CLOUDSTACK_KEY (not set)"``). ``profiles`` lists
    the (name, source) pairs that do exist. Neither the message nor ``help_text()`` ever
    contains a secret value.
    """

    def __init__(
        self,
        message: str,
        *,
        looked_at: list[str] | None = None,
        profiles: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.looked_at: list[str] = list(looked_at or [])
        self.profiles: list[tuple[str, str]] = list(profiles or [])

    def help_text(self) -> str:
        """A full explanation for the no-config screen: what was tried and how to set it up."""
        lines = [self.message, ""]
        if self.looked_at:
            lines.append("atlas-tui looked at, in this order:")
            lines += [f"  - {item}" for item in self.looked_at]
            lines.append("")
        if self.profiles:
            lines.append("Profiles found:")
            lines += [f"  - {name}  ({source})" for name, source in self.profiles]
            lines.append("")
        lines.append(_HOW_TO)
        return "\n".join(lines)


_HOW_TO = """\
atlas-tui needs a CloudStack API endpoint and an API key pair. Any one of these will do:

1. A cmk (CloudMonkey) profile in ~/.cmk/config, the file cmk itself uses.
   Global keys go at the top, then one [section] per profile:

       profile = atlas

       [atlas]
       url = https://cloud.example.com/client/api
       apikey = <your API key>
       secretkey = <your secret key>

   or let cmk write it:  cmk set profile atlas; cmk set url <url>;
   cmk set apikey <key>; cmk set secretkey <secret>
   Pick another profile with:  atlas-tui --profile NAME

2. A section in ~/.cloudstack.ini (or ./cloudstack.ini, or the file named by
   $CLOUDSTACK_CONFIG), as used by the `cs` tool:

       [cloudstack]
       endpoint = https://cloud.example.com/client/api
       key = <your API key>
       secret = <your secret key>

   The section is --profile NAME, else $CLOUDSTACK_REGION, else [cloudstack].

3. Environment variables:

       export CLOUDSTACK_ENDPOINT=https://cloud.example.com/client/api
       export CLOUDSTACK_KEY=<your API key>
       export CLOUDSTACK_SECRET=<your secret key>

Username and password alone are not enough: atlas-tui signs every request with
API keys. To get them, in the CloudStack web UI open Accounts > your account >
Users > your user and choose "Generate keys" (or ask your cloud's support);
with a working cmk login, `cmk register userkeys id=<your user id>` prints them
(`cmk list users username=<you>` shows the id).

To look around without a cloud, run:  atlas-tui --demo"""


def discover(
    profile: str | None = None,
    *,
    env: Mapping[str, str] = os.environ,
    home: Path | None = None,
    cwd: Path | None = None,
) -> Profile:
    """Find the profile to use; raise `ConfigError` if there is none. Order in module doc."""
    scan = _Scan(env, home, cwd)
    try:
        return _discover(profile, scan)
    except ConfigError as exc:
        # Every error carries the full list of places a user could configure, even those
        # discovery stopped before reaching, so the message can say what to fix where.
        exc.looked_at = scan.complete()
        raise


def _discover(profile: str | None, scan: _Scan) -> Profile:
    near_misses: list[str] = []

    # 1. Environment (not even parsed when a named profile was asked for: a stray, broken
    # CLOUDSTACK_ENDPOINT must not block `--profile NAME`).
    env_candidate = scan.env_profile() if profile in (None, ENV_PROFILE) else None
    if profile == ENV_PROFILE:
        if env_candidate is None:
            raise ConfigError(
                f"Profile {ENV_PROFILE!r} asks for the environment, but "
                f"{ENV_ENDPOINT}, {ENV_KEY} and {ENV_SECRET} are not all set."
            )
        return env_candidate
    if profile is None and env_candidate is not None:
        return env_candidate
    if profile is None and scan.env_partial:
        near_misses.append(
            f"Only some of {ENV_ENDPOINT}, {ENV_KEY}, {ENV_SECRET} are set; all three are needed."
        )

    # 2. cmk.
    for path in scan.cmk_paths:
        parser = scan.read(path, cmk=True)
        if parser is None:
            continue
        profiles = _cmk_sections(parser)
        if profile is not None:
            if profile in profiles:
                return _cmk_profile(profile, parser, path)
            continue
        active = _cmk_active(parser)
        if active is not None:
            if active in profiles:
                try:
                    return _cmk_profile(active, parser, path)
                except ConfigError as exc:
                    near_misses.append(exc.message)
            else:
                near_misses.append(
                    f"{path} names {active!r} as its profile, but has no [{active}] section "
                    "with a url."
                )
            continue  # cmk's active profile is the user's choice: don't guess another one
        for name in profiles:
            section = parser[name]
            if _get(section, "apikey") and _get(section, "secretkey"):
                return _cmk_profile(name, parser, path)
        near_misses += [f"[{name}] in {path} has no API keys." for name in profiles]

    # 3. cs ini files, merged.
    sections, sources = scan.cs_sections()
    region = scan.env.get(ENV_REGION, "").strip()
    if profile is None:
        scan.note(f"{ENV_REGION} ({'set' if region else 'not set'})")
    wanted = profile or region or "cloudstack"
    if wanted in sections:
        try:
            return _cs_profile(wanted, sections[wanted], sources[wanted], scan.env)
        except ConfigError as exc:
            if profile is not None:
                raise
            near_misses.append(exc.message)
    elif profile is None and sections:
        near_misses.append(
            f"No [{wanted}] section in the cloudstack.ini files "
            f"(sections there: {', '.join(sections)})."
        )

    if profile is not None:
        existing = scan.all_profiles()
        names = ", ".join(name for name, _ in existing) or "none"
        raise ConfigError(
            f"Profile {profile!r} was not found. Profiles that exist: {names}.",
            profiles=existing,
        )
    message = "No CloudStack account is configured."
    if near_misses:
        message += " " + " ".join(near_misses)
    raise ConfigError(message, profiles=scan.all_profiles())


def list_profiles(
    *,
    env: Mapping[str, str] = os.environ,
    home: Path | None = None,
    cwd: Path | None = None,
) -> list[tuple[str, str]]:
    """Every profile ``discover`` could be asked for, as (name, source), in discovery order.

    A name defined in several places is listed once, where ``discover(name)`` would take it.
    Profiles without API keys are listed too (choosing one explains what is missing).
    Raises `ConfigError` if a config file cannot be read or parsed.
    """
    scan = _Scan(env, home, cwd)
    try:
        return scan.all_profiles()
    except ConfigError as exc:  # a malformed file: the picker shows the message
        exc.looked_at = scan.complete()
        raise


# --- internals ---------------------------------------------------------------------------


class _Scan:
    """Reads each source at most once and records what it looked at, for the error."""

    def __init__(self, env: Mapping[str, str], home: Path | None, cwd: Path | None) -> None:
        self.env = env
        self.home = home if home is not None else Path.home()
        self.cwd = cwd if cwd is not None else Path.cwd()
        self.looked_at: list[str] = []
        self.env_partial = False
        self._parsed: dict[Path, configparser.ConfigParser | None] = {}
        self.cmk_paths = [self.home / ".cmk" / "config", self.home / ".cloudmonkey" / "config"]
        self.cs_paths = [self.home / ".cloudstack.ini", self.cwd / "cloudstack.ini"]
        self.cs_from_env: Path | None = None
        if env.get(ENV_CONFIG, "").strip():
            self.cs_from_env = Path(env[ENV_CONFIG].strip()).expanduser()
            self.cs_paths.append(self.cs_from_env)

    def note(self, item: str) -> None:
        if item not in self.looked_at:
            self.looked_at.append(item)

    def complete(self) -> list[str]:
        """Visit every source (errors aside) so looked_at names them all, in order."""
        self.env_values()
        for path in self.cmk_paths:
            # The error being reported matters more than a second one found on the way.
            with contextlib.suppress(ConfigError):
                self.read(path, cmk=True)
        with contextlib.suppress(ConfigError):
            self.cs_sections()
        self.note(f"{ENV_REGION} ({'set' if self.env.get(ENV_REGION) else 'not set'})")
        return list(self.looked_at)

    def env_values(self) -> dict[str, str] | None:
        """The three CLOUDSTACK_* values if all are set (only names are noted, never values)."""
        names = (ENV_ENDPOINT, ENV_KEY, ENV_SECRET)
        values = {name: self.env.get(name, "").strip() for name in names}
        for name in names:
            self.note(f"{name} ({'set' if values[name] else 'not set'})")
        if not all(values.values()):
            self.env_partial = any(values.values())
            return None
        return values

    def env_profile(self) -> Profile | None:
        values = self.env_values()
        if values is None:
            return None
        return Profile(
            name=ENV_PROFILE,
            url=_normalise_url(values[ENV_ENDPOINT], ENV_ENDPOINT),
            api_key=values[ENV_KEY],
            secret_key=values[ENV_SECRET],
            source=ENV_SOURCE,
            verify_tls=not _bool(self.env.get(ENV_NO_VERIFY), False, ENV_NO_VERIFY),
            timeout_s=_timeout(self.env.get(ENV_TIMEOUT), ENV_TIMEOUT),
        )

    def read(self, path: Path, *, cmk: bool) -> configparser.ConfigParser | None:
        if path in self._parsed:
            return self._parsed[path]
        origin = f"from {ENV_CONFIG}, " if path == self.cs_from_env else ""
        parser: configparser.ConfigParser | None = None
        try:
            # utf-8-sig: a BOM would otherwise glue itself to the first key.
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            self.note(f"{path} ({origin}not found)")
        except (OSError, UnicodeDecodeError) as exc:
            self._parsed[path] = None
            self.note(f"{path} ({origin}unreadable)")
            # Name the reason only; never echo the contents.
            reason = getattr(exc, "strerror", None) or "not valid UTF-8 text"
            raise ConfigError(f"Cannot read {path}: {reason}.") from None
        else:
            self.note(f"{path} ({origin}found)")
            self._parsed[path] = None  # a parse error is reported once, not on every visit
            parser = _parse(text, path, cmk=cmk)
        self._parsed[path] = parser
        return parser

    def cs_sections(self) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """Sections of all cs ini files merged key by key, later files winning, as cs does."""
        sections: dict[str, dict[str, str]] = {}
        sources: dict[str, str] = {}
        for path in self.cs_paths:
            parser = self.read(path, cmk=False)
            if parser is None:
                continue
            for name in parser.sections():
                sections.setdefault(name, {}).update(parser[name])
                sources[name] = str(path)
        if self.cs_from_env is None:
            self.note(f"{ENV_CONFIG} (not set)")
        return sections, sources

    def all_profiles(self) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        seen: set[str] = set()

        def add(name: str, source: str) -> None:
            if name not in seen:
                seen.add(name)
                found.append((name, source))

        if self.env_values() is not None:
            add(ENV_PROFILE, ENV_SOURCE)
        for path in self.cmk_paths:
            parser = self.read(path, cmk=True)
            if parser is not None:
                for name in _cmk_sections(parser):
                    add(name, str(path))
        sections, sources = self.cs_sections()
        for name in sections:
            if sections[name].get("endpoint", "").strip():
                add(name, sources[name])
        return found


def _parse(text: str, path: Path, *, cmk: bool) -> configparser.ConfigParser:
    # interpolation=None: secrets and passwords may contain "%". strict=False: a repeated
    # section or key is tolerated (last wins), as cmk's Go ini library does.
    parser = configparser.ConfigParser(interpolation=None, strict=False, default_section=_GLOBALS)
    if cmk:
        text = f"[{_GLOBALS}]\n{text}"
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        # configparser's own messages quote the offending line, which may be a pasted secret:
        # report the line number only.
        offset = 1 if cmk else 0
        lines = [lineno - offset for lineno, _ in getattr(exc, "errors", [])]
        if lineno := getattr(exc, "lineno", None):
            lines.append(lineno - offset)
        where = f" at line {', '.join(map(str, lines))}" if lines else ""
        raise ConfigError(
            f"{path} is not a valid INI file{where} ({exc.__class__.__name__}). "
            "Each line must be a [section] header, a `key = value` pair or a comment."
        ) from None
    return parser


def _cmk_sections(parser: configparser.ConfigParser) -> list[str]:
    # A profile is a section with a url; the legacy cloudmonkey file also has [core], [ui].
    return [name for name in parser.sections() if _get(parser[name], "url")]


def _cmk_active(parser: configparser.ConfigParser) -> str | None:
    globals_ = parser.defaults()
    active = _unquote(globals_.get("profile", ""))
    if not active and parser.has_section("core"):  # legacy ~/.cloudmonkey/config
        active = _unquote(parser["core"].get("profile", ""))
    return active or None


def _cmk_profile(name: str, parser: configparser.ConfigParser, path: Path) -> Profile:
    section = parser[name]  # globals are the DEFAULT section, so verifycert falls back to them
    url = _get(section, "url")
    api_key = _get(section, "apikey")
    secret = _get(section, "secretkey")
    if not (api_key and secret):
        has_login = bool(_get(section, "username") and _get(section, "password"))
        raise _no_keys(name, path, has_login)
    verify = _cmk_verify(parser, name)
    # cmk's `timeout` (1800 by default) is how long cmk blocks on async jobs, not an HTTP
    # timeout, so it is deliberately ignored here.
    return Profile(
        name=name,
        url=_normalise_url(url, f"[{name}] url in {path}"),
        api_key=api_key,
        secret_key=secret,
        source=str(path),
        verify_tls=_bool(verify, True, f"[{name}] verifycert in {path}"),
    )


def _cmk_verify(parser: configparser.ConfigParser, name: str) -> str:
    """The profile's own verifycert (cmk) or verifysslcert (cloudmonkey), else the globals'.

    Both spellings are read at each level, so a global `verifycert = true` (cmk writes it)
    never hides a profile's `verifysslcert = false`."""
    defaults = parser.defaults()
    own = {key: value for key, value in parser.items(name, raw=True)
           if key not in defaults or defaults[key] != value}
    for level in (own, defaults):
        for key in ("verifycert", "verifysslcert"):
            if _get(level, key):
                return _get(level, key)
    return ""


def _cs_profile(name: str, section: Mapping[str, str], source: str,
                env: Mapping[str, str]) -> Profile:
    endpoint = section.get("endpoint", "").strip()
    key = section.get("key", "").strip()
    secret = section.get("secret", "").strip()
    where = f"[{name}] in {source}"
    if not endpoint:
        raise ConfigError(f"{where} has no `endpoint`.")
    if not (key and secret):
        raise _no_keys(name, Path(source), False)
    verify = section.get("verify", "").strip()
    ca_bundle = None
    # cs reads its settings from the environment too, CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY with
    # them: either place turns verification off.
    verify_tls = not (_bool(section.get("dangerous_no_tls_verify"), False, where)
                      or _bool(env.get(ENV_NO_VERIFY), False, ENV_NO_VERIFY))
    # cs passes `verify` to requests: a boolean or the path of a CA bundle.
    if verify.lower() in _FALSE:
        verify_tls = False
    elif verify and verify.lower() not in _TRUE:
        ca_bundle = str(Path(verify).expanduser())
    return Profile(
        name=name,
        url=_normalise_url(endpoint, f"{where} endpoint"),
        api_key=key,
        secret_key=secret,
        source=source,
        verify_tls=verify_tls,
        timeout_s=_timeout(section.get("timeout"), f"{where} timeout"),
        ca_bundle=ca_bundle,
    )


def _no_keys(name: str, path: Path, has_login: bool) -> ConfigError:
    what = "a username and password but no API keys" if has_login else "no API key pair"
    return ConfigError(
        f"Profile {name!r} in {path} has {what}. atlas-tui signs its requests with an API key "
        "and secret key (apikey/secretkey in cmk, key/secret in cloudstack.ini); generate them "
        'in the CloudStack UI under your user ("Generate keys") or with '
        "`cmk register userkeys id=<your user id>`."
    )


def _get(section: Mapping[str, str], key: str) -> str:
    return _unquote(section.get(key, "") or "")


def _unquote(value: str) -> str:
    # cmk's ini library writes values containing # or ; in backticks, and accepts quotes.
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "`\"'":
        return value[1:-1]
    return value


def _normalise_url(url: str, where: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{where}: the endpoint must be an http:// or https:// URL, "
            f"e.g. https://cloud.example.com/client/api."
        )
    path = parts.path if parts.path not in ("", "/") else API_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shorten(api_key: str) -> str:
    return api_key[:6] + "…" if len(api_key) > 8 else "<short>"


def _bool(value: str | None, default: bool, where: str) -> bool:
    if value is None or not value.strip():
        return default
    lowered = _unquote(value).lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{where}: expected true or false, got {value.strip()!r}.")


def _timeout(value: str | None, where: str) -> float:
    if value is None or not value.strip():
        return DEFAULT_TIMEOUT_S
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{where}: expected a number of seconds, got {value!r}.") from None
    if not seconds > 0:
        raise ConfigError(f"{where}: the timeout must be more than 0 seconds.")
    return seconds

"""The one boundary for text from the API: what other people wrote is made safe here, once.

Names, display names and error texts are written by anyone in a shared account, by a
proxy, or by the server. None of their control characters (C0, C1, ESC, DEL), bidi
overrides or isolates, zero-width or line-separator characters may reach the terminal or
the clipboard. They are not dropped but shown in a visible form, so two names that differ
only there still look different: ESC becomes `␛`, a newline `␊`, U+202E `⟨U+202E⟩`.

`clean_json_text` works on an answer's JSON text before it is decoded: one regex pass
(C speed) that rewrites both the raw characters and their `\\uXXXX` escapes. Everything
decoded from that text, keys and values at any depth, is then clean, and the models built
from it need not think about it. `clean_text` does the same to one decoded string (HTTP
headers, exception texts, anything that did not come through a JSON body).
"""

from __future__ import annotations

import re

# C0 (but the visible forms of TAB/LF/CR are shown too: a name is one line), DEL, C1,
# the Arabic letter mark, zero-width and directional marks, line/paragraph separators,
# bidi embeddings/overrides and isolates, the BOM/zero-width no-break space.
_UNSAFE_CLASS = (
    "\x00-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
)
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")


def visible(ch: str) -> str:
    """The visible stand-in for one unsafe character."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ … ␟
    if code == 0x7F:
        return "␡"
    return f"⟨U+{code:04X}⟩"


def clean_text(value: str) -> str:
    """One string made safe to print and to copy: unsafe characters in visible form."""
    if _UNSAFE.search(value) is None:  # the common case costs one scan
        return value
    return _UNSAFE.sub(lambda m: visible(m.group()), value)


def clean_any(value: object) -> object:
    """`clean_text` applied to every string (keys too) inside decoded JSON."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_any(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_any(v) for v in value]
    return value


# In JSON text: an escaped backslash (kept as it is, so `\\u001b` stays the six
# characters it means), a \uXXXX escape (checked), a short escape of a control character
# (\b \f \n \r \t), or a raw unsafe character.
_JSON_TOKEN = re.compile(r"\\\\|\\u([0-9a-fA-F]{4})|\\([bfnrt])|" f"[{_UNSAFE_CLASS}]")
_SHORT_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _json_visible(ch: str) -> str:
    # The stand-ins are printable and need no JSON escaping (no quote, no backslash).
    return visible(ch)


def _replace(m: re.Match[str]) -> str:
    token = m.group()
    if token == "\\\\":
        return token
    short = m.group(2)
    if short is not None:
        return _json_visible(_SHORT_ESCAPES[short])
    escaped = m.group(1)
    if escaped is None:
        return _json_visible(token)
    ch = chr(int(escaped, 16))
    if _UNSAFE.match(ch) is None:
        return token  # a harmless escape (\u00e9, a surrogate half...) stays as written
    return _json_visible(ch)


def clean_json_text(text: str) -> str:
    """An answer's JSON text with every unsafe character, raw or escaped, made visible.

    Structural whitespace between tokens (newlines, tabs, CR) is rewritten too; JSON
    accepts the stand-ins nowhere outside strings, so a body pretty-printed with
    newlines must be handled: such whitespace is restored first."""
    if "\\" not in text and not _has_unsafe(text):
        return text
    return _JSON_TOKEN.sub(_replace, _protect_layout(text))


# Printable ASCII, deleted by bytes.translate: what is left of an ASCII text is unsafe.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def _has_unsafe(text: str) -> bool:
    """Whether `text` holds a raw unsafe character. A page of a list answer is ~300 KB of
    ASCII: there only C0 and DEL can be unsafe, and deleting the printable bytes (C speed,
    ~5x faster than the regex) leaves nothing."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _PRINTABLE_ASCII))
    return _UNSAFE.search(text) is not None


def _protect_layout(text: str) -> str:
    """Leave JSON layout (whitespace outside strings) alone: only strings are rewritten.

    Raw control characters are illegal inside JSON strings anyway, so a pretty-printed
    body's newlines and tabs are layout. Drop them (JSON never needs them) rather than
    turn them into visible stand-ins that would break decoding."""
    if not any(c in text for c in "\n\r\t"):
        return text
    return _LAYOUT.sub(_layout_keep, text)


# A whole JSON string literal (kept; its raw control characters get cleaned later) or a
# run of layout whitespace outside strings (replaced by one space).
_LAYOUT = re.compile(r'"(?:[^"\\]|\\.)*"|[\n\r\t]+', re.DOTALL)


def _layout_keep(m: re.Match[str]) -> str:
    token = m.group()
    return token if token.startswith('"') else " "

"""The text boundary: nothing unsafe survives an answer's decoding, and nothing safe changes."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from atlas_tui.cloud.api.text import clean_any, clean_json_text, clean_text

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@given(json_values, st.booleans(), st.booleans())
def test_decoded_answer_is_clean_and_equal_to_cleaning_each_string(
    value: object, ascii_only: bool, pretty: bool
) -> None:
    text = json.dumps({"listvolumesresponse": value}, ensure_ascii=ascii_only,
                      indent=2 if pretty else None)
    decoded = json.loads(clean_json_text(text))
    assert decoded == clean_any({"listvolumesresponse": value})
    assert not any(UNSAFE.search(s) for s in strings(decoded))


def test_hostile_examples_become_visible_and_stay_distinct() -> None:
    osc52 = "web\x1b]52;c;ZWNobyBoaQ==\x07"
    assert clean_text(osc52) == "web␛]52;c;ZWNobyBoaQ==␇"
    assert clean_text("a\nb") == "a␊b"
    assert clean_text("evil\u202egnp.exe") == "evil⟨U+202E⟩gnp.exe"
    assert clean_text("web-01") != clean_text("web-01\u200b")
    assert clean_text("x[/]y[") == "x[/]y["  # markup is not a control character: shown as is
    assert clean_text("\x9b31m") == "⟨U+009B⟩31m"  # C1 CSI


def test_escaped_backslash_before_u_is_text_not_an_escape() -> None:
    # The JSON for the six characters `\u001b` (a backslash, then "u001b") is not an ESC.
    text = json.dumps({"r": {"name": "\\u001b"}})
    assert json.loads(clean_json_text(text)) == {"r": {"name": "\\u001b"}}


def test_raw_control_characters_inside_strings_are_cleaned_not_a_decode_error() -> None:
    body = '{"r": {"name": "a\x1b[2Jb\tc"}}'
    assert json.loads(clean_json_text(body)) == {"r": {"name": "a␛[2Jb␉c"}}

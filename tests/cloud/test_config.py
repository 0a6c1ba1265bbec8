"""Config discovery: every source, precedence, and secrets kept out of every message."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from atlas_tui.cloud.api.config import ConfigError, Profile, discover, list_profiles

SECRET = "s3cr3t%Z9_tOpSecretValue-xyz"
SECRET2 = "another-S3CRET-value-9876"
KEY = "apikey-AAAABBBBCCCC"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def cmk(home: Path, text: str) -> Path:
    return write(home / ".cmk" / "config", text)


CMK_TWO_PROFILES = f"""
    prompt = 🐵
    asyncblock = true
    timeout = 1800
    output = json
    verifycert = true
    profile = atlas

    [localcloud]
    url = http://localhost:8080/client/api
    username = admin
    password = password
    domain = /
    apikey = local-key
    secretkey = {SECRET2}
    verifycert = false

    [atlas]
    url = https://api.atlas.example/client/api
    username =
    password =
    domain = /
    apikey = {KEY}
    secretkey = {SECRET}
    """

FULL_ENV = {
    "CLOUDSTACK_ENDPOINT": "https://env.example/client/api",
    "CLOUDSTACK_KEY": "env-key",
    "CLOUDSTACK_SECRET": SECRET,
}


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert SECRET2 not in text


# --- sources -------------------------------------------------------------------------------


def test_environment_variables(home: Path, cwd: Path) -> None:
    env = dict(FULL_ENV, CLOUDSTACK_TIMEOUT="12.5", CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY="true")
    profile = discover(env=env, home=home, cwd=cwd)
    assert profile == Profile(
        name="env",
        url="https://env.example/client/api",
        api_key="env-key",
        secret_key=SECRET,
        source="environment",
        verify_tls=False,
        timeout_s=12.5,
    )


def test_cmk_global_profile_selects_section(home: Path, cwd: Path) -> None:
    path = cmk(home, CMK_TWO_PROFILES)
    profile = discover(env={}, home=home, cwd=cwd)
    assert profile.name == "atlas"
    assert profile.url == "https://api.atlas.example/client/api"
    assert profile.api_key == KEY
    assert profile.secret_key == SECRET
    assert profile.source == str(path)
    assert profile.verify_tls is True  # the global verifycert applies
    # cmk's timeout (1800) is its async-job wait, not an HTTP timeout.
    assert profile.timeout_s == 30.0


def test_cmk_explicit_profile_and_section_verifycert(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    profile = discover("localcloud", env={}, home=home, cwd=cwd)
    assert (profile.name, profile.api_key, profile.secret_key) == (
        "localcloud",
        "local-key",
        SECRET2,
    )
    assert profile.verify_tls is False  # the section's own verifycert wins over the global


def test_cmk_without_global_profile_takes_first_section_with_keys(home: Path, cwd: Path) -> None:
    cmk(
        home,
        f"""
        output = json
        [nokeys]
        url = https://a.example/client/api
        username = admin
        password = pw
        [second]
        url = https://b.example/client/api
        apikey = k2
        secretkey = {SECRET}
        [third]
        url = https://c.example/client/api
        apikey = k3
        secretkey = {SECRET2}
        """,
    )
    assert discover(env={}, home=home, cwd=cwd).name == "second"


def test_legacy_cloudmonkey_config(home: Path, cwd: Path) -> None:
    path = write(
        home / ".cloudmonkey" / "config",
        f"""
        [core]
        profile = server
        asyncblock = true
        [ui]
        color = true
        [server]
        url = https://legacy.example/client/api
        apikey = legacy-key
        secretkey = {SECRET}
        verifysslcert = false
        """,
    )
    profile = discover(env={}, home=home, cwd=cwd)
    assert (profile.name, profile.source, profile.verify_tls) == ("server", str(path), False)


def test_cloudstack_ini_in_home(home: Path, cwd: Path) -> None:
    path = write(
        home / ".cloudstack.ini",
        f"""
        [cloudstack]
        endpoint = https://ini.example/client/api
        key = ini-key
        secret = {SECRET}
        timeout = 20
        """,
    )
    profile = discover(env={}, home=home, cwd=cwd)
    assert (profile.name, profile.url, profile.api_key, profile.secret_key) == (
        "cloudstack",
        "https://ini.example/client/api",
        "ini-key",
        SECRET,
    )
    assert (profile.source, profile.timeout_s) == (str(path), 20.0)


def test_cloudstack_ini_files_merge_later_wins(home: Path, cwd: Path, tmp_path: Path) -> None:
    write(
        home / ".cloudstack.ini",
        f"""
        [cloudstack]
        endpoint = https://home.example/client/api
        key = home-key
        secret = {SECRET}
        """,
    )
    write(cwd / "cloudstack.ini", "[cloudstack]\nkey = cwd-key\n")
    explicit = write(tmp_path / "elsewhere.ini", "[cloudstack]\nendpoint = https://cfg.example\n")

    from_cwd = discover(env={}, home=home, cwd=cwd)
    assert (from_cwd.url, from_cwd.api_key) == ("https://home.example/client/api", "cwd-key")

    env = {"CLOUDSTACK_CONFIG": str(explicit)}
    merged = discover(env=env, home=home, cwd=cwd)
    assert merged.url == "https://cfg.example/client/api"
    assert merged.api_key == "cwd-key"
    assert merged.secret_key == SECRET
    assert merged.source == str(explicit)


def test_cloudstack_region_selects_section(home: Path, cwd: Path) -> None:
    write(
        cwd / "cloudstack.ini",
        f"""
        [cloudstack]
        endpoint = https://default.example
        key = k1
        secret = {SECRET}
        [zurich]
        endpoint = https://zrh.example
        key = k2
        secret = {SECRET2}
        """,
    )
    profile = discover(env={"CLOUDSTACK_REGION": "zurich"}, home=home, cwd=cwd)
    assert (profile.name, profile.api_key) == ("zurich", "k2")
    # An explicit profile beats CLOUDSTACK_REGION.
    explicit = discover("cloudstack", env={"CLOUDSTACK_REGION": "zurich"}, home=home, cwd=cwd)
    assert explicit.api_key == "k1"


def test_cloudstack_ini_verify_settings(home: Path, cwd: Path) -> None:
    write(
        home / ".cloudstack.ini",
        f"""
        [insecure]
        endpoint = https://a.example
        key = k
        secret = {SECRET}
        dangerous_no_tls_verify = true
        [privateca]
        endpoint = https://b.example
        key = k
        secret = {SECRET}
        verify = /etc/ssl/private-ca.pem
        """,
    )
    insecure = discover("insecure", env={}, home=home, cwd=cwd)
    assert (insecure.verify_tls, insecure.ca_bundle) == (False, None)
    private = discover("privateca", env={}, home=home, cwd=cwd)
    assert (private.verify_tls, private.ca_bundle) == (True, "/etc/ssl/private-ca.pem")


# --- precedence ----------------------------------------------------------------------------


def test_environment_beats_cmk_and_ini(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    write(home / ".cloudstack.ini", "[cloudstack]\nendpoint = https://x\nkey = k\nsecret = s\n")
    assert discover(env=FULL_ENV, home=home, cwd=cwd).source == "environment"


def test_explicit_profile_skips_environment(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    profile = discover("atlas", env=FULL_ENV, home=home, cwd=cwd)
    assert profile.source.endswith("config")
    assert profile.api_key == KEY


def test_explicit_profile_ignores_broken_environment(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    env = dict(FULL_ENV, CLOUDSTACK_ENDPOINT="not a url")
    assert discover("atlas", env=env, home=home, cwd=cwd).name == "atlas"


def test_profile_env_selects_environment_over_cmk(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    assert discover("env", env=FULL_ENV, home=home, cwd=cwd).source == "environment"


def test_profile_env_without_variables_is_an_error(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    with pytest.raises(ConfigError, match="CLOUDSTACK_ENDPOINT"):
        discover("env", env={"CLOUDSTACK_KEY": "k"}, home=home, cwd=cwd)


def test_partial_environment_falls_through_to_cmk(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    profile = discover(env={"CLOUDSTACK_ENDPOINT": "https://x"}, home=home, cwd=cwd)
    assert profile.name == "atlas"


def test_cmk_beats_cloudstack_ini(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    write(home / ".cloudstack.ini", "[cloudstack]\nendpoint = https://x\nkey = k\nsecret = s\n")
    assert discover(env={}, home=home, cwd=cwd).name == "atlas"


def test_cmk_dir_beats_legacy_cloudmonkey(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    write(
        home / ".cloudmonkey" / "config", "[atlas]\nurl = https://old\napikey = o\nsecretkey = o\n"
    )
    assert discover("atlas", env={}, home=home, cwd=cwd).url.startswith("https://api.atlas")


def test_explicit_profile_found_in_cloudstack_ini(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    write(home / ".cloudstack.ini", "[lab]\nendpoint = https://lab\nkey = lab-key\nsecret = s\n")
    profile = discover("lab", env={}, home=home, cwd=cwd)
    assert (profile.api_key, profile.source) == ("lab-key", str(home / ".cloudstack.ini"))


def test_cmk_active_profile_without_keys_falls_through_to_ini(home: Path, cwd: Path) -> None:
    cmk(
        home,
        """
        profile = login
        [login]
        url = https://login.example/client/api
        username = admin
        password = pw
        """,
    )
    write(home / ".cloudstack.ini", "[cloudstack]\nendpoint = https://ini\nkey = k\nsecret = s\n")
    assert discover(env={}, home=home, cwd=cwd).name == "cloudstack"


# --- errors --------------------------------------------------------------------------------


def test_missing_explicit_profile_names_existing_ones(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    write(home / ".cloudstack.ini", f"[lab]\nendpoint = https://lab\nkey = k\nsecret = {SECRET}\n")
    with pytest.raises(ConfigError) as info:
        discover("nope", env=FULL_ENV, home=home, cwd=cwd)
    message = str(info.value)
    assert "'nope'" in message
    for name in ("env", "localcloud", "atlas", "lab"):
        assert name in message
    assert [name for name, _ in info.value.profiles] == ["env", "localcloud", "atlas", "lab"]
    assert_no_secret(message, info.value.help_text())


def test_username_password_profile_explains_api_keys(home: Path, cwd: Path) -> None:
    path = cmk(
        home,
        """
        profile = login
        [login]
        url = https://login.example/client/api
        username = admin
        password = hunter2%pw
        """,
    )
    with pytest.raises(ConfigError) as info:
        discover("login", env={}, home=home, cwd=cwd)
    message = str(info.value)
    assert "username and password but no API keys" in message
    assert str(path) in message
    assert "Generate keys" in message
    assert "hunter2" not in message and "hunter2" not in info.value.help_text()


def test_implicit_username_password_profile_is_explained_when_nothing_else(
    home: Path, cwd: Path
) -> None:
    cmk(home, "profile = login\n[login]\nurl = https://l\nusername = a\npassword = b\n")
    with pytest.raises(ConfigError, match=r"'login'.*username and password but no API keys"):
        discover(env={}, home=home, cwd=cwd)


def test_cmk_active_profile_missing_section_does_not_guess_another(home: Path, cwd: Path) -> None:
    # Acting on another cloud than the one cmk is pointed at would be worse than stopping.
    cmk(home, f"profile = gone\n[other]\nurl = https://o\napikey = k\nsecretkey = {SECRET}\n")
    with pytest.raises(ConfigError, match="names 'gone' as its profile") as info:
        discover(env={}, home=home, cwd=cwd)
    assert info.value.profiles == [("other", str(home / ".cmk" / "config"))]


def test_nothing_configured_lists_everything_looked_at(home: Path, cwd: Path) -> None:
    with pytest.raises(ConfigError) as info:
        discover(env={}, home=home, cwd=cwd)
    assert info.value.looked_at == [
        "CLOUDSTACK_ENDPOINT (not set)",
        "CLOUDSTACK_KEY (not set)",
        "CLOUDSTACK_SECRET (not set)",
        f"{home}/.cmk/config (not found)",
        f"{home}/.cloudmonkey/config (not found)",
        f"{home}/.cloudstack.ini (not found)",
        f"{cwd}/cloudstack.ini (not found)",
        "CLOUDSTACK_CONFIG (not set)",
        "CLOUDSTACK_REGION (not set)",
    ]
    help_text = info.value.help_text()
    for item in info.value.looked_at:
        assert item in help_text
    # How to set it up: the cmk profile format, the cs ini, the variables, and the demo.
    assert "[atlas]\n       url = https://cloud.example.com/client/api" in help_text
    assert "apikey = " in help_text and "secretkey = " in help_text
    assert "[cloudstack]\n       endpoint = " in help_text
    assert "export CLOUDSTACK_SECRET=" in help_text
    assert "atlas-tui --demo" in help_text


def test_looked_at_records_found_files_and_set_variables(
    home: Path, cwd: Path, tmp_path: Path
) -> None:
    cmk(home, "output = json\n")  # exists, no profiles
    env = {
        "CLOUDSTACK_KEY": "k",
        "CLOUDSTACK_CONFIG": str(tmp_path / "missing.ini"),
        "CLOUDSTACK_REGION": "zurich",
    }
    with pytest.raises(ConfigError) as info:
        discover(env=env, home=home, cwd=cwd)
    assert info.value.looked_at == [
        "CLOUDSTACK_ENDPOINT (not set)",
        "CLOUDSTACK_KEY (set)",
        "CLOUDSTACK_SECRET (not set)",
        f"{home}/.cmk/config (found)",
        f"{home}/.cloudmonkey/config (not found)",
        f"{home}/.cloudstack.ini (not found)",
        f"{cwd}/cloudstack.ini (not found)",
        f"{tmp_path}/missing.ini (from CLOUDSTACK_CONFIG, not found)",
        "CLOUDSTACK_REGION (set)",
    ]
    assert "Only some of CLOUDSTACK_ENDPOINT" in str(info.value)


def test_malformed_file_reports_line_not_content(home: Path, cwd: Path) -> None:
    # A secret pasted on a line of its own: configparser would quote it in its message.
    cmk(home, f"profile = atlas\n[atlas]\nurl = https://a\napikey = k\n{SECRET}\n")
    with pytest.raises(ConfigError) as info:
        discover(env={}, home=home, cwd=cwd)
    message = str(info.value)
    assert "not a valid INI file at line 5" in message
    assert str(home / ".cmk" / "config") in message
    assert_no_secret(message, info.value.help_text(), repr(info.value))
    assert f"{home}/.cloudstack.ini (not found)" in info.value.looked_at


def test_endpoint_without_scheme_is_an_error(home: Path, cwd: Path) -> None:
    write(home / ".cloudstack.ini", f"[lab]\nendpoint = lab.example\nkey = k\nsecret = {SECRET}\n")
    with pytest.raises(ConfigError, match="http:// or https://"):
        discover("lab", env={}, home=home, cwd=cwd)


# --- parsing details -----------------------------------------------------------------------


def test_percent_in_secret_is_kept_verbatim(home: Path, cwd: Path) -> None:
    cmk(home, "[p]\nurl = https://p\napikey = k\nsecretkey = a%b%%c%(x)s\n")
    write(home / ".cloudstack.ini", "[q]\nendpoint = https://q\nkey = k\nsecret = 50%off%(y)s\n")
    assert discover("p", env={}, home=home, cwd=cwd).secret_key == "a%b%%c%(x)s"
    assert discover("q", env={}, home=home, cwd=cwd).secret_key == "50%off%(y)s"


def test_backtick_quoted_cmk_value_is_unquoted(home: Path, cwd: Path) -> None:
    # cmk's ini library writes values containing # or ; between backticks.
    cmk(home, "[p]\nurl = https://p\napikey = k\nsecretkey = `ab#cd;ef`\n")
    assert discover("p", env={}, home=home, cwd=cwd).secret_key == "ab#cd;ef"


def test_utf8_bom_before_cmk_globals(home: Path, cwd: Path) -> None:
    path = home / ".cmk" / "config"
    path.parent.mkdir()
    path.write_bytes(
        b"\xef\xbb\xbfprofile = b\n[a]\nurl = https://a\napikey = 1\nsecretkey = 1\n"
        b"[b]\nurl = https://b\napikey = 2\nsecretkey = 2\n"
    )
    assert discover(env={}, home=home, cwd=cwd).name == "b"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://cloud.example", "https://cloud.example/client/api"),
        ("https://cloud.example/", "https://cloud.example/client/api"),
        ("http://10.0.0.1:8080", "http://10.0.0.1:8080/client/api"),
        ("https://cloud.example/client/api", "https://cloud.example/client/api"),
        (
            "https://cloud.example/compute/v1/client/api",
            "https://cloud.example/compute/v1/client/api",
        ),
    ],
)
def test_url_normalisation(home: Path, cwd: Path, given: str, expected: str) -> None:
    env = dict(FULL_ENV, CLOUDSTACK_ENDPOINT=given)
    assert discover(env=env, home=home, cwd=cwd).url == expected


def test_host_property() -> None:
    profile = Profile("p", "https://u:pw@cloud.example:8443/client/api", "k", SECRET, "x")
    assert profile.host == "cloud.example:8443"
    assert Profile("p", "https://cloud.example/client/api", "k", SECRET, "x").host == (
        "cloud.example"
    )


# --- secrets -------------------------------------------------------------------------------


def test_profile_repr_str_and_redacted_hide_the_secret(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    profile = discover(env={}, home=home, cwd=cwd)
    assert profile.secret_key == SECRET  # the value is there for signing...
    redacted = profile.redacted()
    for text in (repr(profile), str(profile), f"{profile}", str(redacted), repr([profile])):
        assert_no_secret(text)  # ...and nowhere else
        assert KEY not in text  # the API key is shortened
    assert "atlas" in repr(profile) and "api.atlas.example" in repr(profile)
    assert redacted["secret_key"] == "<redacted>"
    assert redacted["api_key"] == KEY[:6] + "…"


def test_error_messages_never_contain_secrets(home: Path, cwd: Path) -> None:
    cmk(home, CMK_TWO_PROFILES)
    write(home / ".cloudstack.ini", f"[lab]\nendpoint = https://lab\nkey = k\nsecret = {SECRET}\n")
    errors = []
    for profile, env in (("nope", FULL_ENV), ("env", {"CLOUDSTACK_SECRET": SECRET})):
        with pytest.raises(ConfigError) as info:
            discover(profile, env=env, home=home, cwd=cwd)
        errors.append(info.value)
    for error in errors:
        assert_no_secret(str(error), repr(error), error.help_text(), *error.looked_at)
    # The variable is named as set, its value is not shown.
    assert "CLOUDSTACK_SECRET (set)" in errors[1].looked_at


# --- list_profiles -------------------------------------------------------------------------


def test_list_profiles_in_discovery_order_without_duplicates(home: Path, cwd: Path) -> None:
    cmk_path = cmk(home, CMK_TWO_PROFILES)
    legacy = write(
        home / ".cloudmonkey" / "config",
        "[core]\nprofile = atlas\n[atlas]\nurl = https://old\n[old]\nurl = https://old\n",
    )
    ini = write(
        home / ".cloudstack.ini",
        "[cloudstack]\nendpoint = https://x\nkey = k\nsecret = s\n[noendpoint]\nkey = k\n",
    )
    assert list_profiles(env=FULL_ENV, home=home, cwd=cwd) == [
        ("env", "environment"),
        ("localcloud", str(cmk_path)),
        ("atlas", str(cmk_path)),
        ("old", str(legacy)),
        ("cloudstack", str(ini)),
    ]


def test_list_profiles_empty(home: Path, cwd: Path) -> None:
    assert list_profiles(env={}, home=home, cwd=cwd) == []


def test_list_profiles_malformed_file_raises_config_error(home: Path, cwd: Path) -> None:
    write(home / ".cloudstack.ini", "no section header here\n")
    with pytest.raises(ConfigError, match=r"\.cloudstack\.ini is not a valid INI file at line 1"):
        list_profiles(env={}, home=home, cwd=cwd)


# --- TLS switches and the transport warning -------------------------------------------------


def cmk_atlas(home: Path, globals_: str, section: str) -> Profile:
    cmk(home, f"""
        {globals_}
        profile = atlas

        [atlas]
        url = https://api.atlas.example/client/api
        apikey = {KEY}
        secretkey = {SECRET}
        {section}
        """)
    return discover(env={}, home=home)


@pytest.mark.parametrize(("globals_", "section", "verified"), [
    ("", "", True),  # verification is on unless a switch turns it off
    ("", "verifysslcert = false", False),  # cloudmonkey's spelling, in the profile
    ("verifysslcert = false", "", False),  # ... or in the globals
    ("", "verifycert = false", False),  # cmk's spelling
    ("verifycert = false", "", False),
    ("verifycert = true", "verifysslcert = false", False),  # cmk writes the global `true`
    ("verifycert = false", "verifycert = true", True),  # the profile's own choice wins
])
def test_cmk_tls_switches(home: Path, globals_: str, section: str, verified: bool) -> None:
    profile = cmk_atlas(home, globals_, section)
    assert profile.verify_tls is verified
    assert profile.transport_warning == (None if verified else "TLS NOT VERIFIED")


def test_cloudstack_ini_verify_false(home: Path, cwd: Path) -> None:
    write(home / ".cloudstack.ini", f"""
        [cloudstack]
        endpoint = https://a.example/client/api
        key = k
        secret = {SECRET}
        verify = false
        """)
    profile = discover(env={}, home=home, cwd=cwd)
    assert (profile.verify_tls, profile.ca_bundle) == (False, None)
    assert profile.transport_warning == "TLS NOT VERIFIED"


@pytest.mark.parametrize(("value", "verified"), [
    ("1", False), ("true", False), ("yes", False), ("0", True), ("false", True), ("", True)])
def test_environment_no_verify_switch(home: Path, cwd: Path, value: str, verified: bool) -> None:
    env = FULL_ENV | {"CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY": value}
    assert discover(env=env, home=home, cwd=cwd).verify_tls is verified


def test_environment_no_verify_switch_applies_to_cloudstack_ini(home: Path, cwd: Path) -> None:
    # As in `cs`, which reads its settings from the environment and cloudstack.ini alike.
    write(home / ".cloudstack.ini", f"""
        [cloudstack]
        endpoint = https://a.example/client/api
        key = k
        secret = {SECRET}
        """)
    env = {"CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY": "true"}
    assert discover(env=env, home=home, cwd=cwd).verify_tls is False
    assert discover(env={}, home=home, cwd=cwd).verify_tls is True


@pytest.mark.parametrize(("url", "verify", "warning"), [
    ("https://api.atlas.example/client/api", True, None),
    ("https://api.atlas.example/client/api", False, "TLS NOT VERIFIED"),
    ("http://api.atlas.example/client/api", True, "UNENCRYPTED"),
    ("http://10.1.2.3:8080/client/api", True, "UNENCRYPTED"),
    ("http://127.0.0.1:8080/client/api", True, None),  # loopback: the demo, a tunnel
    ("http://localhost:8080/client/api", False, None),
    ("http://[::1]:8080/client/api", True, None),
    ("http://user:pw@127.0.0.1.evil.example/client/api", True, "UNENCRYPTED"),
])
def test_transport_warning(url: str, verify: bool, warning: str | None) -> None:
    profile = Profile(name="p", url=url, api_key="k", secret_key=SECRET, source="test",
                      verify_tls=verify)
    assert profile.transport_warning == warning


def test_redacted_profile_hides_url_credentials() -> None:
    profile = Profile(name="p", url="https://alice:hunter2@h.example/client/api?token=T0KEN",
                      api_key=KEY, secret_key=SECRET, source="test")
    shown = repr(profile) + str(profile.redacted()) + profile.display_url + profile.host
    assert "hunter2" not in shown and "alice" not in shown and "T0KEN" not in shown
    assert "h.example/client/api" in profile.display_url

"""TLS: the documented switches turn verification off for real (cs ignores `verify=False`,
so before they were silently ignored), and the header says so in the error colour; a plain
http:// endpoint off this machine is called UNENCRYPTED.

The simulator serves HTTPS here with a self-signed certificate made for the test, so a
verifying client must refuse it and a non-verifying one must get through.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from rich.color import Color
from rich.style import Style

from atlas_tui.app import AtlasApp, Launch
from atlas_tui.cloud.api.config import Profile, discover
from atlas_tui.settings import Settings
from atlas_tui.sim import SimServer
from atlas_tui.sim.protocol import Protocol
from atlas_tui.ui.screens.instances import InstancesScreen
from atlas_tui.ui.screens.start import ConnectErrorScreen
from atlas_tui.ui.widgets.chrome import AtlasHeader
from tests.conftest import make_sim
from tests.helpers import bound_port
from tests.ui.helpers import loaded, screen_text, until


@pytest.fixture
async def tls_sim(tmp_path: Path) -> AsyncIterator[tuple[SimServer, str]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sim = make_sim(speed=0)
    runner = web.AppRunner(Protocol(sim.core).app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = bound_port(site)
    yield sim, f"https://127.0.0.1:{port}/client/api"
    await runner.cleanup()


def warning_style(app: AtlasApp, word: str) -> Style:
    header = app.screen.query_one(AtlasHeader)
    text = header.render()
    [span] = [s for s in text.spans if text.plain[s.start:s.end].strip() == word]
    return Style.parse(str(span.style))


def switch_profile(how: str, url: str, sim: SimServer, home: Path) -> Profile:
    """The profile as discovery makes it from each documented switch."""
    home.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {}
    if how == "cmk verifysslcert":
        (home / ".cmk").mkdir()
        (home / ".cmk" / "config").write_text(textwrap.dedent(f"""\
            verifycert = true
            profile = atlas
            [atlas]
            url = {url}
            apikey = {sim.api_key}
            secretkey = {sim.secret_key}
            verifysslcert = false
            """))
    elif how == "cs verify":
        (home / ".cloudstack.ini").write_text(textwrap.dedent(f"""\
            [cloudstack]
            endpoint = {url}
            key = {sim.api_key}
            secret = {sim.secret_key}
            verify = false
            """))
    else:
        env = {"CLOUDSTACK_ENDPOINT": url, "CLOUDSTACK_KEY": sim.api_key,
               "CLOUDSTACK_SECRET": sim.secret_key, "CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY": "1"}
    return discover(env=env, home=home, cwd=home)


@pytest.mark.parametrize("how", ["cmk verifysslcert", "cs verify",
                                 "CLOUDSTACK_DANGEROUS_NO_TLS_VERIFY"])
async def test_each_switch_turns_verification_off_and_the_header_says_so(
    tls_sim: tuple[SimServer, str], tmp_path: Path, how: str,
) -> None:
    sim, url = tls_sim
    profile = switch_profile(how, url, sim, tmp_path / "switch-home")
    assert profile.verify_tls is False
    app = AtlasApp(Launch(), profile=profile, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)  # the self-signed certificate was accepted
        assert "TLS NOT VERIFIED" in screen_text(app)
        style = warning_style(app, "TLS NOT VERIFIED")
        assert style.bgcolor == Color.parse(app.current_theme.error or "red")


async def test_verification_stays_on_by_default(tls_sim: tuple[SimServer, str]) -> None:
    sim, url = tls_sim
    profile = Profile(name="p", url=url, api_key=sim.api_key, secret_key=sim.secret_key,
                      source="test", timeout_s=3)
    app = AtlasApp(Launch(), profile=profile, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectErrorScreen), timeout=30)
        await pilot.pause(0.1)
        assert "TLS error" in screen_text(app)


async def test_default_verification_builds_no_context_in_the_loop_and_a_ca_bundle_is_used(
    tls_sim: tuple[SimServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default (system CAs) uses aiohttp's verified context, made at import: building
    one more while connecting read every CA certificate in the event loop (~50 ms, the
    longest stall of a load). It still refuses the self-signed certificate (above); a CA
    bundle naming that certificate gets a context of its own, and through."""
    sim, url = tls_sim
    made: list[object] = []
    real = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        made.append(kwargs.get("cafile"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl, "create_default_context", counting)
    plain = Profile(name="p", url=url, api_key=sim.api_key, secret_key=sim.secret_key,
                    source="test", timeout_s=3)
    app = AtlasApp(Launch(), profile=plain, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectErrorScreen), timeout=30)
    assert made == []
    bundle = Profile(name="p", url=url, api_key=sim.api_key, secret_key=sim.secret_key,
                     source="test", timeout_s=3, ca_bundle=str(tmp_path / "cert.pem"))
    app = AtlasApp(Launch(), profile=bundle, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)  # verified against the bundle
    assert str(tmp_path / "cert.pem") in made


def non_loopback_address() -> str | None:
    # A UDP "connect" sends nothing; it only picks the interface a packet would leave by.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


async def test_plain_http_off_this_machine_is_called_unencrypted() -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    sim = make_sim(speed=0)
    endpoint = await sim.start(host=address)
    try:
        profile = Profile(name="p", url=endpoint, api_key=sim.api_key,
                          secret_key=sim.secret_key, source="test")
        app = AtlasApp(Launch(), profile=profile, settings=Settings())
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot, InstancesScreen)
            text = screen_text(app)
            assert "UNENCRYPTED" in text and "TLS NOT VERIFIED" not in text
            style = warning_style(app, "UNENCRYPTED")
            assert style.bgcolor == Color.parse(app.current_theme.error or "red")
    finally:
        await sim.stop()


async def test_loopback_http_has_no_warning(sim: SimServer) -> None:
    profile = Profile(name="p", url=sim.endpoint, api_key=sim.api_key,
                      secret_key=sim.secret_key, source="test")
    app = AtlasApp(Launch(), profile=profile, settings=Settings())
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, InstancesScreen)
        text = screen_text(app)
        assert "UNENCRYPTED" not in text and "NOT VERIFIED" not in text

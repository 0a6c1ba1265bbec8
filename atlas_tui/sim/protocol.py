"""HTTP: the CloudStack endpoint ``/client/api`` (GET and POST) and the ``/sim/`` controls.

Parameters are the query string merged with a form body (first value wins). ``response=json``
gives JSON; without it the answer is a minimal XML rendering of the same object, as the real
server defaults to XML. Like the management server (its Jetty is set not to send one:
``ServerDaemon.java`` ~195 ``setSendDateHeader(false)``), API answers carry no ``Date`` header,
unless ``date_header`` asks for one from the simulated clock, as a proxy in front would add.

Control endpoints (not CloudStack; for tests and benchmarks driving a sim in another process):

    GET    /sim/clock                 {"now": ISO time, "speed": x}
    POST   /sim/clock/advance         {"seconds": N}   -> {"now": ...}
    GET    /sim/faults                the installed rules with their counters
    POST   /sim/faults                {"spec": "..."}  -> 200 {"rules": [...]}, 400 {"error"}
    DELETE /sim/faults                remove every rule
    GET    /sim/settings              the global settings
    POST   /sim/settings              {"name": "value", ...} -> the settings
    GET    /sim/stats                 {"requests": N, "calls": {cmd: n}, "jobs": {...},
                                       "dripping": answers still being dripped, ...}
    POST   /sim/stats/reset           zero the request and call counters
"""

from __future__ import annotations

import asyncio
import json
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from .core import SimCore
from .delivery import deliver
from .faults import truncate_text
from .render import fmt_date

JSON_TYPE = "application/json; charset=UTF-8"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _xml(name: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml(k, v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list):
        return "".join(_xml(name, v) for v in value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(str(value))}</{name}>"


def to_xml(body: dict[str, Any], version: str = "4.22.0.0") -> str:
    [(root, content)] = body.items()
    inner = "".join(_xml(k, v) for k, v in content.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<{root} cloud-stack-version="{version}">{inner}</{root}>'
    )


class Protocol:
    def __init__(self, core: SimCore, date_header: bool = False) -> None:
        self.core = core
        self.date_header = date_header

    def _date(self) -> str:
        return format_datetime(self.core.clock.now().replace(microsecond=0), usegmt=True)

    async def api(self, request: web.Request) -> web.StreamResponse:
        raw: dict[str, str] = {}
        for name, value in request.query.items():
            raw.setdefault(name, value)
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            for name, field in form.items():
                if isinstance(field, str):
                    raw.setdefault(name, field)
        command = raw.get("command")
        faults = self.core.faults
        delay = faults.latency_ms(command)
        if delay > 0:
            await asyncio.sleep(delay / 1000.0)
        if faults.drop(command, "before"):
            return self._drop(request)
        proxy_page = faults.html_error(command)
        if proxy_page is not None:  # a proxy answers: the request never reached the server
            return web.Response(status=proxy_page[0], text=proxy_page[1], content_type="text/html",
                                headers={"Date": self._date()})
        status, body = self.core.execute(raw)
        if faults.drop(command, "after"):
            return self._drop(request)
        headers = {"Date": self._date()} if self.date_header else {}
        if status != 200:
            [content] = body.values()
            text = str(content.get("errortext", ""))
            headers["X-Description"] = text.encode("latin-1", "replace").decode("latin-1")
        wants_json = (
            next((v for k, v in raw.items() if k.lower() == "response"), "").lower() == "json"
        )
        if wants_json and status == 200:
            body, cut = faults.malformed(command, body)
            if cut:  # a whole HTTP answer whose JSON ends in the middle
                headers["Content-Type"] = JSON_TYPE
                return web.Response(status=200, text=truncate_text(_dumps(body)), headers=headers)
        if wants_json:
            headers["Content-Type"] = JSON_TYPE
            return await self._send(request, command, status, _dumps(body), headers)
        headers["Content-Type"] = "text/xml; charset=UTF-8"
        version = self.core.state.view.version_text
        return await self._send(request, command, status, to_xml(body, version), headers)

    async def _send(self, request: web.Request, command: str | None, status: int, text: str,
                    headers: dict[str, str]) -> web.StreamResponse:
        """The answer, as is or (delivery faults: drip, cut) the way a broken proxy sends it."""
        how = self.core.faults.delivery(command)
        if how is not None:
            return await deliver(request, status, text, headers, how, self.core.faults)
        return web.Response(status=status, text=text, headers=headers)

    def _drop(self, request: web.Request) -> web.StreamResponse:
        transport = request.transport
        if transport is not None:
            transport.abort()  # no status line, no body: the client sees a dropped connection
        raise asyncio.CancelledError

    # control endpoints -------------------------------------------------------------------
    def _json(self, obj: Any, status: int = 200) -> web.Response:
        return web.Response(
            status=status,
            text=_dumps(obj),
            headers={"Content-Type": JSON_TYPE, "Date": self._date()},
        )

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        try:
            data = await request.json()
        except (ValueError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    async def clock(self, request: web.Request) -> web.Response:
        clock = self.core.clock
        return self._json({"now": fmt_date(clock.now()), "speed": clock.speed})

    async def advance(self, request: web.Request) -> web.Response:
        data = await self._body(request)
        try:
            seconds = float(data.get("seconds", 0))
            self.core.clock.advance(seconds)
        except (TypeError, ValueError) as err:
            return self._json({"error": str(err)}, 400)
        return self._json({"now": fmt_date(self.core.clock.now())})

    async def faults_get(self, request: web.Request) -> web.Response:
        return self._json({"rules": self.core.faults.describe()})

    async def faults_post(self, request: web.Request) -> web.Response:
        data = await self._body(request)
        try:
            rules = self.core.faults.parse(str(data.get("spec", "")))
        except ValueError as err:
            return self._json({"error": str(err)}, 400)
        return self._json({"rules": [r.describe() for r in rules]})

    async def faults_delete(self, request: web.Request) -> web.Response:
        self.core.faults.clear()
        return self._json({"rules": []})

    async def settings_get(self, request: web.Request) -> web.Response:
        return self._json(self.core.state.settings)

    async def settings_post(self, request: web.Request) -> web.Response:
        data = await self._body(request)
        with self.core.state.lock:
            self.core.state.settings.update({str(k): str(v) for k, v in data.items()})
            self.core.state.touch()
        return self._json(self.core.state.settings)

    async def stats(self, request: web.Request) -> web.Response:
        state = self.core.state
        with state.lock:
            jobs = state.jobs.values()
            body = {
                "requests": state.requests,
                "calls": dict(sorted(state.calls.items())),
                "jobs": {
                    "total": len(state.jobs),
                    "pending": sum(1 for j in jobs if j.status == 0),
                    "succeeded": sum(1 for j in jobs if j.status == 1),
                    "failed": sum(1 for j in jobs if j.status == 2),
                },
                "scheduler": dict(self.core.scheduler.counts),
                "events": state.pending_events(),
                "dripping": self.core.faults.dripping,  # answers a drip fault is still sending
                "resources": {
                    "vms": len(state.vms),
                    "volumes": len(state.volumes),
                    "snapshots": len(state.snapshots),
                    "policies": len(state.policies),
                    "vmsnapshots": len(state.vmsnapshots),
                },
            }
        return self._json(body)

    async def stats_reset(self, request: web.Request) -> web.Response:
        with self.core.state.lock:
            self.core.state.requests = 0
            self.core.state.calls.clear()
        return self._json({"requests": 0})

    async def _strip_date(self, request: web.Request, response: web.StreamResponse) -> None:
        # aiohttp adds a Date of its own (real time); the management server sends none.
        if not self.date_header and request.path.startswith("/client/"):
            response.headers.popall("Date", None)

    def app(self) -> web.Application:
        app = web.Application()
        app.on_response_prepare.append(self._strip_date)
        app.router.add_route("GET", "/client/api", self.api)
        app.router.add_route("POST", "/client/api", self.api)
        app.router.add_route("GET", "/client/api/", self.api)
        app.router.add_route("POST", "/client/api/", self.api)
        app.router.add_get("/sim/clock", self.clock)
        app.router.add_post("/sim/clock/advance", self.advance)
        app.router.add_get("/sim/faults", self.faults_get)
        app.router.add_post("/sim/faults", self.faults_post)
        app.router.add_delete("/sim/faults", self.faults_delete)
        app.router.add_get("/sim/settings", self.settings_get)
        app.router.add_post("/sim/settings", self.settings_post)
        app.router.add_get("/sim/stats", self.stats)
        app.router.add_post("/sim/stats/reset", self.stats_reset)
        return app

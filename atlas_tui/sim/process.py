"""The simulator in its own process, for benchmarks (so their figures are the app's alone)
and for tests that kill the app but must keep the cloud running.

    with SimProcess(seed="scale:10000", speed=0) as sim:
        sim.endpoint, sim.api_key, sim.secret_key
        sim.control("/sim/stats")                       # the /sim/ control endpoints
        sim.control("/sim/faults", "POST", {"spec": "drop:attachVolume"})

The process always ends when the block does (terminate, then kill).
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from types import TracebackType
from typing import Any


class SimProcess:
    def __init__(self, *, seed: str = "demo", speed: float = 30.0,
                 api_key: str | None = None, secret_key: str | None = None,
                 extra: list[str] | None = None, ready_timeout_s: float = 120.0) -> None:
        self.api_key = api_key or secrets.token_urlsafe(32)
        self.secret_key = secret_key or secrets.token_urlsafe(32)
        self._args = [sys.executable, "-m", "atlas_tui.sim", "--host", "127.0.0.1",
                      "--port", "0", "--seed", seed, "--speed", str(speed),
                      f"--api-key={self.api_key}", f"--secret-key={self.secret_key}",
                      *(extra or [])]
        self._ready_timeout_s = ready_timeout_s
        self.proc: subprocess.Popen[str] | None = None
        self.endpoint = ""
        self.base = ""  # http://127.0.0.1:PORT, for /sim/ control calls
        self._err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in stop()

    def start(self) -> SimProcess:
        self.proc = subprocess.Popen(self._args, stdout=subprocess.PIPE, stderr=self._err,
                                     text=True)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self._ready_timeout_s
        # The banner's first line names the endpoint; a big seed takes a while to print it.
        for line in self.proc.stdout:
            match = re.search(r"listening on (\S+)", line)
            if match:
                self.endpoint = match.group(1)
                break
            if time.monotonic() > deadline:
                break
        if not self.endpoint:
            self.stop()
            self._err.seek(0)
            raise RuntimeError(f"the simulator did not start:\n{self._err.read()}")
        self.base = self.endpoint.rsplit("/client/api", 1)[0]
        # Keep reading what it prints, so a full pipe never blocks the server.
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for _line in self.proc.stdout:
            pass

    def control(self, path: str, method: str = "GET", body: dict[str, Any] | None = None,
                ) -> dict[str, Any]:
        return self.call(self.base, path, method, body)

    @staticmethod
    def call(base: str, path: str, method: str = "GET", body: dict[str, Any] | None = None,
             ) -> dict[str, Any]:
        """A /sim/ control call on the simulator at `base` (http://host:port)."""
        data = json.dumps(body).encode() if body is not None else (
            b"" if method == "POST" else None)
        request = urllib.request.Request(base + path, method=method, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


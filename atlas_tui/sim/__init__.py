"""An Apache CloudStack management server in miniature, for demos and tests.

It speaks the real wire protocol (signed GET/POST on ``/client/api``, JSON shapes, async jobs)
so the ``cs`` library, apache-libcloud and atlas-tui's own client work against it unchanged.
It imports nothing from ``atlas_tui.cloud`` or ``atlas_tui.ui``.

    sim = SimServer(seed="demo", speed=30.0)
    await sim.start()            # or sim.start_in_thread()
    sim.endpoint                 # http://127.0.0.1:PORT/client/api
"""

from .server import DEMO_API_KEY, DEMO_SECRET_KEY, SimServer

__all__ = ["DEMO_API_KEY", "DEMO_SECRET_KEY", "SimServer"]

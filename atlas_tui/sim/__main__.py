"""``python -m atlas_tui.sim ...``: the standalone simulator."""

import sys

from .cli import main

raise SystemExit(main(sys.argv[1:]))

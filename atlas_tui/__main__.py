from atlas_tui.cli import main

raise SystemExit(main())

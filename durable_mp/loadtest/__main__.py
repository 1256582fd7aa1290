"""`python -m durable_mp.loadtest`: see durable_mp.loadtest.cli."""

from durable_mp.loadtest.cli import main

raise SystemExit(main())

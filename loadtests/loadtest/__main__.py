"""`python -m loadtests.loadtest`: see loadtests.loadtest.cli."""

from loadtests.loadtest.cli import main

raise SystemExit(main())

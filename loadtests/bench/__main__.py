"""`python -m loadtests.bench`: see loadtests.bench.main."""

from loadtests.bench.main import main

raise SystemExit(main())

"""`python -m durable_mp.cli` = the `durable-mp` command."""

import sys

from durable_mp.cli import main

sys.exit(main())

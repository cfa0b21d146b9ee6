"""`python -m agents` is the `wirewatch` command."""

import sys

from agents.cli import main

if __name__ == "__main__":  # not when a spawned child process (the enrich pool) re-imports the main module
    sys.exit(main())

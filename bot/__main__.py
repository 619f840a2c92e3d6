"""Run the command line: ``python -m bot``."""

import sys

from bot.cli import main

# guarded: a reindex's worker processes (spawned) import this module again, and must not run the command again
if __name__ == "__main__":
    sys.exit(main())

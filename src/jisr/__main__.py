"""``python -m jisr``: the ``jisr`` command, for a computer where Python's scripts folder is not on PATH."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

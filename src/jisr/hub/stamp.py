"""The hub's arrival stamps: when each submission reached the exchange, by the hub's clock.

nbgrader's ``submit`` runs in the learner's own server and writes the
learner's own ``timestamp.txt``: a learner can change it, or the clock it
comes from. This service runs inside the hub (as the hub's user, which no
learner is) and looks at the exchange's ``inbound`` folders every second; it
writes one line per new submission to a ledger that only the hub can write::

    {"course": "class-ar", "submission": "amina+what-is-ai+2026-...+abc", "arrived": "2026-12-03 12:40:01.123456 UTC"}

``jisr hub collect`` then records these times, not the learner's, in the
course (see :mod:`.exchange`). A submission already there when the service
starts (the hub was down) is stamped with ``"late_seen": true``.

Run by the hub: ``python -m jisr.hub.stamp EXCHANGE LEDGER``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader's own format
INTERVAL = 1.0


def now_text() -> str:
    return datetime.now(timezone.utc).strftime(STAMP_FORMAT)


def read_ledger(ledger: Path) -> dict[tuple[str, str], dict]:
    """(course id, submission folder name) -> its ledger line."""
    seen: dict[tuple[str, str], dict] = {}
    try:
        lines = ledger.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return seen
    for line in lines:
        try:
            entry = json.loads(line)
            seen[(entry["course"], entry["submission"])] = entry
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a crash: the next scan stamps that submission again
    return seen


def scan(exchange: Path) -> list[tuple[str, str]]:
    """(course id, submission folder name) of every submission in the exchange now."""
    found = []
    for inbound in sorted(exchange.glob("*/inbound")):
        try:
            names = os.listdir(inbound)
        except OSError:
            continue
        found.extend((inbound.parent.name, name) for name in names if name.count("+") >= 2)
    return found


def stamp_new(exchange: Path, ledger: Path, seen: dict, *, first: bool = False) -> int:
    """Append a line for each submission not yet in the ledger; return how many."""
    new = [key for key in scan(exchange) if key not in seen]
    if not new:
        return 0
    moment = now_text()
    with open(ledger, "a", encoding="utf-8") as handle:
        for course, name in new:
            entry = {"course": course, "submission": name, "arrived": moment}
            if first:
                entry["late_seen"] = True
            handle.write(json.dumps(entry) + "\n")
            seen[(course, name)] = entry
        handle.flush()
        os.fsync(handle.fileno())
    return len(new)


def main(argv: list[str]) -> int:
    exchange, ledger = Path(argv[0]), Path(argv[1])
    ledger.touch(mode=0o644, exist_ok=True)
    seen = read_ledger(ledger)
    first = True
    while True:
        stamp_new(exchange, ledger, seen, first=first)
        first = False
        time.sleep(INTERVAL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

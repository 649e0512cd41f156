"""What a notebook costs to run: wall time, peak memory and an energy estimate.

Frugal AI starts with measuring. Figures are for the whole kernel process,
imports included, because that is what a learner's computer pays.
"""

from __future__ import annotations

import resource
import sys
import time
from dataclasses import dataclass

ASSUMED_CPU_WATTS = 15.0
"""Extra power drawn by a small laptop's processor when busy (an assumption, stated to the learner)."""


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


@dataclass
class CostMeter:
    """Start a clock when created; :meth:`figures` reads it.

    >>> meter = CostMeter()
    >>> meter.figures()["seconds"] >= 0
    True
    """

    started: float = 0.0
    cpu_started: float = 0.0

    def __post_init__(self) -> None:
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()

    def figures(self) -> dict[str, float]:
        seconds = time.perf_counter() - self.started
        cpu_seconds = time.process_time() - self.cpu_started
        return {
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "peak_mb": peak_memory_mb(),
            "watt_hours": cpu_seconds * ASSUMED_CPU_WATTS / 3600,
        }

"""Keep notebooks frugal: one thread for BLAS and torch unless a lesson says otherwise.

On a busy 2-core machine, two threads were measured 8 to 43 times slower than one.
"""

from __future__ import annotations

import os
import sys

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def limit_threads(n: int = 1) -> None:
    """Limit BLAS/OpenMP (and torch, if imported) to ``n`` threads, now and for child processes."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(n)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)

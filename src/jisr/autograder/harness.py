"""Runs INSIDE the sandbox: execute a student's program, then call the graded functions.

Reads ``program.json`` from the working folder::

    {"cells": ["code", ...], "calls": {"q3": {"target": "accuracy", "args": [[...], ...]}}}

and writes ``results.json`` with plain data only (numbers, strings, lists,
booleans, None): what each cell did and what each graded function returned
for each argument list. It never sees an expected value; the trusted grader
compares outside the sandbox. The student's code runs in this same process,
so anything here may be tampered with: nothing here decides a verdict.

This file uses the standard library only and must stay importable on its own.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
import traceback

# Kept before any student code runs: the student may rebind builtins or patch modules.
_dumps, _loads, _open, _exit = json.dumps, json.loads, open, os._exit
_type, _list, _len, _repr, _callable, _getattr = type, list, len, repr, callable, getattr
_isfinite, _deepcopy, _BaseException = math.isfinite, copy.deepcopy, BaseException
_MAX_ITEMS = 10_000


def plain(value, depth=0):
    """Convert a result to plain JSON data, or raise TypeError.

    Only exact built-in types (and numpy scalars, read through ``.item()``) are
    accepted: an object that claims to equal everything is refused here.
    """
    if depth > 20:
        raise TypeError("nested too deeply")
    kind = _type(value)
    if value is None or kind in (bool, str):
        return value
    if kind is int:
        return value
    if kind is float:
        return value if _isfinite(value) else _repr(value)
    module = _getattr(kind, "__module__", "")
    if module == "numpy" and _getattr(value, "shape", None) == () and kind.__name__ != "ndarray":
        return plain(value.item(), depth + 1)
    if kind in (list, tuple) or (module == "numpy" and kind.__name__ == "ndarray"):
        items = _list(value)
        if _len(items) > _MAX_ITEMS:
            raise TypeError("too many items")
        return [plain(v, depth + 1) for v in items]
    raise TypeError(f"unsupported result type {kind.__name__}")


def main() -> int:
    with _open("program.json", encoding="utf-8") as fh:
        program = json.load(fh)
    namespace = {"__name__": "__main__"}
    cells = []
    for index, source in enumerate(program["cells"]):
        try:
            exec(compile(source, f"<cell {index + 1}>", "exec"), namespace)  # noqa: S102 - sandboxed
            cells.append({"status": "ok"})
        except SystemExit as err:
            cells.append({"status": "exit", "error": f"SystemExit({err.code!r})"})
        except BaseException as err:  # the student's code may raise anything
            cells.append({"status": "error", "error": f"{type(err).__name__}: {err}"[:500]})
    calls = {}
    for qid, call in program.get("calls", {}).items():
        function = namespace.get(call["target"])
        outcomes = []
        for args in call["args"]:
            if function is None:
                outcomes.append({"status": "missing"})
                continue
            if not _callable(function):
                outcomes.append({"status": "not-callable", "type": _type(function).__name__})
                continue
            given = _deepcopy(args)
            try:
                result = function(*given)
            except NotImplementedError:
                outcomes.append({"status": "not-implemented"})
                continue
            except _BaseException as err:  # SystemExit included
                outcomes.append({"status": "error", "error": f"{_type(err).__name__}: {err}"[:300]})
                continue
            try:
                outcome = {"status": "ok", "value": plain(result)}
            except _BaseException as err:
                outcomes.append({"status": "unserializable", "error": _repr(err)[:300]})
                continue
            try:  # the arguments after the call: the trusted grader checks they did not change
                outcome["args_after"] = plain(given)
            except _BaseException:
                outcome["args_after"] = "unserializable"
            outcomes.append(outcome)
        calls[qid] = outcomes
    values = {}  # graded choice and number exercises: the plain value of each target
    for qid, target in program.get("values", {}).items():
        if target not in namespace:
            values[qid] = {"status": "missing"}
            continue
        try:
            values[qid] = {"status": "ok", "value": plain(namespace[target])}
        except _BaseException as err:
            values[qid] = {"status": "unserializable", "error": _repr(err)[:300]}
    with _open("results.json", "w", encoding="utf-8") as fh:
        fh.write(_dumps({"cells": cells, "calls": calls, "values": values}))
        fh.flush()
    # leave at once: no atexit handler, thread or finaliser of the student runs after this
    _exit(0)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BaseException:
        traceback.print_exc()
        os._exit(70)

"""Runs INSIDE the sandbox for a plain nbgrader course: a supervisor that never runs student code.

Two processes, one trust boundary between them:

- the **supervisor** (this file's ``main``) reads ``program.json`` (every
  cell, hidden tests included, and one random *receipt* per cell chosen by the
  trusted grader outside), deletes the file, makes itself non-dumpable (so a
  process of the same user can neither trace it nor read its memory or its
  open files through ``/proc``), then starts the worker;
- the **worker** (``WORKER`` below, a fresh interpreter) executes what it is
  sent, one cell at a time, in one namespace, as a Jupyter kernel would.

The supervisor sends cell *i* only when cell *i - 1* has answered, so a cell
(hidden tests included) exists in the student's process only from the moment
it runs. The worker answers on a private pipe with a plain JSON line; the
supervisor writes, on its own standard output, each cell's outcome beside that
cell's receipt. The worker's standard output and error go to ``/dev/null``;
what a cell prints is captured inside the worker and sent as data.

What the trusted grader outside can rely on, and why:

- an outcome carrying the right receipt was written by the supervisor, which
  alone knows the receipts: a student cannot pre-write "passed" for a cell,
  nor print a fake report (printed text is never read as a verdict);
- a cell that did not answer (``exit()``, ``os._exit``, a crash, a kill, a
  time limit) has no passing outcome, nor has any cell after it;
- an instructor cell (a test) is compiled and run with the interpreter's own
  ``compile``/``exec``, kept before any student code ran, with trace and
  profile hooks cleared: IPython's input and AST transformers (which a
  student's cell can extend to delete every ``assert``, a trick that fools
  ``nbgrader autograde``) and a line-skipping trace set by an answer cell do
  not apply to it; a failed test is any exception, so a rebound
  ``AssertionError`` changes nothing;
- while a cell runs, the answer for *that* cell comes from the student's
  process: nbgrader's test cells call the student's functions in the
  student's interpreter, so code written to subvert the interpreter from
  inside a called function (rewriting the caller's frame, an object equal to
  everything) can fool a test written with ``assert``, exactly as it fools
  ``nbgrader autograde``. A fresh child process per test cell would not
  change this: restored from the student's state, it is the student's
  process too. Leaving early, printing results or forging the report gains
  nothing.

Standard library only (the worker uses IPython when the sandbox has it, for
magics and for the value of a cell's last expression, as a kernel would).
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time

MAX_LINE = 1_000_000  # bytes of one answer from the worker
WALL_STRETCH = 10  # a cell may take this many times its processor-time limit in wall time
PR_SET_DUMPABLE = 4

WORKER = r'''
import ast, builtins, contextlib, io, json, os, sys, threading, traceback
_dumps, _loads, _write, _StringIO = json.dumps, json.loads, os.write, io.StringIO
# kept before any student code runs: instructor cells are compiled and run with these, not through
# IPython's transformers, which a student's cell can extend (an AST transformer that deletes asserts)
_parse, _compile, _exec, _eval, _repr = ast.parse, builtins.compile, builtins.exec, builtins.eval, builtins.repr
_Expr, _Expression, _fix = ast.Expr, ast.Expression, ast.fix_missing_locations
_settrace, _setprofile, _thread_settrace = sys.settrace, sys.setprofile, threading.settrace
commands = os.fdopen(int(sys.argv[1]), "r", encoding="utf-8")
answers = int(sys.argv[2])
MAX_TEXT = 20_000
try:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    settings = Config()
    settings.HistoryManager.hist_file = ":memory:"  # no file keeps the cells (hidden tests) after they ran
    shell = InteractiveShell.instance(config=settings)
    shell.displayhook.write_output_prompt = lambda: None
    shell.displayhook.write_format_data = lambda *a, **k: None
    shell.showtraceback = lambda *a, **k: None
    from IPython.core.inputtransformer2 import TransformerManager
    _magics = TransformerManager().transform_cell  # a fresh one, for instructor cells that use %magics
except Exception:
    shell, _magics = None, (lambda code: code)
namespace = shell.user_ns if shell is not None else {"__name__": "__main__"}

def run_trusted(code):
    """An instructor cell: no student transformer, trace or profile hook applies to it."""
    _settrace(None)
    _setprofile(None)
    _thread_settrace(None)
    try:
        tree = _parse(_magics(code))
        last = None
        if tree.body and isinstance(tree.body[-1], _Expr):
            last = _fix(_Expression(tree.body.pop().value))
        _exec(_compile(tree, "<cell>", "exec"), namespace)
        value = _eval(_compile(last, "<cell>", "eval"), namespace) if last is not None else None
        return "ok", "", (None if value is None else _repr(value)[:1000])
    except BaseException as failure:
        return "error", "".join(traceback.format_exception_only(type(failure), failure)), None

def run(code):
    """(status, error, last value as text)."""
    if shell is not None:
        result = shell.run_cell(code, store_history=True)
        failure = result.error_before_exec or result.error_in_exec
        if failure is not None:
            return "error", "".join(traceback.format_exception(type(failure), failure, failure.__traceback__)), None
        value = result.result
        return "ok", "", (None if value is None else repr(value)[:1000])
    try:
        exec(compile(code, "<cell>", "exec"), namespace)
        return "ok", "", None
    except BaseException as failure:
        return "error", traceback.format_exc(), None

for line in commands:
    command = _loads(line)
    captured = _StringIO()
    try:
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            status, error, value = (run_trusted if command.get("trusted") else run)(command["code"])
    except BaseException as failure:  # SystemExit and KeyboardInterrupt included: the cell failed
        status, error, value = "error", f"{type(failure).__name__}: {failure}", None
    answer = {"n": command["n"], "status": status, "error": error[-MAX_TEXT:],
              "output": captured.getvalue()[:MAX_TEXT], "value": value}
    data = (_dumps(answer) + "\n").encode()
    while data:
        data = data[_write(answers, data):]
'''


def _not_dumpable() -> None:
    """No process of this user may trace the supervisor or read it through /proc."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def _cpu_seconds(pid: int) -> float:
    """Processor time (user + system) the worker has used so far; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _read_answer(fd: int, buffer: bytearray, deadline: float, pid: int | None = None,
                 cpu_limit: float | None = None) -> dict | None:
    """One JSON line from the worker before ``deadline`` (and, with ``pid``, before it used
    ``cpu_limit`` more seconds of processor); None if it died, hung, ran too long or wrote garbage."""
    cpu_start = _cpu_seconds(pid) if pid is not None else 0.0
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0 or len(buffer) > MAX_LINE:
            return None
        if pid is not None and cpu_limit is not None and _cpu_seconds(pid) - cpu_start > cpu_limit:
            return None
        ready, _, _ = select.select([fd], [], [], min(left, 0.25))
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return None
        buffer += chunk
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    try:
        answer = json.loads(line)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _text(value: object, limit: int = 20_000) -> str:
    return value[:limit] if isinstance(value, str) else ""


def main() -> int:
    with open("program.json", encoding="utf-8") as fh:
        program = json.load(fh)
    os.unlink("program.json")  # receipts and hidden tests: in this process's memory only
    _not_dumpable()
    cells, receipts, trusted = program["cells"], program["receipts"], set(program.get("trusted", []))
    cell_seconds, deadline = float(program["cell_seconds"]), time.monotonic() + float(program["total_seconds"])
    to_worker_r, to_worker_w = os.pipe()
    from_worker_r, from_worker_w = os.pipe()
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(to_worker_r), str(from_worker_w)],
        pass_fds=(to_worker_r, from_worker_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(to_worker_r)
    os.close(from_worker_w)
    send = os.fdopen(to_worker_w, "w", encoding="utf-8")
    buffer = bytearray()
    outcomes = []
    alive = True
    for number, code in enumerate(cells):
        if not alive:
            outcomes.append({"receipt": receipts[number], "status": "not-run"})
            continue
        try:
            send.write(json.dumps({"n": number, "code": code, "trusted": number in trusted}) + "\n")
            send.flush()
        except OSError:
            alive = False
            outcomes.append({"receipt": receipts[number], "status": "not-run"})
            continue
        # "too slow" is processor time, so a busy machine never fails a cell; the wall clock only
        # catches a cell that waits (sleep, input) for far longer
        cell_deadline = min(time.monotonic() + WALL_STRETCH * cell_seconds, deadline)
        answer = _read_answer(from_worker_r, buffer, cell_deadline, worker.pid, cell_seconds)
        timed_out = answer is None and worker.poll() is None
        if timed_out:  # interrupt as a kernel would, then give the cell a moment to answer
            with _quiet():
                os.killpg(worker.pid, signal.SIGINT)
            # the moment is processor time too: on a busy machine the worker may wait many wall
            # seconds for a processor before it can answer (3 wall seconds failed cells that had stopped)
            answer = _read_answer(from_worker_r, buffer, min(time.monotonic() + WALL_STRETCH * 3, deadline),
                                  worker.pid, 3.0)
        if answer is None or answer.get("n") != number:
            alive = False
            outcomes.append({"receipt": receipts[number], "status": "timeout" if timed_out else "stopped"})
            continue
        status = "timeout" if timed_out else ("ok" if answer.get("status") == "ok" else "error")
        outcomes.append({"receipt": receipts[number], "status": status, "error": _text(answer.get("error")),
                         "output": _text(answer.get("output")), "value": _text(answer.get("value"), 1000) or None})
    with _quiet():
        os.killpg(worker.pid, signal.SIGKILL)
    sys.stdout.write(json.dumps({"outcomes": outcomes}) + "\n")
    sys.stdout.flush()
    os._exit(0)


class _quiet:
    """Ignore the error of signalling a process group that is already gone."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is not None and issubclass(exc[0], OSError)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())

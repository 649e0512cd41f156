"""The sandbox against real attacks: every case is a real process in a real bubblewrap sandbox.

Each test checks the status the sandbox reports AND that the host is unharmed:
no file appeared or changed outside the sandbox, no process of the sandbox
survived, the host's disk and process table are as before.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jisr.autograder import sandbox
from jisr.autograder.sandbox import Limits, Result, SandboxUnavailable

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
needs_bwrap = pytest.mark.skipif(not sandbox.available(), reason=f"no usable bubblewrap: {sandbox.unavailable_reason()}")

# Small limits keep the whole file fast.
SMALL = Limits(cpu_seconds=2, wall_seconds=5, memory_mb=256, processes=24, file_size_mb=4,
               output_bytes=100_000, open_files=64, disk_mb=16)


def live_processes() -> set[int]:
    """PIDs of the host's live processes (zombies, already dead, excluded)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    if fh.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                        found.add(int(entry))
            except (OSError, IndexError):
                pass
    return found


def sandbox_uid_processes() -> list[int]:
    """Host processes running as one of the fresh uids of this process's sandboxes (root runs)."""
    first = sandbox._UID_BASE + (os.getpid() % (1 << 22)) * 128
    found = []
    for pid in live_processes():
        try:
            if first <= os.stat(f"/proc/{pid}").st_uid < first + 128:
                found.append(pid)
        except OSError:
            pass
    return found


def assert_nothing_left(result: Result) -> None:
    assert result.namespace is not None
    assert sandbox.processes_in_namespace(result.namespace) == []
    assert sandbox_uid_processes() == []


def py(code: str, limits: Limits = SMALL, **kwargs) -> Result:
    """Run Python ``code`` in the sandbox, then check that nothing of it is left running."""
    result = sandbox.run([sys.executable, "-c", textwrap.dedent(code)], limits=limits, **kwargs)
    assert_nothing_left(result)
    return result


def report(result: Result) -> dict:
    """The JSON the sandboxed code printed last."""
    assert result.status == "ok", (result.status, result.stdout[-2000:], result.stderr[-2000:])
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


@pytest.fixture
def host_tmp_secret(tmp_path: Path) -> Iterator[Path]:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    yield secret


# --------------------------------------------------------------------------- normal use


@needs_bwrap
def test_normal_code_returns_output_and_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JISR_HOST_SECRET", "do-not-leak")
    result = py("""
        import json, os, sys
        data = open("data/in.txt").read()
        os.makedirs("out", exist_ok=True)
        open("out/answer.txt", "w").write(data.upper())
        print("to stderr", file=sys.stderr)
        print(json.dumps({"cwd": os.getcwd(), "uid": os.getuid(), "env": dict(os.environ),
                          "prefix": sys.prefix, "listing": sorted(os.listdir("."))}))
    """, inputs={"data/in.txt": b"hello"}, outputs=["out/answer.txt", "missing.txt"], env={"COURSE": "jisr"},
        workdir=tmp_path / "back")
    seen = report(result)
    assert result.returncode == 0 and result.stderr == b"to stderr\n"
    assert result.files == {"out/answer.txt": b"HELLO"}
    assert result.rejected == {"missing.txt": "missing"}
    assert (tmp_path / "back" / "out" / "answer.txt").read_bytes() == b"HELLO"
    assert seen["cwd"] == sandbox.WORKDIR and seen["listing"] == ["data", "out"]
    assert seen["uid"] != 0 and seen["prefix"] == sys.prefix
    assert seen["env"]["COURSE"] == "jisr" and seen["env"]["HOME"] == sandbox.WORKDIR
    assert "JISR_HOST_SECRET" not in seen["env"]
    assert set(seen["env"]) == {"PATH", "HOME", "LANG", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED",
                                "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "COURSE", "PWD", "JISR_GRADER"}
    assert 0 < result.wall_seconds < SMALL.wall_seconds


@needs_bwrap
def test_no_privileges_and_no_view_of_host_processes() -> None:
    seen = report(py("""
        import json, os
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
        try:
            os.setuid(0)
            setuid = "worked"
        except PermissionError:
            setuid = "refused"
        print(json.dumps({"pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                          "cap": status["CapEff"].strip(), "nnp": status["NoNewPrivs"].strip(), "setuid": setuid,
                          "hostname": os.uname().nodename}))
    """))
    assert seen["cap"] == "0000000000000000" and seen["nnp"] == "1" and seen["setuid"] == "refused"
    assert len(seen["pids"]) <= 3  # its own PID namespace: bwrap's init and the command
    assert seen["hostname"] == "sandbox"


@needs_bwrap
def test_read_only_folders_are_visible_but_not_writable(tmp_path: Path) -> None:
    public = tmp_path / "public"
    public.mkdir()
    (public / "spec.txt").write_text("public spec")
    (tmp_path / "hidden.txt").write_text("grading secret")
    seen = report(py("""
        import json, os
        out = {"spec": open("/jisr-root/spec.txt").read(), "listing": os.listdir("/jisr-root")}
        for path in ("/jisr-root/spec.txt", "/jisr-root/new.txt"):
            try:
                open(path, "w").write("changed")
                out[path] = "written"
            except OSError as err:
                out[path] = type(err).__name__
        print(json.dumps(out))
    """, read_only={public: "/jisr-root"}))
    assert seen["spec"] == "public spec" and seen["listing"] == ["spec.txt"]
    assert seen["/jisr-root/spec.txt"] != "written" and seen["/jisr-root/new.txt"] != "written"
    assert (public / "spec.txt").read_text() == "public spec" and sorted(os.listdir(public)) == ["spec.txt"]
    for bad in ("/sandbox/x", "/etc", "/usr/share", "relative", "/proc/x"):
        with pytest.raises(ValueError):
            sandbox.run(["true"], read_only={public: bad})


@needs_bwrap
def test_fake_grader_output_is_just_stdout() -> None:
    result = py("""
        import json, sys
        print(json.dumps({"cells": [{"status": "ok"}], "calls": {"q1": [{"status": "ok", "value": 42}]}}))
        print("All tests passed. Score: 100/100")
        print("status: ok", file=sys.stderr)
        sys.exit(1)
    """, outputs=["results.json"])
    assert result.status == "error" and result.returncode == 1
    assert b"Score: 100/100" in result.stdout and result.files == {}
    assert result.rejected == {"results.json": "missing"}


@needs_bwrap
def test_parallel_runs_are_independent() -> None:
    results: list[Result] = []
    code = "import os; open('n', 'w').write(str(os.getuid())); print(len(os.listdir('/proc')))"

    def one() -> None:
        results.append(sandbox.run([sys.executable, "-c", code], limits=SMALL, outputs=["n"]))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in results] == ["ok"] * 4
    assert len({r.files["n"] for r in results}) == 4  # a fresh uid each: separate process counts
    assert len({r.namespace for r in results}) == 4
    for result in results:
        assert_nothing_left(result)


@needs_bwrap
def test_overhead_is_small() -> None:
    def timed(run) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    direct = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    boxed = timed(lambda: sandbox.run([sys.executable, "-c", "pass"], limits=SMALL))
    assert boxed - direct < 0.3, (boxed, direct)


# --------------------------------------------------------------------------- isolation


@needs_bwrap
def test_no_network() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    port = server.getsockname()[1]
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    name = f"\0jisr-sandbox-test-{secrets.token_hex(8)}"
    abstract.bind(name)
    abstract.listen()
    abstract.settimeout(0.5)
    try:
        seen = report(py(f"""
            import json, socket
            out = {{}}
            def attempt(key, fn):
                try:
                    fn()
                    out[key] = "connected"
                except OSError as err:
                    out[key] = type(err).__name__
            attempt("loopback", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2))
            attempt("internet", lambda: socket.create_connection(("1.1.1.1", 80), timeout=2))
            attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
            def unix():
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect({name!r})
            attempt("abstract", unix)
            out["interfaces"] = [n for _, n in socket.if_nameindex()]
            print(json.dumps(out))
        """))
        for kind in ("loopback", "internet", "dns", "abstract"):
            assert seen[kind] != "connected", kind
        assert seen["loopback"] == "ConnectionRefusedError"
        assert seen["dns"] == "gaierror"
        assert seen["interfaces"] == ["lo"]
        for listener in (server, abstract):  # and nothing ever reached the host's servers
            with pytest.raises(TimeoutError):
                listener.accept()
    finally:
        server.close()
        abstract.close()


@needs_bwrap
def test_cannot_read_host_files(host_tmp_secret: Path) -> None:
    targets = [str(ROOT / "pyproject.toml"), str(ROOT / "courses"), str(ROOT), "/root", str(Path.home()),
               "/root/.bashrc", "/etc/shadow", "/etc/hostname", str(host_tmp_secret), str(host_tmp_secret.parent),
               "/home", "/var", "/proc/1/environ", "/proc/1/root/etc/shadow"]
    seen = report(py(f"""
        import json, os
        out = {{}}
        for path in {targets!r}:
            try:
                out[path] = sorted(os.listdir(path)) if os.path.isdir(path) else open(path, "rb").read(64).decode("latin-1")
            except OSError as err:
                out[path] = type(err).__name__
        out["/"] = sorted(os.listdir("/"))
        out["/etc"] = sorted(os.listdir("/etc"))
        out["passwd"] = open("/etc/passwd").read()
        print(json.dumps(out))
    """))
    # The folders leading to the bound Python installations exist, holding only the way there.
    way: dict[str, set[str]] = {}
    for prefix in sandbox._python_prefixes():
        for parent in Path(prefix).parents:
            way.setdefault(str(parent), set()).add(Path(prefix).relative_to(parent).parts[0])
    for path in targets:
        if path in way:
            assert set(seen[path]) == way[path], (path, seen[path])
        else:
            assert seen[path] in ("FileNotFoundError", "PermissionError"), (path, seen[path])
    assert "shadow" not in seen["/etc"] and "hostname" not in seen["/etc"]
    assert not {"home", "var", "opt", "srv", "mnt", "boot"} & set(seen["/"])
    with open("/etc/passwd") as fh:  # the sandbox's passwd is generated, not the host's
        assert seen["passwd"] != fh.read() and "sandbox:x:" in seen["passwd"]


@needs_bwrap
def test_cannot_write_outside_its_workdir(tmp_path: Path) -> None:
    marker = f"jisr-sandbox-{secrets.token_hex(8)}"
    before = sorted(os.listdir("/tmp"))
    targets = ["/etc/passwd", f"/usr/{marker}", f"/{marker}", f"/etc/{marker}", f"{sys.prefix}/{marker}",
               f"{sys.base_prefix}/{marker}", f"{tmp_path}/{marker}", f"{ROOT}/{marker}", f"/dev/{marker}",
               "/proc/sys/kernel/hostname"]
    result = py(f"""
        import json, os
        out = {{}}
        for path in {targets!r}:
            try:
                with open(path, "w") as fh:
                    fh.write("pwned")
                out[path] = "written"
            except OSError as err:
                out[path] = type(err).__name__
        for path in ("/tmp/{marker}", "/dev/shm/{marker}", "{marker}"):  # the sandbox's own scratch space
            open(path, "w").write("scratch")
            out[path] = "written"
        print(json.dumps(out))
    """)
    seen = report(result)
    for path in targets:
        assert seen[path] != "written", path
        assert not os.path.exists(path) or path in ("/etc/passwd", "/proc/sys/kernel/hostname")
    assert all(seen[p] == "written" for p in (f"/tmp/{marker}", f"/dev/shm/{marker}", marker))
    assert not os.path.exists(f"/tmp/{marker}") and not os.path.exists(f"/dev/shm/{marker}")
    assert marker not in set(os.listdir("/tmp")) - set(before)
    assert "pwned" not in open("/etc/passwd").read()


# --------------------------------------------------------------------------- exits and signals


@needs_bwrap
def test_exit_code_is_an_error() -> None:
    result = py("import os; print('bye', flush=True); os._exit(3)")
    assert (result.status, result.returncode, result.stdout) == ("error", 3, b"bye\n")


@needs_bwrap
def test_segfault_is_killed() -> None:
    result = py("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    assert result.status == "killed" and result.returncode == -11


@needs_bwrap
def test_infinite_loop_times_out() -> None:
    limits = Limits(cpu_seconds=1, wall_seconds=10, memory_mb=256, processes=24, disk_mb=16)
    start = time.monotonic()
    result = py("while True: pass", limits=limits)
    assert result.status == "timeout"
    assert result.stopped_by == "cpu"  # the processor-time limit stopped it, not the wall clock


@needs_bwrap
def test_sleep_times_out() -> None:
    limits = Limits(cpu_seconds=5, wall_seconds=1.5, memory_mb=256, processes=24, disk_mb=16)
    start = time.monotonic()
    result = py("import time; time.sleep(1000)", limits=limits)
    assert result.status == "timeout" and result.returncode is None
    assert time.monotonic() - start > 1.4 and result.stopped_by == "wall"


@needs_bwrap
def test_input_gets_end_of_file_instead_of_hanging() -> None:
    start = time.monotonic()
    result = py("input('name? ')")
    assert result.status == "error" and b"EOFError" in result.stderr
    assert result.stopped_by is None  # it ended by itself, no limit had to stop it


@needs_bwrap
def test_ignoring_signals_does_not_save_a_loop() -> None:
    limits = Limits(cpu_seconds=1, wall_seconds=10, memory_mb=256, processes=24, disk_mb=16)
    start = time.monotonic()
    result = py("""
        import signal
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGALRM):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            pass
    """, limits=limits)
    assert result.status == "timeout"  # SIGXCPU ignored: the hard CPU limit's SIGKILL
    assert result.stopped_by == "cpu"


@needs_bwrap
def test_ignoring_signals_does_not_save_a_sleeper() -> None:
    limits = Limits(cpu_seconds=5, wall_seconds=1.5, memory_mb=256, processes=24, disk_mb=16)
    result = py("""
        import signal, time
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        while True:
            time.sleep(0.01)
    """, limits=limits)
    assert result.status == "timeout"


# --------------------------------------------------------------------------- processes


def wait_for_process_count(limit: int) -> int:
    """The host's live process count, once it is back under ``limit`` (5 s at most)."""
    deadline = time.monotonic() + 5
    while (count := len(live_processes())) > limit and time.monotonic() < deadline:
        time.sleep(0.05)
    return count


@needs_bwrap
def test_process_limit_holds_even_as_root() -> None:
    before = len(live_processes())
    seen = report(py("""
        import json, os, time
        made = refused = 0
        for _ in range(10_000):
            try:
                pid = os.fork()
            except OSError:
                refused += 1
                break
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            made += 1
        print(json.dumps({"made": made, "refused": refused}))
    """))
    assert seen["refused"] == 1 and 0 < seen["made"] < SMALL.processes
    assert wait_for_process_count(before + 10) <= before + 10


@needs_bwrap
def test_fork_bomb_is_contained() -> None:
    before = len(live_processes())
    start = time.monotonic()
    result = py("""
        import os
        for _ in range(10_000):
            try:
                os.fork()
            except OSError:
                pass
    """)
    assert result.status in ("ok", "timeout", "error")
    assert time.monotonic() - start < SMALL.wall_seconds * sandbox._STRETCH + 3  # the wall clock's hard bound, however busy the machine
    assert wait_for_process_count(before + 10) <= before + 10


@needs_bwrap
def test_daemon_does_not_outlive_the_run() -> None:
    start = time.monotonic()
    result = py("""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(1000)  # the daemon keeps stdout and stderr open on purpose
            os._exit(0)
        os.wait()
        print("parent done")
    """)
    assert result.status == "ok" and result.stdout == b"parent done\n"
    assert result.stopped_by is None  # run() neither waited for the daemon nor for the deadline


FORKS = """
import json, os, time
made = 0
try:
    for _ in range(10_000):
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        made += 1
except OSError:
    pass
print(json.dumps({"made": made, "uid": os.getuid(), "host": os.path.exists("/work/main/pyproject.toml")}))
"""

UNPRIVILEGED = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("sandbox", sys.argv[1])
sandbox = importlib.util.module_from_spec(spec)
sys.modules["sandbox"] = sandbox
spec.loader.exec_module(sandbox)
limits = sandbox.Limits(cpu_seconds=1, wall_seconds=5, memory_mb=256, processes=16, disk_mb=16)
out = {}
cases = {"forks": sys.argv[2], "loop": "while True: pass", "symlink": "import os; os.symlink('/etc/passwd', 'o')"}
for name, code in cases.items():
    result = sandbox.run([sys.executable, "-c", code], limits=limits, outputs=["o"])
    out[name] = {"status": result.status, "stdout": result.stdout.decode(), "rejected": result.rejected,
                 "left": sandbox.processes_in_namespace(result.namespace)}
print(json.dumps(out))
"""


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"), reason="needs root and a system Python")
def test_unprivileged_caller_is_sandboxed_too() -> None:
    """The other code path: an ordinary user (here nobody) runs the sandbox in a user namespace."""
    # the checkout may sit in a folder only root can read (a CI clone, mktemp -d): give nobody its own copy
    readable = Path(tempfile.mkdtemp(prefix="jisr-sandbox-"))
    readable.chmod(0o755)
    module = readable / "sandbox.py"
    shutil.copyfile(sandbox.__file__, module)
    module.chmod(0o644)
    try:
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                               UNPRIVILEGED, str(module), FORKS], capture_output=True, text=True, timeout=60, cwd="/",
                              env={"PATH": "/usr/bin:/bin"})
    finally:
        shutil.rmtree(readable, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    forks = json.loads(seen["forks"]["stdout"])
    assert seen["forks"]["status"] == "ok" and 0 < forks["made"] < 16 and forks["uid"] == 65534 and not forks["host"]
    assert seen["loop"]["status"] == "timeout"
    assert seen["symlink"]["status"] == "ok" and seen["symlink"]["rejected"] == {"o": "symlink"}
    assert all(not case["left"] for case in seen.values())


@needs_bwrap
def test_open_files_limit() -> None:
    seen = report(py("""
        import json
        files = []
        try:
            for _ in range(1000):
                files.append(open("/dev/null"))
        except OSError as err:
            print(json.dumps({"opened": len(files), "error": type(err).__name__}))
    """))
    assert seen["error"] == "OSError" and seen["opened"] < SMALL.open_files


# --------------------------------------------------------------------------- memory, disk, output


@needs_bwrap
def test_memory_bomb() -> None:
    result = py("data = bytearray(4 * 1024 ** 3)")
    assert result.status == "memory" and b"MemoryError" in result.stderr


@needs_bwrap
def test_growing_memory_bomb() -> None:
    result = py("""
        chunks = []
        while True:
            chunks.append(bytearray(32 * 1024 ** 2))
    """)
    assert result.status == "memory"


@needs_bwrap
def test_disk_fill_is_refused_and_host_disk_untouched(tmp_path: Path) -> None:
    free_before = shutil.disk_usage(tmp_path).free
    result = py("""
        import sys
        with open("big.bin", "wb") as fh:
            for _ in range(100):
                fh.write(b"x" * 1024 ** 2)
    """, outputs=["big.bin"])
    assert result.status == "error" and b"File too large" in result.stderr
    assert result.files["big.bin"] == b"x" * (SMALL.file_size_mb * sandbox.MB)
    # many files below the file-size limit fill the small tmpfs, not the host's disk
    result = py("""
        import json, os
        written = 0
        try:
            for i in range(100):
                with open(f"part{i}.bin", "wb") as fh:
                    fh.write(b"x" * (3 * 1024 ** 2))
                written += 1
        except OSError as err:
            print(json.dumps({"written": written, "error": os.strerror(err.errno)}))
    """)
    seen = report(result)
    assert seen["error"] == "No space left on device" and seen["written"] < 100 * 3 // 16
    assert shutil.disk_usage(tmp_path).free > free_before - 50 * sandbox.MB


@needs_bwrap
def test_huge_output_is_capped() -> None:
    start = time.monotonic()
    result = py("""
        line = "x" * 99 + "\\n"
        for _ in range(500_000):  # 50 MB
            print(line, end="")
    """)
    assert result.status == "output-limit" and result.returncode is None
    assert len(result.stdout) == SMALL.output_bytes and result.stdout.startswith(b"x" * 99 + b"\n")
    assert result.stopped_by is None  # stopped by the output limit, not a clock


@needs_bwrap
def test_one_giant_line_is_capped() -> None:
    result = py("import sys; sys.stdout.write('y' * 50_000_000)")
    assert result.status == "output-limit" and result.stdout == b"y" * SMALL.output_bytes


@needs_bwrap
def test_huge_stderr_is_capped() -> None:
    result = py("import sys\nwhile True: sys.stderr.write('e' * 10_000)")
    assert result.status == "output-limit" and len(result.stderr) == SMALL.output_bytes


# --------------------------------------------------------------------------- outputs


@needs_bwrap
def test_symlinks_and_special_files_in_outputs_are_rejected() -> None:
    result = py("""
        import os
        os.symlink("/etc/passwd", "answer.txt")
        os.symlink("/etc", "folder")
        os.mkdir("real")
        os.symlink("/etc/passwd", "real/link")
        os.mkfifo("pipe")
        os.mkdir("adir")
        open("fine.txt", "w").write("fine")
    """, outputs=["answer.txt", "folder/passwd", "real/link", "pipe", "adir", "fine.txt"])
    assert result.status == "ok"
    assert result.files == {"fine.txt": b"fine"}
    assert result.rejected["answer.txt"] == "symlink" and result.rejected["real/link"] == "symlink"
    assert result.rejected["folder/passwd"] == "symlink or not a directory on the way"
    assert result.rejected["pipe"] == "not a regular file" and result.rejected["adir"] == "not a regular file"


def test_bad_file_names_are_refused() -> None:
    for name in ("../escape", "/etc/passwd", "a/../../b", "", "a//b"):
        with pytest.raises(ValueError):
            sandbox.run(["true"], outputs=[name])
        with pytest.raises(ValueError):
            sandbox.run(["true"], inputs={name: b"x"})


# --------------------------------------------------------------------------- no sandbox, no run


def test_missing_bwrap_raises_instead_of_running_unsafely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "BWRAP", str(tmp_path / "no-such-bwrap"))
    ran = tmp_path / "ran"
    assert not sandbox.available()
    with pytest.raises(SandboxUnavailable) as excinfo:
        sandbox.run(["/bin/sh", "-c", f"touch {ran}"])
    message = str(excinfo.value)
    assert "no-such-bwrap" in message and "apt-get install bubblewrap" in message
    assert "never run without it" in message
    assert not ran.exists()


def test_blocked_bwrap_raises_with_its_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bwrap that exists but may not create namespaces (as in some containers)."""
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sandbox, "BWRAP", str(fake))
    assert not sandbox.available()
    with pytest.raises(SandboxUnavailable, match="No permissions to create new namespace") as excinfo:
        sandbox.run([sys.executable, "-c", "print('ran')"])
    assert "apt-get install bubblewrap" in str(excinfo.value)


# --------------------------------------------------------------------------- the whole submission, a busy machine

from jisr.autograder import cgroups  # noqa: E402

def _why(result: Result) -> tuple:
    return result.status, result.stopped_by, result.cpu_seconds, result.stdout[-500:], result.stderr[-1000:]


needs_cgroups = pytest.mark.skipif(cgroups._layout() is None, reason="no writable control group here (the fallback is tested apart)")


@needs_bwrap
@needs_cgroups
def test_memory_is_capped_for_the_whole_submission_not_per_process() -> None:
    """Six processes of 400 MB each pass a 1 GB per-process limit; the submission's control group stops them."""
    limits = Limits(cpu_seconds=30, wall_seconds=60, memory_mb=1024, processes=24, disk_mb=16)
    result = py("""
        import os, time
        children = []
        for _ in range(6):
            pid = os.fork()
            if pid == 0:
                block = b"x" * (400 * 1024 * 1024)  # really written, not a lazy zero page
                time.sleep(5)
                os._exit(0)
            children.append(pid)
        codes = [os.waitpid(pid, 0)[1] for pid in children]
        print("all six held 400 MB" if not any(codes) else "some were killed")
    """, limits=limits)
    assert result.cgroup
    assert result.status == "memory", _why(result)
    assert b"all six held" not in result.stdout


@needs_bwrap
@needs_cgroups
def test_a_million_empty_files_are_capped() -> None:
    """Empty files cost kernel memory (inodes) that no byte limit of the tmpfs sees; the control group counts it."""
    limits = Limits(cpu_seconds=60, wall_seconds=120, memory_mb=256, processes=24, disk_mb=16)
    result = py("""
        import os
        made = 0
        try:
            for made in range(900_000):
                os.close(os.open(f"f{made}", os.O_CREAT | os.O_WRONLY, 0o644))
            print("made", made + 1)
        except OSError as err:
            print("stopped", made, err)
    """, limits=limits)
    assert b"made 900000" not in result.stdout, _why(result)
    assert result.status == "memory" or result.stdout.startswith(b"stopped"), _why(result)


@needs_bwrap
def test_processor_time_counts_every_process_of_the_submission() -> None:
    """Four processes spinning share one processor-time budget: "too slow" is the whole submission's CPU time."""
    limits = Limits(cpu_seconds=2, wall_seconds=60, memory_mb=256, processes=24, disk_mb=16)
    result = py("""
        import os
        for _ in range(3):
            if os.fork() == 0:
                break
        while True:
            pass
    """, limits=limits)
    assert result.status == "timeout" and result.stopped_by == "cpu", _why(result)
    assert result.cpu_seconds is not None and 2 <= result.cpu_seconds < 4 * 2  # stopped on the total, not 4 x 2 s


@needs_bwrap
def test_a_sleeper_is_stopped_by_the_wall_clock_and_says_so() -> None:
    limits = Limits(cpu_seconds=5, wall_seconds=1.5, memory_mb=256, processes=24, disk_mb=16)
    result = py("import time; time.sleep(1000)", limits=limits)
    assert result.status == "timeout" and result.stopped_by == "wall" and not result.overloaded and not result.retried


def _burners(count: int) -> list[subprocess.Popen]:
    """Processes that keep every processor of the machine busy, as other graders would."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True) for _ in range(count)]


@needs_bwrap
def test_a_busy_machine_does_not_make_correct_code_too_slow() -> None:
    """Half a second of work against a one-second wall limit, on a machine kept busy by six burners:
    the time spent waiting for a processor is not the code's, so it finishes."""
    limits = Limits(cpu_seconds=10, wall_seconds=1, memory_mb=256, processes=24, disk_mb=16)
    burners = _burners(3 * (os.cpu_count() or 1))
    try:
        time.sleep(0.5)
        result = py("""
            import time
            start = time.process_time()
            while time.process_time() - start < 0.5:
                pass
            print("done")
        """, limits=limits)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert result.status == "ok" and result.stdout == b"done\n", _why(result)
    assert result.waited_seconds > 0  # it did wait for a processor


def test_every_sandbox_carries_its_graders_tag() -> None:
    result = py("import os; print(os.environ['JISR_GRADER'])")
    assert result.stdout.decode().strip() == cgroups.grader_tag()


@needs_bwrap
def test_without_control_groups_the_per_process_limits_hold_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from jisr.i18n import Translator

    monkeypatch.setattr(cgroups, "ENABLED", False)
    cgroups._layout.cache_clear()
    try:
        line = cgroups.support(64, 1024).format(Translator("en"))
        result = py("print('still sandboxed')")
        loop = py("while True: pass", limits=Limits(cpu_seconds=1, wall_seconds=10, memory_mb=256, processes=24, disk_mb=16))
    finally:
        monkeypatch.undo()
        cgroups._layout.cache_clear()
    assert "per process only" in line and "64 processes of 1024 MB" in line
    assert result.status == "ok" and not result.cgroup
    assert loop.status == "timeout" and loop.stopped_by == "cpu"


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the grader caps inodes when it runs as root")
def test_the_number_of_files_is_capped_in_every_tmpfs() -> None:
    limits = Limits(cpu_seconds=20, wall_seconds=60, memory_mb=256, processes=24, disk_mb=16, files=500)
    result = py("""
        import json, os
        made = {}
        for folder in (".", "/tmp", "/dev/shm"):
            count = 0
            try:
                while count < 5000:
                    os.close(os.open(f"{folder}/f{count}", os.O_CREAT | os.O_WRONLY, 0o644))
                    count += 1
            except OSError as err:
                made[folder] = [count, err.strerror]
        print(json.dumps(made))
    """, limits=limits)
    made = report(result)
    assert set(made) == {".", "/tmp", "/dev/shm"}, made  # every one of them stopped before 5000
    assert all(count < 500 and why == "No space left on device" for count, why in made.values()), made


@needs_bwrap
def test_a_run_stopped_by_the_wall_clock_on_an_overloaded_machine_is_run_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no room to stretch the wall limit, a run that mostly waited for a processor when the wall clock
    stopped it is not the code's fault: it is run once more before the stop counts (and says so)."""
    monkeypatch.setattr(sandbox, "_STRETCH", 1.0)
    limits = Limits(cpu_seconds=30, wall_seconds=1, memory_mb=256, processes=24, disk_mb=16)
    burners = _burners(4 * (os.cpu_count() or 1))
    try:
        time.sleep(0.5)
        result = py("while True: pass", limits=limits)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    assert result.status == "timeout" and result.stopped_by == "wall", _why(result)
    assert result.overloaded and result.retried, _why(result)

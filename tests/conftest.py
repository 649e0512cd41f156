"""Shared fixtures: the built site, a served copy of it, a headless Chromium and a PostgreSQL server."""

from __future__ import annotations

import functools
import http.server
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="session")
def tool_env() -> dict[str, str]:
    """Environment for nbgrader/jupyter subprocesses: the venv's tools first, one BLAS thread."""
    env = {k: v for k, v in os.environ.items() if k not in ("JISR_LANG", "JPY_SESSION_NAME")}
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


@pytest.fixture(scope="session")
def site() -> Path:
    """The book, built once per test session (the notebook cache keeps it quick)."""
    from jisr.book import build

    return build(progress=lambda text: None)


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    """Serve the site on a free loopback port; yield its base URL."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def requests_made(driver) -> list[str]:
    """Every URL Chromium asked for, from its performance log (chrome:// pages are the browser's own)."""
    import json

    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def chromium_options(width: int, height: int, user_dir: Path):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", f"--user-data-dir={user_dir}",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return options


@pytest.fixture(scope="session")
def browser_factory(tmp_path_factory: pytest.TempPathFactory):
    """Start real headless Chromium windows (desktop or phone size)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def start(width: int = 1200, height: int = 900):
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
        driver = webdriver.Chrome(service=service, options=chromium_options(width, height, tmp_path_factory.mktemp("chromium")))
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


PG_OS_USER = "jisr-pg"  # runs the test server when the tests run as root (PostgreSQL refuses root)
PG_DB_USER = "jisr"  # the server's superuser, reached over a private unix socket with trust auth


def _postgres_bindir() -> Path:
    """The newest Debian PostgreSQL (initdb/pg_ctl live off PATH, in /usr/lib/postgresql/N/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.parent.name)])
    if not found:
        pytest.fail("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                    "run `make test`, which installs Debian's postgresql package (make system-deps)", pytrace=False)
    return found[-1].parent


def _unprivileged_user() -> pwd.struct_passwd:
    """The system user that runs the server for a root test session, created when missing."""
    try:
        return pwd.getpwnam(PG_OS_USER)
    except KeyError:
        # exit status 9: a concurrent session created it first
        done = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_OS_USER],
                              capture_output=True, text=True)
        assert done.returncode in (0, 9), f"useradd {PG_OS_USER} failed: {done.stderr}"
        return pwd.getpwnam(PG_OS_USER)


@dataclass
class PostgresServer:
    """A private PostgreSQL server for the test session; ``new_database`` hands out empty databases."""

    socket_dir: Path
    user: str
    startup_seconds: float

    def new_database(self, name: str) -> str:
        """Create the empty database ``name``; return its SQLAlchemy URL."""
        import psycopg2
        from psycopg2 import sql

        assert re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name), f"not a plain database name: {name!r}"
        conn = psycopg2.connect(dbname="postgres", user=self.user, host=str(self.socket_dir))
        try:
            conn.autocommit = True  # CREATE DATABASE refuses to run inside a transaction
            with conn.cursor() as cur:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            conn.close()
        return f"postgresql+psycopg2://{self.user}@/{name}?host={self.socket_dir}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a real PostgreSQL server reachable only through a unix socket in a private folder.

    Not in pytest's tmp dirs: those are mode 700 under /tmp/pytest-of-root, which the server's
    unprivileged user could not traverse, and a unix socket path must stay under 108 bytes.
    """
    started = time.monotonic()
    bindir = _postgres_bindir()
    as_root = os.geteuid() == 0
    owner = _unprivileged_user() if as_root else pwd.getpwuid(os.geteuid())
    # as root: drop to that user and its own group, shedding root's supplementary groups
    run_as = dict(user=owner.pw_uid, group=owner.pw_gid, extra_groups=[]) if as_root else {}
    base = Path(tempfile.mkdtemp(prefix="jisr-pg-", dir="/tmp"))
    data, sock, log = base / "data", base / "sock", base / "server.log"
    sock.mkdir()
    for path in (base, sock):
        os.chown(path, owner.pw_uid, owner.pw_gid)
    # PG* variables of the caller's shell must not redirect the tools to another server
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")} | {"HOME": str(base), "LC_ALL": "C"}

    def pg(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        return subprocess.run([str(bindir / args[0]), *args[1:]], cwd=base, env=env, capture_output=True,
                              text=True, timeout=timeout, **run_as)

    def server_log() -> str:
        return log.read_text(errors="replace") if log.exists() else "(no server log)"

    try:
        done = pg("initdb", "-D", str(data), "-U", PG_DB_USER, "--auth=trust", "--no-locale", "--encoding=UTF8",
                  "--no-sync")
        assert done.returncode == 0, f"initdb failed:\n{done.stdout}{done.stderr}"
        with open(data / "postgresql.conf", "a") as conf:
            # no TCP at all; durability is worthless for throwaway test data, so skip the fsyncs
            conf.write(f"listen_addresses = ''\nunix_socket_directories = '{sock}'\nfsync = off\n"
                       "synchronous_commit = off\nfull_page_writes = off\nshared_buffers = 16MB\n"
                       "max_connections = 30\n")
        done = pg("pg_ctl", "start", "-D", str(data), "-l", str(log), "-w", "-t", "60")
        assert done.returncode == 0, f"PostgreSQL did not start:\n{done.stdout}{done.stderr}\nserver log:\n{server_log()}"
        ready = pg("pg_isready", "-h", str(sock), "-U", PG_DB_USER, "-d", "postgres", "-t", "30")
        assert ready.returncode == 0, f"PostgreSQL is not accepting connections:\n{ready.stdout}\nserver log:\n{server_log()}"
        yield PostgresServer(sock, PG_DB_USER, time.monotonic() - started)
    finally:
        if (data / "postmaster.pid").exists():
            if pg("pg_ctl", "stop", "-D", str(data), "-m", "fast", "-w", "-t", "30").returncode != 0:
                pg("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w", "-t", "30")
        shutil.rmtree(base, ignore_errors=True)


# --------------------------------------------------------------------------- a class to grade


class Classroom:
    """A real nbgrader course (English) with its assignment generated; students submit into copies."""

    assignment = "what-is-ai"

    def __init__(self, template: Path, tool_env: dict[str, str]) -> None:
        import nbformat

        self.template, self.tool_env = template, tool_env
        source = nbformat.read(template / "source" / self.assignment / f"{self.assignment}.ipynb", as_version=4)
        self.reference = next(c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer")

    def copy(self, into: Path) -> Path:
        """A fresh copy of the course (gradebook included) at ``into``; its config points there."""
        shutil.copytree(self.template, into)
        config = into / "nbgrader_config.py"
        config.write_text(config.read_text(encoding="utf-8").replace(repr(str(self.template)), repr(str(into))), encoding="utf-8")
        return into

    def submit(self, course: Path, student: str, answer: str | None = None, *, raw: bytes | None = None,
               timestamp: str | None = "now") -> Path:
        """Put a submission where ``nbgrader collect`` puts it: remove the old folder, copy the new one."""
        import datetime

        import nbformat

        target = course / "submitted" / student / self.assignment
        staging = course / f".staging-{student}"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(course / "release" / self.assignment, staging)
        path = staging / f"{self.assignment}.ipynb"
        if raw is not None:
            path.write_bytes(raw)
        else:
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer" and answer is not None:
                    cell.source = answer
            nbformat.write(nb, path)
        if timestamp == "now":
            timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        if timestamp is not None:
            (staging / "timestamp.txt").write_text(timestamp, encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
        return target

    @staticmethod
    def scores(url: str, assignment: str = "what-is-ai") -> dict[str, float]:
        from nbgrader.api import Gradebook

        with Gradebook(url) as gradebook:
            return {s.student.id: s.score for s in gradebook.assignment_submissions(assignment)}

    @staticmethod
    def times(url: str, assignment: str = "what-is-ai") -> dict[str, object]:
        from nbgrader.api import Gradebook

        with Gradebook(url) as gradebook:
            return {s.student.id: s.timestamp for s in gradebook.assignment_submissions(assignment)}


@pytest.fixture(scope="session")
def classroom(tmp_path_factory: pytest.TempPathFactory, tool_env: dict[str, str]) -> Classroom:
    """An nbgrader course with ``what-is-ai`` generated once; tests grade copies of it."""
    import subprocess

    from jisr.nbgrader_course import make_course

    root = make_course("en", tmp_path_factory.mktemp("classroom") / "en")
    subprocess.run(["nbgrader", "generate_assignment", "what-is-ai", "--force"], cwd=root, env=tool_env, check=True, capture_output=True)
    return Classroom(root, tool_env)

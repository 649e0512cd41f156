"""What the hub's ``jupyterhub_config.py`` runs: ``configure(c, "hub.json")``.

Everything the hub needs is in ``hub.json`` (written by :mod:`.setup`), so
the configuration file itself stays two lines that a teacher never edits.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import signal
import subprocess
from pathlib import Path

import bcrypt
from jupyterhub.spawner import LocalProcessSpawner
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo
from traitlets import Unicode

from . import limits
from .classlist import Person

INSTRUCTORS, LEARNERS = "instructors", "learners"  # the same groups as Moodle's LTI roles (lti.py)
# the JupyterLab locale of each course language (the language packs are installed with the teacher extra)
LAB_LOCALE = {"ar": "ar_SA", "fr": "fr_FR", "en": "en"}
# what a student's JupyterLab does not show: the teacher's nbgrader tools
TEACHER_ONLY_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list"]
TEACHER_ONLY_SERVER = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]
UNIX_GROUP = "jisr-learners"


def load(settings_file: str | Path) -> dict:
    return json.loads(Path(settings_file).read_text(encoding="utf-8"))


def people(settings: dict) -> dict[str, Person]:
    return {p["username"]: Person(**p) for p in settings["people"]}


def channel(settings: dict, person: Person) -> str:
    """The exchange's course id a person fetches from and submits to: the class and the language."""
    return f"{person.course}-{person.language}"


class ClassAuthenticator(NativeAuthenticator):
    """NativeAuthenticator for a class list: accounts exist from the start, nobody signs up.

    The initial password of each person (printed for the teacher by ``jisr
    hub``) is in ``accounts.json`` as a bcrypt hash; at the first login the
    account is made from it, already authorised. People change their password
    at ``/hub/change-password``.
    """

    accounts_file = Unicode("", config=True, help="accounts.json: username -> bcrypt hash of the initial password")

    def _first_login(self, username: str) -> None:
        if self.get_user(username) is not None or not self.accounts_file:
            return
        hashes = json.loads(Path(self.accounts_file).read_text(encoding="utf-8"))
        if username in hashes:
            self.db.add(UserInfo(username=username, password=hashes[username].encode(), is_authorized=True))
            self.db.commit()

    async def authenticate(self, handler, data):
        self._first_login(self.normalize_username(data.get("username", "")))
        return await super().authenticate(handler, data)

    def get_handlers(self, app):
        # nativeauthenticator 1.3.0's own login page fails on JupyterHub 6 (it still uses the removed statsd):
        # JupyterHub's login page calls authenticate() above; sign-up is off; password changes stay native
        return [(path, handler) for path, handler in super().get_handlers(app) if path not in ("/login", "/signup")]


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


class JisrSpawner(LocalProcessSpawner):
    """A learner's server on this machine: their Unix account, language, role and limits, made at first start.

    The hub runs as root. Each person gets a Unix account of the same name
    (home under the hub's folder, group ``jisr-learners``), so nbgrader's
    exchange keeps one learner's files from another's. Nothing is typed by
    the learner or the teacher: the account, the nbgrader configuration and
    the interface language are written here before the server starts.
    """

    settings_file = Unicode("", config=True)

    def _settings(self) -> dict:
        return load(self.settings_file)

    def _person(self, settings: dict) -> Person:
        return people(settings)[self.user.name]

    async def start(self):
        settings = self._settings()
        person = self._person(settings)
        home = ensure_account(person, Path(settings["folder"]) / "home")
        if person.teaches:  # the class's course folder (gradebook, submissions) is the teachers' group's
            from .setup import TEACHERS_GROUP, _group

            _group(TEACHERS_GROUP)
            subprocess.run(["usermod", "-a", "-G", TEACHERS_GROUP, person.username], check=True, capture_output=True)
        write_user_files(settings, person, home)
        self.notebook_dir = str(home)
        memory, cpus = int(self.mem_limit or 0), float(self.cpu_limit or 0)
        self._group = limits.user_group(person.username, memory, cpus) if (memory or cpus) else None
        if self._group is None and (memory or cpus):
            self.log.warning("%s: no control group could be made: memory and CPU limits are NOT enforced", person.username)
        elif self._group is not None:
            self.log.info("%s: limits enforced by cgroup v%s: %s", person.username, self._group.version,
                          ", ".join(self._group.enforced))
        return await super().start()

    def make_preexec_fn(self, name):
        become = super().make_preexec_fn(name)
        group = getattr(self, "_group", None)

        def preexec():
            if group is not None:
                group.add(os.getpid())  # before dropping root: the server and all it starts count together
            become()

        return preexec

    def get_env(self):
        env = super().get_env()
        settings = self._settings()
        person = self._person(settings)
        tools = str(Path(settings["python"]).parent)
        env["PATH"] = tools + os.pathsep + env.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        env["JISR_LANG"] = person.language  # the course package's messages, in the learner's language
        for name in ("JISR_ROOT", "JISR_BUILD"):
            if settings.get(name.lower()):
                env[name] = settings[name.lower()]
        return env


def ensure_account(person: Person, homes: Path) -> Path:
    """The person's Unix account (made if missing) and home folder; refuses a name the system already uses."""
    home = homes / person.username
    try:
        grp.getgrnam(UNIX_GROUP)
    except KeyError:
        subprocess.run(["groupadd", "--system", UNIX_GROUP], check=True)
    try:
        entry = pwd.getpwnam(person.username)
    except KeyError:
        homes.mkdir(parents=True, exist_ok=True)
        os.chmod(homes, 0o755)
        subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--gid", UNIX_GROUP,
                        "--shell", "/bin/bash", "--comment", "jisr hub", person.username], check=True)
        entry = pwd.getpwnam(person.username)
    if entry.pw_gid != grp.getgrnam(UNIX_GROUP).gr_gid or Path(entry.pw_dir) != home:
        # an account of the machine (root, postgres, a person's own) is never taken over
        raise RuntimeError(f"the Unix account {person.username} already exists and is not a jisr hub account; "
                           "rename this person in the class list")
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o700)
    return home


def _write_owned(path: Path, text: str, owner: pwd.struct_passwd, *, keep: bool = False) -> None:
    """Write ``path`` as the learner's own file; ``keep`` leaves a file the learner already has."""
    if keep and path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    for part in [path, *path.parents]:
        if part == Path(owner.pw_dir) or not str(part).startswith(owner.pw_dir):
            break
        os.chown(part, owner.pw_uid, owner.pw_gid)


def write_user_files(settings: dict, person: Person, home: Path) -> None:
    """nbgrader's configuration, the interface language and the role's tools, in the learner's home."""
    owner = pwd.getpwnam(person.username)
    course = settings["courses"][person.course]
    lines = ["c = get_config()  # written by the jisr hub at each start: edits are replaced",
             f"c.Exchange.root = {settings['exchange']!r}",
             f"c.CourseDirectory.course_id = {channel(settings, person)!r}"]
    if person.teaches:
        lines.append(f"c.CourseDirectory.root = {course['dir']!r}")
    _write_owned(home / ".jupyter" / "nbgrader_config.py", "\n".join(lines) + "\n", owner)
    disabled_lab = {} if person.teaches else {name: True for name in TEACHER_ONLY_LAB}
    _write_owned(home / ".jupyter" / "labconfig" / "page_config.json",
                 json.dumps({"disabledExtensions": disabled_lab}, indent=1), owner)
    server = {} if person.teaches else {name: False for name in TEACHER_ONLY_SERVER}
    _write_owned(home / ".jupyter" / "jupyter_server_config.json",
                 json.dumps({"ServerApp": {"jpserver_extensions": server}}, indent=1), owner)
    # the interface language: set once, then the learner's own choice (Settings → Language) holds
    settings_path = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
    _write_owned(settings_path, json.dumps({"locale": LAB_LOCALE[person.language]}), owner, keep=True)


def configure(c, settings_file: str | Path) -> None:
    """Fill JupyterHub's configuration ``c`` from ``hub.json``."""
    settings = load(settings_file)
    folder = Path(settings["folder"])
    everyone = people(settings)
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        # started in the background by a shell: the services and servers would inherit an ignored
        # SIGINT, and the hub's shutdown (which interrupts them first) would wait for them forever
        signal.signal(signal.SIGINT, signal.default_int_handler)
    teachers = sorted(name for name, p in everyone.items() if p.teaches)
    learners = sorted(name for name, p in everyone.items() if not p.teaches)

    c.JupyterHub.ip = settings["ip"]
    c.JupyterHub.port = settings["port"]
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = settings["hub_port"]
    c.JupyterHub.db_url = f"sqlite:///{folder / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(folder / "jupyterhub_cookie_secret")
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
    c.ConfigurableHTTPProxy.command = [settings["node"], str(folder / "proxy" / "node_modules" / "configurable-http-proxy" / "bin" / "configurable-http-proxy")]
    c.ConfigurableHTTPProxy.pid_file = str(folder / "proxy.pid")

    c.Authenticator.allowed_users = set(everyone)
    c.Authenticator.admin_users = set(teachers)
    if settings.get("auth") == "dummy":  # tests only: every account has the same password
        c.JupyterHub.authenticator_class = "dummy"
        c.DummyAuthenticator.password = settings["dummy_password"]
    else:
        c.JupyterHub.authenticator_class = ClassAuthenticator
        c.ClassAuthenticator.accounts_file = str(folder / "accounts.json")
        c.ClassAuthenticator.enable_signup = False
    groups = {INSTRUCTORS: {"users": teachers}, LEARNERS: {"users": learners}}
    for name in sorted({p.course for p in everyone.values()}):
        groups[f"nbgrader-{name}"] = {"users": sorted(u for u, p in everyone.items() if p.course == name)}
    c.JupyterHub.load_groups = groups

    c.JupyterHub.spawner_class = JisrSpawner
    c.JisrSpawner.settings_file = str(settings_file)
    c.Spawner.cmd = [str(Path(settings["python"]).parent / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.mem_limit = settings["mem_limit"]
    c.Spawner.cpu_limit = float(settings["cpu_limit"])
    c.Spawner.start_timeout = 180  # a busy 2-core server starts JupyterLab slowly
    c.Spawner.http_timeout = 180

    python = settings["python"]
    services = [{"name": "arrival-stamps",
                 "command": [python, "-m", "jisr.hub.stamp", settings["exchange"], str(folder / "arrivals.jsonl")]}]
    roles = []
    if settings.get("cull_after"):
        services.append({"name": "idle-culler",
                         "command": [python, "-m", "jupyterhub_idle_culler", f"--timeout={int(settings['cull_after'])}"]})
        roles.append({"name": "idle-culler", "services": ["idle-culler"],
                      "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles
    if settings.get("api_token"):  # the `jisr hub` commands (and the tests) speak to the hub's REST API
        c.JupyterHub.services.append({"name": "jisr-teacher", "api_token": settings["api_token"]})
        c.JupyterHub.load_roles.append({"name": "jisr-teacher", "services": ["jisr-teacher"],
                                        "scopes": ["admin:users", "admin:servers", "list:users", "read:users"]})


__all__ = ["configure", "ClassAuthenticator", "JisrSpawner", "hash_password", "ensure_account"]

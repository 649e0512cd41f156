"""``jisr hub``: the course on a JupyterHub for a class, from the teacher's class list.

    jisr hub up class.csv --folder /srv/jisr-hub     # write everything, then start the hub
    jisr hub start --folder /srv/jisr-hub            # start it again (after a reboot)
    jisr hub release what-is-ai --folder /srv/jisr-hub
    jisr hub collect what-is-ai --folder /srv/jisr-hub
    jisr hub grade what-is-ai --folder /srv/jisr-hub
    jisr hub return what-is-ai --folder /srv/jisr-hub
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..i18n import Message, N_, Translator

DEFAULT_FOLDER = "/srv/jisr-hub"


def _say(t: Translator, message: Message, stream=sys.stdout) -> None:
    print(message.format(t), file=stream, flush=True)


def _settings(args) -> Path:
    return Path(args.folder).resolve() / "hub.json"


def _class_of(args, settings: Path) -> str:
    from .config import load

    courses = sorted(load(settings)["courses"])
    return args.course or courses[0]


def cmd_hub(args: argparse.Namespace, t: Translator) -> int:
    from .classlist import ClassListError, read
    from .exchange import HubCommandError
    from . import exchange, setup

    if os.geteuid() != 0:
        _say(t, Message(N_("The hub needs root: it makes an account on this machine for each person of the class list. Run: sudo jisr hub {action} …"), {"action": args.action}), sys.stderr)
        return 1
    settings = _settings(args)
    if args.action == "up":
        blocked = setup.unreachable_for_learners(Path(sys.executable))
        if blocked is not None:
            _say(t, Message(N_("The learners cannot run this Python ({python}): the folder {folder} is closed to other users. Install Python and jisr outside it (for example in /opt/jisr), or open the folder for entering only: chmod o+x {folder}"),
                            {"python": sys.executable, "folder": str(blocked)}), sys.stderr)
            return 1
        try:
            people = read(Path(args.target))
        except (ClassListError, OSError) as err:
            reason = err.message.format(t) if isinstance(err, ClassListError) else str(err)
            _say(t, Message(N_("The class list cannot be used: {reason}"), {"reason": reason}), sys.stderr)
            return 1
        setup.prepare(Path(args.folder), people, ip=args.ip, port=args.port, mem_limit=args.memory,
                      cpu_limit=args.cpus, cull_after=args.cull_after, progress=lambda text: print(text, flush=True))
        sheet = Path(args.folder).resolve() / "passwords.csv"
        _say(t, Message(N_("Initial passwords for the class are in {path} (readable by root only): print it and hand each person their line."), {"path": str(sheet)}))
    if args.action in ("up", "start"):
        if not settings.is_file():
            _say(t, Message(N_("No hub in {folder} yet: run `jisr hub up class.csv --folder {folder}` first."), {"folder": args.folder}), sys.stderr)
            return 1
        _say(t, Message(N_("The hub starts at http://{ip}:{port}/ (press Ctrl+C to stop)."), {"ip": args.ip, "port": args.port}))
        hub = setup.start(Path(args.folder))
        try:
            return hub.wait()
        except KeyboardInterrupt:
            hub.terminate()
            return hub.wait()
    if not settings.is_file():
        _say(t, Message(N_("No hub in {folder} yet: run `jisr hub up class.csv --folder {folder}` first."), {"folder": args.folder}), sys.stderr)
        return 1
    course, assignment = _class_of(args, settings), args.target
    try:
        if args.action == "release":
            channels = exchange.release(settings, course, assignment)
            _say(t, Message(N_("{assignment} released to {channels}."), {"assignment": assignment, "channels": ", ".join(channels)}))
        elif args.action == "collect":
            found = exchange.collect(settings, course, assignment)
            for student, record in sorted(found.items()):
                arrived = record["arrived"] or Message(N_("not stamped by the hub (it was stopped); the learner’s time is kept")).format(t)
                _say(t, Message(N_("{student}: arrived {arrived}"), {"student": student, "arrived": arrived}))
        elif args.action == "grade":
            outcomes = exchange.grade(settings, course, assignment, workers=args.workers)
            for outcome in outcomes:
                _say(t, Message(N_("{student}: {score:g} / {max:g}"), {"student": outcome.student, "score": outcome.score,
                                                                        "max": outcome.grade.max_score if outcome.grade else 0}))
        elif args.action == "return":
            returned = exchange.return_feedback(settings, course, assignment)
            _say(t, Message(N_("Feedback returned to: {students}"), {"students": ", ".join(returned) or "-"}))
    except HubCommandError as err:
        print(str(err), file=sys.stderr)
        return 1
    return 0


def add_parser(sub: argparse._SubParsersAction, t: Translator) -> None:
    """Register ``jisr hub`` on the command's sub-parsers."""
    s = sub.add_parser("hub", help=t(N_("run the course for a class on a JupyterHub on this machine")))
    s.add_argument("action", choices=["up", "start", "release", "collect", "grade", "return"],
                   help=t(N_("up: set up from a class list and start; start; release, collect, grade or return an assignment")))
    s.add_argument("target", nargs="?", help=t(N_("the class list (CSV) for up; the assignment (lesson id) for the others")))
    s.add_argument("--folder", default=DEFAULT_FOLDER, help=t(N_("the hub’s folder (default: /srv/jisr-hub)")))
    s.add_argument("--class", dest="course", help=t(N_("the class, when the class list has several")))
    s.add_argument("--ip", default="0.0.0.0", help=t(N_("the address the hub listens on (default: all of this machine’s)")))
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--memory", default="1G", help=t(N_("memory limit per learner (default: 1G)")))
    s.add_argument("--cpus", type=float, default=1.0, help=t(N_("processor limit per learner, in cores (default: 1)")))
    s.add_argument("--cull-after", type=int, default=3600, help=t(N_("stop a learner’s server after this many idle seconds (default: 3600)")))
    s.add_argument("--workers", type=int, default=2, help=t(N_("submissions graded at once (default: 2)")))
    s.set_defaults(func=cmd_hub)

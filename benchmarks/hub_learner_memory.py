"""Memory of one learner on a running `jisr hub`: the server idle, then the lesson running.

    sudo .venv/bin/python benchmarks/hub_learner_memory.py /srv/jisr-hub amina [fundamentals/what-is-ai]

The learner must be logged in (their server started by the hub). Reads the
learner's control group (``jisr.hub.<name>``, made by the hub's spawner), so
it measures exactly what the hub's limits count:

1. idle: the learner's server (JupyterLab), no kernel;
2. kernel idle: a kernel started as the learner, inside the learner's group;
3. working: that kernel runs the lesson's learner notebook (in the learner's
   language); the peak is sampled every 0.2 s.

For each: PSS (shared libraries counted once per machine: what a server full of
learners costs per learner) and RSS (each process counted whole: the cautious
figure), summed over the group's processes. Prints JSON; nothing is asserted.
"""

from __future__ import annotations

import json
import os
import pwd
import sys
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from jisr.hub import limits
from jisr.hub.config import load, people
from jisr.render import render
from jisr.source import lesson_by_key

MB = 1024 * 1024


def group_memory(group: limits.UserGroup) -> dict[str, float]:
    pss = rss = 0
    for pid in limits.pids_of(group):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return {"pss_mb": round(pss / MB, 1), "rss_mb": round(rss / MB, 1), "processes": len(limits.pids_of(group))}


def main(folder: str, user: str, lesson_key: str = "fundamentals/what-is-ai") -> None:
    settings = load(Path(folder) / "hub.json")
    person = people(settings)[user]
    group = limits.user_group(user, 0, 0)
    assert group is not None and limits.pids_of(group), f"{user} has no running server in a control group"
    result = {"user": user, "language": person.language, "lesson": lesson_key, "server_idle": group_memory(group)}
    entry = pwd.getpwnam(user)
    notebook = render(lesson_by_key(lesson_key), person.language, "learner")
    work = Path(entry.pw_dir) / "footprint-run"
    work.mkdir(exist_ok=True)
    os.chown(work, entry.pw_uid, entry.pw_gid)

    os.environ["JUPYTER_RUNTIME_DIR"] = str(work)  # the kernel's connection file, readable once given to the learner

    def as_learner() -> None:  # the kernel process: in the learner's group, as the learner
        group.add(os.getpid())
        os.chown(work / "kernel.json", entry.pw_uid, entry.pw_gid)
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)

    env = {"HOME": entry.pw_dir, "USER": user, "JISR_LANG": person.language, "PATH": os.environ["PATH"], "MPLBACKEND": "Agg"}
    client = NotebookClient(notebook, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(work)}})
    client.km = client.create_kernel_manager()
    client.km.connection_file = str(work / "kernel.json")
    peak = {"pss_mb": 0.0, "rss_mb": 0.0}
    running = threading.Event()

    def sample() -> None:
        while running.is_set():
            now = group_memory(group)
            peak["pss_mb"], peak["rss_mb"] = max(peak["pss_mb"], now["pss_mb"]), max(peak["rss_mb"], now["rss_mb"])
            time.sleep(0.2)

    with client.setup_kernel(env=env, cwd=str(work), preexec_fn=as_learner):
        time.sleep(3)  # the kernel settles
        result["kernel_idle"] = group_memory(group)
        running.set()
        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.monotonic()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        result["lesson_seconds"] = round(time.monotonic() - started, 1)
        running.clear()
        sampler.join()
    result["working_peak"] = peak
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])

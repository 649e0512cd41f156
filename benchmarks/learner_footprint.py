"""What one learner costs a hub: memory and processor of a single-user server and its kernel.

    python benchmarks/learner_footprint.py            # every lesson, English notebooks
    python benchmarks/learner_footprint.py --lesson fundamentals/what-is-ai

Starts a real Jupyter server (JupyterLab's, as on the hub) in a temporary home,
measures it with a kernel idle, then runs each lesson's learner notebook in a
kernel and samples the kernel's memory (PSS, so shared libraries count once per
machine, as a node sees them). Writes benchmarks/results/learner-footprint.json,
which the "Sizing a hub" page and deploy/z2jh/values.yaml are checked against.
Figures are printed and saved, never asserted: they are measurements, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

from jisr.render import render
from jisr.source import find_lessons

RESULTS = Path(__file__).parent / "results" / "learner-footprint.json"
MB = 1024 * 1024


def memory_of(process: psutil.Process) -> tuple[float, float]:
    """(PSS, RSS) in MB of a process and its children."""
    pss = rss = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            info = p.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        pss += getattr(info, "pss", info.rss) / MB
        rss += info.rss / MB
    return pss, rss


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def idle_server(home: Path) -> dict[str, float]:
    """A JupyterLab server with one Python kernel started and left idle."""
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "HOME": str(home), "JUPYTER_TOKEN": token, "OMP_NUM_THREADS": "1"}
    server = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
                               "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={home}", "--allow-root"],
                              env=env, stdout=subprocess.DEVNULL, stderr=(home / "server.log").open("w"))
    base = f"http://127.0.0.1:{port}/api"
    headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(urllib.request.Request(f"{base}/status", headers=headers), timeout=5)
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("the Jupyter server stopped:\n" + (home / "server.log").read_text()[-3000:])
                time.sleep(0.2)
        alone = memory_of(psutil.Process(server.pid))
        urllib.request.urlopen(urllib.request.Request(f"{base}/kernels", data=b'{"name": "python3"}', headers=headers), timeout=60)
        # a kernel is idle once its start-up is over: wait until its memory stops growing
        previous = 0.0
        for _ in range(60):
            time.sleep(1)
            now = memory_of(psutil.Process(server.pid))[0]
            if abs(now - previous) < 1:
                break
            previous = now
        with_kernel = memory_of(psutil.Process(server.pid))
        return {"server_pss_mb": round(alone[0]), "server_rss_mb": round(alone[1]),
                "idle_pss_mb": round(with_kernel[0]), "idle_rss_mb": round(with_kernel[1])}
    finally:
        server.terminate()
        server.wait(timeout=60)


def working_kernel(lesson, language: str, home: Path) -> dict[str, float]:
    """Run a lesson's learner notebook in a kernel; sample the kernel's memory while it works."""
    folder = home / lesson.key.replace("/", "-")
    folder.mkdir(parents=True)
    notebook = render(lesson, language, "learner")
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    peak = {"pss": 0.0, "rss": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            manager = client.km
            pid = getattr(getattr(manager, "provisioner", None), "pid", None) if manager else None
            if pid:
                try:
                    pss, rss = memory_of(psutil.Process(pid))
                    peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)
                except psutil.NoSuchProcess:
                    pass
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start, cpu_start = time.perf_counter(), _children_cpu()
    try:
        client.execute()
    finally:
        done.set()
        sampler.join()
    return {"lesson": lesson.key, "language": language, "wall_s": round(time.perf_counter() - start, 1),
            "cpu_s": round(_children_cpu() - cpu_start, 1), "peak_pss_mb": round(peak["pss"]), "peak_rss_mb": round(peak["rss"])}


def _children_cpu() -> float:
    """Processor seconds used by finished child processes (the kernels) of this process."""
    usage = os.times()
    return usage.children_user + usage.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lesson", action="append", help="lesson key, e.g. fundamentals/what-is-ai (default: all)")
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    lessons = [lesson for lesson in find_lessons() if not args.lesson or lesson.key in args.lesson]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        idle = idle_server(home)
        print(f"server alone {idle['server_pss_mb']} MB PSS; with an idle kernel {idle['idle_pss_mb']} MB PSS "
              f"({idle['idle_rss_mb']} MB RSS)", flush=True)
        lessons_measured = []
        for lesson in lessons:
            figures = working_kernel(lesson, args.language, home)
            lessons_measured.append(figures)
            print(f"{lesson.key:<40} {figures['wall_s']:7.1f} s wall {figures['cpu_s']:7.1f} s CPU "
                  f"peak {figures['peak_pss_mb']} MB PSS ({figures['peak_rss_mb']} MB RSS)", flush=True)
    machine = {"cores": os.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30),
               "arch": platform.machine(), "python": platform.python_version()}
    result = {"measured": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "machine": machine,
              "idle": idle, "lessons": lessons_measured}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()

"""The institute's path: Helm values for Zero to JupyterHub, the course image's start script, sizing."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml

from jisr.hub import lti
from jisr.hub.sizing import Footprint, chart_memory, problems, sizing_page
from jisr.i18n import Translator
from jisr.paths import project_root

ROOT = project_root()
Z2JH = ROOT / "deploy" / "z2jh"
VENV_BIN = Path(sys.executable).parent


def helm_merge(base: dict, over: dict) -> dict:
    """Values merged as helm merges a values file over a chart's defaults (maps merge, the rest replaces)."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = helm_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def institute_values() -> dict:
    """deploy/z2jh/values.yaml as the README's helm command gives it (with --set-file for the LTI module)."""
    values = yaml.safe_load((Z2JH / "values.yaml").read_text(encoding="utf-8"))
    values["hub"]["extraFiles"]["jisr-lti"]["stringData"] = (ROOT / "src" / "jisr" / "hub" / "lti.py").read_text(encoding="utf-8")
    defaults = yaml.safe_load((Z2JH / "vendor" / "values.yaml").read_text(encoding="utf-8"))
    return helm_merge(defaults, values)


def schema_errors(values: dict) -> list[str]:
    schema = yaml.safe_load((Z2JH / "vendor" / "values.schema.yaml").read_text(encoding="utf-8"))
    return [f"{e.json_path}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(values)]


def test_the_values_pass_the_charts_own_schema() -> None:
    values = institute_values()
    assert schema_errors(values) == []
    # what the issue asks of the scale-out path, as the chart will read it
    assert values["hub"]["db"]["type"] == "postgres"
    assert values["cull"]["enabled"] and values["cull"]["timeout"] > 0
    mounts = {m["mountPath"] for m in values["singleuser"]["storage"]["extraVolumeMounts"]}
    assert "/srv/nbgrader/exchange" in mounts
    assert "/srv/nbgrader/exchange" in values["singleuser"]["extraFiles"]["nbgrader-config"]["stringData"]
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"].startswith("ltiauthenticator.lti13")
    assert values["singleuser"]["image"]["tag"] not in ("latest", "set-by-chartpress")


@pytest.mark.parametrize("mistake", [
    {"singleuser": {"memry": {"limit": "2Gi"}}},        # a misspelt key
    {"cull": {"enabled": "yes"}},                        # a string where the chart wants a boolean
    {"hub": {"db": {"type": "oracle"}}},                 # a database the chart does not know
])
def test_the_schema_refuses_a_broken_values_file(mistake: dict) -> None:
    assert schema_errors(helm_merge(institute_values(), mistake))


def test_the_charts_memory_agrees_with_the_measured_learner(tmp_path: Path) -> None:
    footprint = Footprint.load()
    assert problems(footprint) == []
    guarantee, limit = chart_memory()
    assert footprint.idle_mb <= guarantee < limit
    # a limit below what a working learner was measured to use is caught
    values = yaml.safe_load((Z2JH / "values.yaml").read_text(encoding="utf-8"))
    values["singleuser"]["memory"]["limit"] = f"{int(footprint.working_mb)}Mi"
    values["singleuser"]["memory"]["guarantee"] = "64Mi"
    (tmp_path / "values.yaml").write_text(yaml.safe_dump(values), encoding="utf-8")
    found = problems(footprint, tmp_path / "values.yaml")
    assert len(found) == 2 and "limit" in found[1] and "guarantee" in found[0]


def test_the_footprint_covers_every_lesson() -> None:
    from jisr.source import find_lessons

    measured = json.loads((ROOT / "benchmarks" / "results" / "learner-footprint.json").read_text(encoding="utf-8"))
    assert {lesson["lesson"] for lesson in measured["lessons"]} == {lesson.key for lesson in find_lessons()}


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_sizing_page_gives_the_measured_figures_in_each_language(language: str) -> None:
    from jisr.book import book_translator

    footprint = Footprint.load()
    page = sizing_page(language, book_translator(language), footprint)
    number = Translator(language).number
    assert number(round(footprint.working_mb), 0) in page and number(round(footprint.idle_mb), 0) in page
    assert str(footprint.learners_per_node(16)) in page
    english = sizing_page("en", book_translator("en"), footprint)
    assert (page.splitlines()[0] == english.splitlines()[0]) == (language == "en")


def moodle_launch(*roles: str) -> dict:
    """The claims of an LTI 1.3 id_token as Moodle sends them (one launch)."""
    return {"iss": "https://moodle.example.ma", "sub": "42", lti.ROLES_CLAIM: list(roles),
            "https://purl.imsglobal.org/spec/lti/claim/custom": {"username": "khadija.amrani"}}


def test_the_hub_configuration_turns_moodle_roles_into_groups_and_tools(tmp_path: Path) -> None:
    """Run the chart's extraConfig as the hub does, with the module mounted where the chart puts it."""
    from traitlets.config import Config

    values = institute_values()
    mounted = values["hub"]["extraFiles"]["jisr-lti"]
    folder = tmp_path / "usr-local-etc-jupyterhub"
    folder.mkdir()
    (folder / Path(mounted["mountPath"]).name).write_text(mounted["stringData"], encoding="utf-8")
    code = values["hub"]["extraConfig"]["jisr-roles"].replace("/usr/local/etc/jupyterhub", str(folder))
    c = Config()
    exec(compile(code, "extraConfig", "exec"), {"c": c, "get_config": lambda: c})
    sys.modules.pop("jisr_lti", None)
    hook, spawn = c.Authenticator.post_auth_hook, c.Spawner.pre_spawn_hook
    teacher = hook(None, None, {"name": "khadija.amrani", "auth_state": moodle_launch(lti.INSTRUCTOR)})
    learner = hook(None, None, {"name": "youssef", "auth_state": moodle_launch(
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner")})
    assert teacher["groups"] == ["instructors"] and learner["groups"] == ["learners"]
    assert teacher["name"] == "khadija.amrani"
    spawner = SimpleNamespace(environment={}, user=SimpleNamespace(groups=[SimpleNamespace(name="instructors")]))
    spawn(spawner)
    assert spawner.environment == {"JISR_ROLE": "instructor"}


@pytest.mark.parametrize("role,shown", [("instructor", True), ("learner", False)])
def test_the_images_start_script_shows_the_formgrader_to_instructors_only(role: str, shown: bool, tmp_path: Path) -> None:
    """deploy/image/jisr-start with the real jupyter commands, in a fresh home."""
    env = {"HOME": str(tmp_path), "PATH": f"{VENV_BIN}:/usr/bin:/bin", "JISR_ROLE": role,
           "JUPYTER_CONFIG_DIR": str(tmp_path / ".jupyter")}
    started = subprocess.run([str(ROOT / "deploy" / "image" / "jisr-start"), "sh", "-c", "echo started"],
                             env=env, capture_output=True, text=True, timeout=600)
    assert started.returncode == 0 and started.stdout.strip() == "started", started.stderr[-2000:]
    # what a server started now would load (jupyter_server's own resolution of the config files)
    probe = ("from jupyter_server.serverapp import ServerApp; app = ServerApp(); "
             "app.initialize(argv=['--allow-root', '--port=0']); "
             "print('LOADED', sorted(name for name, e in app.extension_manager.extensions.items() if e.enabled))")
    server = subprocess.run([str(VENV_BIN / "python"), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    loaded = next(line for line in server.stdout.splitlines() if line.startswith("LOADED"))
    assert ("nbgrader.server_extensions.formgrader" in loaded) == shown
    assert "nbgrader.server_extensions.assignment_list" in loaded  # everyone fetches and submits
    lab = subprocess.run([str(VENV_BIN / "jupyter"), "labextension", "list"], env=env,
                         capture_output=True, text=True, timeout=600)
    disabled = (lab.stdout + lab.stderr).split("Disabled extensions:")[-1] if "Disabled extensions:" in lab.stdout + lab.stderr else ""
    assert ("@jupyter/nbgrader:formgrader" in disabled) == (not shown)

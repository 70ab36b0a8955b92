"""A scripted learner session on a real git clone: start, answer, check, pull a course change, update.

The course as it is here becomes an "upstream" repository; the learner clones it and works as the README says.
Then the course changes chapter 00 upstream, the learner pulls and runs `course update`: their answer is still
there, the change is in, git sees nothing of the workspace, and the course's own tests still pass.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib import paths

ANSWER = "def to_unit_range(images):\n    return images.astype('float32') / 255.0\n"
PLACEHOLDER = "def to_unit_range(images):\n    ...  # your code here\n"
UPSTREAM_TEXT = "(A sentence the course added in an update.)"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(folder, *args):
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout


def _course_files() -> list[str]:
    """The course's files as git would commit them (tracked, plus new files not ignored)."""
    if not (paths.PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = _git(paths.PROJECT_ROOT, "ls-files", "--cached", "--others", "--exclude-standard")
    return [name for name in listed.splitlines() if (paths.PROJECT_ROOT / name).is_file()]


def _run(folder, env, *args, check=True):
    result = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, timeout=900)
    if check:
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_a_learners_answers_survive_a_course_update(tmp_path):
    upstream, clone = tmp_path / "upstream", tmp_path / "learner"
    for name in _course_files():
        target = upstream / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(paths.PROJECT_ROOT / name, target)
    _git(upstream, "init", "-q", "-b", "main")
    _git(upstream, "-c", "user.name=Course", "-c", "user.email=course@example.org", "add", "-A")
    _git(upstream, "-c", "user.name=Course", "-c", "user.email=course@example.org", "commit", "-q", "-m", "v1")
    _git(tmp_path, "clone", "-q", str(upstream), str(clone))

    # The learner's shell: this course's packages, the clone's course_lib, their own progress file.
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_WORKSPACE", "PYTEST_CURRENT_TEST")}
    env.update(PYTHONPATH=str(clone), COURSE_PROGRESS=str(tmp_path / "progress.json"))
    course = [sys.executable, "-m", "course_lib.cli"]

    _run(clone, env, *course, "start", "00", "--no-lab")
    copy = clone / "work" / "00_start_here.ipynb"
    nb = nbformat.read(copy, as_version=4)
    answer_cell = next(c for c in nb.cells if PLACEHOLDER in c.source)
    answer_cell.source = answer_cell.source.replace(PLACEHOLDER, ANSWER)
    nbformat.write(nb, copy)

    checked = _run(clone, env, *course, "check", "00")
    assert "✓ q2" in checked.stdout, checked.stdout

    # The course changes chapter 00; the learner pulls (git must not be in the way) and updates.
    chapter = upstream / "chapters" / "00_start_here.ipynb"
    nb = nbformat.read(chapter, as_version=4)
    intro = next(c for c in nb.cells if c.source.startswith("### Your turn"))
    intro.source += "\n\n" + UPSTREAM_TEXT
    nbformat.write(nb, chapter)
    _git(upstream, "-c", "user.name=Course", "-c", "user.email=course@example.org", "commit", "-q", "-am", "v2")
    _git(clone, "pull", "-q", "--ff-only")

    updated = _run(clone, env, *course, "update", "00")
    assert "00_start_here.ipynb: updated; your answers are kept" in updated.stdout, updated.stdout
    merged = nbformat.read(copy, as_version=4)
    assert any(ANSWER in c.source for c in merged.cells), "the learner's answer is gone"
    assert any(UPSTREAM_TEXT in c.source for c in merged.cells), "the course's change did not arrive"
    assert _git(clone, "status", "--porcelain") == "", "the workspace shows up in git"

    progress = _run(clone, env, *course, "progress")
    assert "✓ q2  Scale uint8 images" in progress.stdout

    # The course's tests still pass in the learner's clone, and never collect the workspace.
    collected = _run(clone, env, sys.executable, "-m", "pytest", "--collect-only", "-q", ".")
    assert "work/" not in collected.stdout and "chapters/00_start_here.ipynb" in collected.stdout
    tested = _run(clone, env, sys.executable, "-m", "pytest", "-q", "chapters/00_start_here.ipynb",
                  "tests/test_workspace.py", check=False)
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert Path(clone / "work").is_dir() and _git(clone, "status", "--porcelain") == ""

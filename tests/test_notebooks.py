"""Notebook policy: what every chapter must have, checked on the committed files."""

import re
from pathlib import Path

import nbformat
import pytest

from course_lib.exercises import chapter
from course_lib.paths import CHAPTERS_DIR, PROJECT_ROOT

NOTEBOOKS = sorted(CHAPTERS_DIR.glob("*.ipynb"))
TITLE = re.compile(r"^# (\d\d) · [A-Za-z].* · .*[\u4e00-\u9fff]")


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_chapters_exist():
    assert [p.name for p in NOTEBOOKS][:2] == ["00_start_here.ipynb", "01_python_basics.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_bilingual_title_matching_the_file_number(path):
    first = _read(path).cells[0]
    assert first.cell_type == "markdown"
    match = TITLE.match(first.source)
    assert match, f"first line should look like '# 03 · Convolutional networks · 卷积神经网络': {first.source[:80]!r}"
    assert match.group(1) == path.name[:2]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_in_the_first_code_cell(path):
    assert re.search(r"course_lib\.setup\(seed=\d+\)", _code(_read(path))[0].source)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_at_least_three_exercises_each_checked(path):
    nb = _read(path)
    number = path.name[:2]
    source = "\n".join(c.source for c in _code(nb))
    assert f'chapter("{number}")' in source
    checked = set(re.findall(r"ex\.(q\d+)\.check\(", source))
    problems = {p.question for p in chapter(number).problems}
    assert len(problems) >= 3
    assert checked == problems, f"exercises defined but not in the notebook, or the reverse: {checked ^ problems}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_clean(path):
    code = [c for c in _code(_read(path)) if c.source.strip()]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run it with `course run`"
    for index, cell in enumerate(code):
        for output in cell.outputs:
            assert output.output_type != "error", f"cell {index} committed with an error"
            assert not (output.output_type == "stream" and output.name == "stderr"), f"cell {index} has stderr"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_followed_by_an_assertion(path):
    code = _code(_read(path))
    for index, cell in enumerate(code):
        if "NBVAL_IGNORE_OUTPUT" in cell.source or "nbval-ignore-output" in cell.metadata.get("tags", []):
            following = code[index + 1].source if index + 1 < len(code) else ""
            assert "assert" in following, f"cell {index} ignores its output but the next cell asserts nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_summary_and_glossary(path):
    markdown = "\n".join(c.source for c in _read(path).cells if c.cell_type == "markdown")
    assert "## Summary" in markdown and "## Glossary · 术语表" in markdown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_readme_table_lists_the_chapter_with_its_measured_minutes(path):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    row = next((line for line in readme.splitlines() if line.startswith("|") and f"chapters/{path.name}" in line), None)
    assert row, f"README chapter table has no row for {path.name}"
    assert re.search(r"\|\s*\d+(\.\d+)? min\s*\|", row), f"no measured minutes in: {row}"

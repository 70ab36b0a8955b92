"""The learner's workspace: copies that are never overwritten, and real three-way merges of course updates."""

import shutil
import subprocess

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_output

from course_lib import paths, workspace

CHAPTER = "00_start_here.ipynb"
ANSWER = "def to_unit_range(images):\n    return images.astype('float32') / 255.0\n"


def _cell(nb, text):
    """The one cell whose source contains ``text``."""
    cells = [c for c in nb.cells if text in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {text!r}"
    return cells[0]


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course folder with chapters 00 and 01 (real notebooks), and an empty workspace beside it."""
    chapters = tmp_path / "chapters"
    chapters.mkdir()
    for name in (CHAPTER, "01_python_basics.ipynb"):
        shutil.copy(paths.CHAPTERS_DIR / name, chapters / name)
    monkeypatch.setattr(paths, "CHAPTERS_DIR", chapters)
    where = tmp_path / "work"
    monkeypatch.setenv("COURSE_WORKSPACE", str(where))
    return chapters, where


def _answer_q2(copy_file):
    """What a learner does in JupyterLab: write an answer, run the cell, save."""
    nb = nbformat.read(copy_file, as_version=4)
    cell = _cell(nb, "def to_unit_range(images):")
    cell.source = cell.source.replace("def to_unit_range(images):\n    ...  # your code here\n", ANSWER)
    cell.execution_count = 7
    cell.outputs = [new_output("stream", name="stdout", text="✓ 00.q2 Correct\n")]
    nbformat.write(nb, copy_file)


def _change_upstream(chapters, text, new_text):
    path = chapters / CHAPTER
    nb = nbformat.read(path, as_version=4)
    cell = _cell(nb, text)
    cell.source = cell.source.replace(text, new_text)
    nbformat.write(nb, path)


def test_start_makes_cleared_copies_in_the_workspace_and_records_their_base(course):
    chapters, where = course
    assert workspace.workspace_dir() == where
    results = workspace.make_copies(["0"])
    assert results == [(where / CHAPTER, True)]
    copy = nbformat.read(where / CHAPTER, as_version=4)
    code = [c for c in copy.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    committed = nbformat.read(chapters / CHAPTER, as_version=4)
    assert any(c.get("outputs") for c in committed.cells)  # the committed chapter does have outputs
    assert [c.source for c in copy.cells] == [c.source for c in committed.cells]
    assert nbformat.read(workspace.base_path(chapters / CHAPTER, where), as_version=4) == copy


def test_start_never_overwrites_a_copy(course):
    chapters, where = course
    workspace.make_copies()
    _answer_q2(where / CHAPTER)
    before = (where / CHAPTER).read_bytes()
    results = dict(workspace.make_copies())
    assert results == {where / CHAPTER: False, where / "01_python_basics.ipynb": False}
    assert (where / CHAPTER).read_bytes() == before


def test_an_unknown_chapter_is_refused_with_the_list(course):
    with pytest.raises(workspace.WorkspaceError, match="no chapter '42'.*00_start_here.ipynb"):
        workspace.make_copies(["42"])


def test_update_merges_a_course_change_and_keeps_the_answer(course):
    chapters, where = course
    workspace.make_copies(["00"])
    _answer_q2(where / CHAPTER)
    assert workspace.update_chapter(chapters / CHAPTER, where).action == "up to date"
    _change_upstream(chapters, "Write `count_per_class(labels)`", "Write the function `count_per_class(labels)`")

    answered = (where / CHAPTER).read_bytes()
    result = workspace.update_chapter(chapters / CHAPTER, where)
    assert result.action == "merged"
    merged = nbformat.read(where / CHAPTER, as_version=4)
    nbformat.validate(merged)
    answer_cell = _cell(merged, "def to_unit_range(images):")
    assert ANSWER in answer_cell.source and answer_cell.outputs[0].text == "✓ 00.q2 Correct\n"
    assert "Write the function `count_per_class(labels)`" in _cell(merged, "count_per_class(labels)`").source
    assert result.path.read_bytes() == answered  # the copy as it was, backed up
    assert workspace.update_chapter(chapters / CHAPTER, where).action == "up to date"  # the base moved on


def test_a_conflict_leaves_the_copy_untouched_and_a_merge_jupyter_opens(course):
    chapters, where = course
    workspace.make_copies(["00"])
    _answer_q2(where / CHAPTER)
    _change_upstream(chapters, "def to_unit_range(images):\n", "def to_unit_range(images):\n    # images: uint8\n")
    answered = (where / CHAPTER).read_bytes()

    result = workspace.update_chapter(chapters / CHAPTER, where)
    assert result.action == "conflict" and result.conflicts >= 1
    assert (where / CHAPTER).read_bytes() == answered
    assert result.path == where / "00_start_here.merged.ipynb"
    candidate = nbformat.read(result.path, as_version=4)
    nbformat.validate(candidate)
    source = _cell(candidate, "def to_unit_range(images):").source
    assert "<<<<<<< your copy" in source and ">>>>>>> course update" in source and "# images: uint8" in source
    assert "return images.astype('float32') / 255.0" in source

    with pytest.raises(workspace.WorkspaceError, match="still has conflict markers in cell"):
        workspace.accept_merge("00")
    cell = _cell(candidate, "def to_unit_range(images):")
    cell.source = "def to_unit_range(images):\n    # images: uint8\n" + ANSWER.split("\n", 1)[1]
    nbformat.write(candidate, result.path)
    backup = workspace.accept_merge("00")
    assert backup.read_bytes() == answered and not result.path.exists()
    resolved = nbformat.read(where / CHAPTER, as_version=4)
    assert "# images: uint8\n    return images.astype('float32')" in _cell(resolved, "def to_unit_range").source
    assert workspace.update_chapter(chapters / CHAPTER, where).action == "up to date"


def test_cells_inserted_at_the_same_place_on_both_sides_must_be_resolved(course):
    chapters, where = course
    workspace.make_copies(["00"])
    for path, text in ((where / CHAPTER, "My own note."), (chapters / CHAPTER, "A new paragraph from the course.")):
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(5, new_markdown_cell(text))
        nbformat.write(nb, path)
    result = workspace.update_chapter(chapters / CHAPTER, where)
    assert result.action == "conflict" and result.conflicts >= 1
    candidate = nbformat.read(result.path, as_version=4)
    text = "\n".join(c.source for c in candidate.cells)
    assert "My own note." in text and "A new paragraph from the course." in text and "your copy" in text
    with pytest.raises(workspace.WorkspaceError, match="still has conflict markers"):
        workspace.accept_merge("00")


def test_a_metadata_change_on_both_sides_keeps_the_learners_and_merges(course):
    chapters, where = course
    workspace.make_copies(["00"])
    for path, value in ((where / CHAPTER, "learner"), (chapters / CHAPTER, "course")):
        nb = nbformat.read(path, as_version=4)
        nb.cells[2].metadata["tags"] = [value]
        nbformat.write(nb, path)
    result = workspace.update_chapter(chapters / CHAPTER, where)
    assert result.action == "merged"
    merged = nbformat.read(where / CHAPTER, as_version=4)
    assert merged.cells[2].metadata["tags"] == ["learner"] and "nbdime-conflicts" not in str(merged)


def test_accept_refuses_when_the_copy_changed_after_the_merge_was_made(course):
    chapters, where = course
    workspace.make_copies(["00"])
    _answer_q2(where / CHAPTER)
    _change_upstream(chapters, "def to_unit_range(images):\n", "def to_unit_range(images):\n    # images: uint8\n")
    result = workspace.update_chapter(chapters / CHAPTER, where)
    candidate = nbformat.read(result.path, as_version=4)
    _cell(candidate, "def to_unit_range").source = "def to_unit_range(images):\n    return images / 255\n"
    nbformat.write(candidate, result.path)
    nb = nbformat.read(where / CHAPTER, as_version=4)  # the learner keeps working in the copy
    _cell(nb, "def count_per_class(labels):").source = "def count_per_class(labels):\n    return labels\n"
    nbformat.write(nb, where / CHAPTER)
    latest = (where / CHAPTER).read_bytes()
    with pytest.raises(workspace.WorkspaceError, match="changed after `course update`"):
        workspace.accept_merge("00")
    assert (where / CHAPTER).read_bytes() == latest


def test_a_workspace_that_is_a_file_is_refused(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.setenv("COURSE_WORKSPACE", str(tmp_path / "notes.txt"))
    with pytest.raises(workspace.WorkspaceError, match="is a file, not a folder"):
        workspace.workspace_dir()
    monkeypatch.setenv("COURSE_WORKSPACE", "relative/work")
    assert workspace.workspace_dir().is_absolute()


def test_accept_without_a_merge_says_so(course):
    workspace.make_copies(["00"])
    with pytest.raises(workspace.WorkspaceError, match="no merge to accept"):
        workspace.accept_merge("00")


def test_a_chapter_never_copied_is_simply_copied(course):
    chapters, where = course
    workspace.make_copies(["00"])
    result = workspace.update_chapter(chapters / "01_python_basics.ipynb", where)
    assert result.action == "copied" and (where / "01_python_basics.ipynb").exists()


def test_a_copy_without_a_base_is_not_merged(course):
    chapters, where = course
    workspace.make_copies(["00"])
    workspace.base_path(chapters / CHAPTER, where).unlink()
    _change_upstream(chapters, "Write `count_per_class(labels)`", "Write `count_per_class(y)`")
    before = (where / CHAPTER).read_bytes()
    result = workspace.update_chapter(chapters / CHAPTER, where)
    assert result.action == "no base" and (where / CHAPTER).read_bytes() == before
    assert "count_per_class(y)" in result.path.read_text()


def test_a_copy_that_is_not_valid_json_is_reported_and_left_alone(course):
    chapters, where = course
    workspace.make_copies(["00"])
    _change_upstream(chapters, "Write `count_per_class(labels)`", "Write `count_per_class(y)`")
    (where / CHAPTER).write_text('{"cells": [<<<<<<< stash')
    with pytest.raises(workspace.WorkspaceError, match="00_start_here.ipynb is not a valid notebook"):
        workspace.update_chapter(chapters / CHAPTER, where)
    assert (where / CHAPTER).read_text() == '{"cells": [<<<<<<< stash'


def test_diff_shows_what_changed_upstream(course):
    chapters, where = course
    workspace.make_copies(["00"])
    assert workspace.upstream_diff("00") == ""
    path = chapters / CHAPTER
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, new_markdown_cell("A new paragraph from the course."))
    nbformat.write(nb, path)
    text = workspace.upstream_diff("00")
    assert "A new paragraph from the course." in text and "inserted" in text


def test_diff_without_a_copy_says_how_to_make_one(course):
    with pytest.raises(workspace.WorkspaceError, match="no copy of chapter 00 yet; `course start 00`"):
        workspace.upstream_diff("00")


def test_diff_of_a_copy_without_a_base_says_how_to_start_over(course):
    chapters, where = course
    workspace.make_copies(["00"])
    workspace.base_path(chapters / CHAPTER, where).unlink()
    with pytest.raises(workspace.WorkspaceError, match="move 00_start_here.ipynb out of the workspace"):
        workspace.upstream_diff("00")


def test_the_default_workspace_is_git_ignored(monkeypatch):
    monkeypatch.delenv("COURSE_WORKSPACE")
    where = workspace.workspace_dir()
    assert where == paths.PROJECT_ROOT / "work"
    if not (paths.PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    result = subprocess.run(["git", "check-ignore", "-q", str(where / CHAPTER)], cwd=paths.PROJECT_ROOT)
    assert result.returncode == 0, "work/ must be in .gitignore"

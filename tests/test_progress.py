"""The progress file: stable ids, the first format's migration, broken files, forgetting a chapter."""

import json

import pytest

from course_lib import progress
from course_lib.exercises import chapter


@pytest.fixture
def path(tmp_path, monkeypatch):
    target = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS", str(target))
    return target


def test_no_file_is_an_empty_progress(path):
    assert progress.load() == {"format": 2, "chapters": {}}
    assert not path.exists()


def test_a_first_format_file_migrates_by_position_and_is_kept(path):
    old = {"03": {"q1": {"status": "correct", "attempts": 2}, "q2": {"status": "incorrect", "attempts": 1}},
           "01": {"q9": {"status": "correct", "attempts": 1}}}
    path.write_text(json.dumps(old))
    keys = progress.FIRST_FORMAT_ORDER["03"]
    data = progress.load()
    assert data["chapters"]["03"] == {keys[0]: old["03"]["q1"], keys[1]: old["03"]["q2"]}
    assert data["chapters"]["01"] == {"q9": old["01"]["q9"]}  # no ninth exercise: kept under its old name
    progress.record("03", keys[2], progress.INCORRECT, "not yet")
    saved = json.loads(path.read_text())
    assert saved["format"] == 2 and saved["chapters"]["03"][keys[0]]["status"] == "correct"
    assert json.loads(path.with_name("progress.v1.json").read_text()) == old


def test_the_first_format_order_names_each_chapter_and_ids_that_are_or_were_exercises():
    """Each chapter's first-format ids, in order; an exercise whose task changed later got a new id, so old
    progress on the retired one is kept in the file but counts for nothing."""
    for chapter_id, keys in progress.FIRST_FORMAT_ORDER.items():
        current = {p.key for p in chapter(chapter_id).problems}
        assert len(set(keys)) == len(keys) and set(keys) & current, chapter_id
    assert "SoftmaxCrossEntropy" not in {p.key for p in chapter("02").problems}   # replaced by a variant


def test_progress_on_a_retired_exercise_does_not_mark_its_replacement_done(tmp_path, monkeypatch):
    from course_lib.cli import progress_report

    monkeypatch.setenv("COURSE_WORKSPACE", str(tmp_path / "work"))
    data = progress.migrate({"02": {"q1": {"status": "correct", "attempts": 1}}})
    assert data["chapters"]["02"] == {"SoftmaxCrossEntropy": {"status": "correct", "attempts": 1}}
    report = progress_report(data)
    chapter02 = next(c for c in report["chapters"] if c["chapter"] == "02")
    assert [e["status"] for e in chapter02["exercises"]][0] == progress.NOT_ATTEMPTED


def test_migration_follows_the_given_order():
    data = progress.migrate({"07": {"q1": {"status": "correct", "attempts": 1}}}, keys_of=lambda c: ["B", "A"])
    assert data == {"format": 2, "chapters": {"07": {"B": {"status": "correct", "attempts": 1}}}}


def test_attempts_count_checks_of_real_answers_and_correct_stays_correct():
    data = {"format": 2, "chapters": {}}
    progress.add_attempt(data, "01", "Relu", progress.NOT_ATTEMPTED)
    progress.add_attempt(data, "01", "Relu", progress.INCORRECT, "no")
    progress.add_attempt(data, "01", "Relu", progress.CORRECT)
    progress.add_attempt(data, "01", "Relu", progress.INCORRECT, "again", attempts=2)
    assert data["chapters"]["01"]["Relu"] == {"status": "correct", "attempts": 4, "last_status": "incorrect",
                                              "last_message": "again"}
    with pytest.raises(ValueError, match="status must be one of"):
        progress.add_attempt(data, "01", "Relu", "done")


@pytest.mark.parametrize("text, message", [("{broken", "not valid JSON"), ("[1]", "JSON object"),
                                           ('{"format": 9, "chapters": {}}', "format 9"),
                                           ('{"01": [1, 2]}', "should map to an object")])
def test_a_broken_file_is_reported_then_kept_as_a_backup(path, text, message):
    path.write_text(text)
    with pytest.raises(progress.ProgressFileError, match=message):
        progress.load()
    assert path.read_text() == text  # load() changes nothing
    data, notice = progress.load_or_start_over()
    assert data == {"format": 2, "chapters": {}} and message in notice and not path.exists()
    backup = next(path.parent.glob("progress.broken-*.json"))
    assert backup.read_text() == text and str(backup) in notice


def test_forget_removes_one_chapter_only(path):
    progress.record("01", "Relu", progress.CORRECT)
    progress.record("02", "AdamStep", progress.INCORRECT, "no")
    assert progress.forget("01") == 1 and progress.forget("05") == 0
    assert list(progress.load()["chapters"]) == ["02"]

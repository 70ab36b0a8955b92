"""The notebook runner behind `course run`: clean outputs that strict nbval accepts."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib import execute


def _notebook(*sources):
    nb = new_notebook(cells=[new_markdown_cell("# t")] + [new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_clean_outputs_merges_streams_and_drops_volatile_metadata():
    nb = _notebook("a", "b")
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nb.metadata["widgets"] = {"state": {}}
    first, second = nb.cells[1], nb.cells[2]
    first.execution_count, second.execution_count = 1, 2
    first.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00"}
    first.outputs = [
        new_output("stream", name="stdout", text="hello "),
        new_output("stream", name="stdout", text="world\n"),
    ]
    assert execute.clean_outputs(nb) == []
    assert first.outputs == [new_output("stream", name="stdout", text="hello world\n")]
    assert "execution" not in first.metadata
    assert nb.metadata == {"kernelspec": nb.metadata["kernelspec"], "language_info": execute.LANGUAGE_INFO}


def test_clean_outputs_reports_stderr_errors_and_counts():
    nb = _notebook("a", "b")
    nb.cells[1].execution_count, nb.cells[2].execution_count = 1, 3
    nb.cells[1].outputs = [new_output("stream", name="stderr", text="UserWarning: careful\n")]
    nb.cells[2].outputs = [new_output("error", ename="KeyError", evalue="'x'", traceback=[])]
    problems = execute.clean_outputs(nb)
    assert any("wrote to stderr: UserWarning: careful" in p for p in problems)
    assert any("raised KeyError" in p for p in problems)
    assert any("not 1..2" in p for p in problems)


def test_run_notebook_writes_clean_ordered_outputs(tmp_path):
    path = tmp_path / "ok.ipynb"
    nbformat.write(_notebook("import os\nprint(os.environ['COURSE_SCALE'], os.environ['PYTHONHASHSEED'])",
                             "1 + 1"), path)
    report = execute.run_notebook(path, timeout=120)
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == [1, 2]
    assert code[0].outputs[0].text == "small 0\n"
    assert code[1].outputs[0].data["text/plain"] == "2"
    assert report.code_cells == 2 and report.seconds > 0 and "ok.ipynb" in report.summary()


def test_run_notebook_stops_on_an_error_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.ipynb"
    nbformat.write(_notebook("print('fine')", "raise KeyError('boom')"), path)
    before = path.read_text()
    with pytest.raises(execute.NotebookRunError, match="boom"):
        execute.run_notebook(path, timeout=120)
    assert path.read_text() == before


def test_run_notebook_refuses_stderr(tmp_path):
    path = tmp_path / "warn.ipynb"
    nbformat.write(_notebook("import sys\nprint('careful', file=sys.stderr)"), path)
    with pytest.raises(execute.NotebookRunError, match="wrote to stderr: careful"):
        execute.run_notebook(path, timeout=120)


def test_run_notebook_sees_what_native_code_writes_to_stderr_as_jupyterlab_does(tmp_path):
    """JupyterLab's kernel forwards file descriptor 2 into the notebook; the runner must see the same."""
    path = tmp_path / "native.ipynb"
    nbformat.write(_notebook("import os\nos.write(2, b'I0000 cudart_stub.cc:31] native line\\n')",
                             "import time\ntime.sleep(2)  # the kernel forwards the descriptor's text from a thread"),
                   path)
    with pytest.raises(execute.NotebookRunError, match="wrote to stderr: I0000 cudart_stub.cc:31] native line"):
        execute.run_notebook(path, timeout=120)


def test_tensorflow_lines_at_setup_stay_out_of_a_notebook(tmp_path):
    """In a kernel that forwards file descriptor 2 (JupyterLab's default), setup() and a GPU probe print nothing
    to stderr: the notebook a learner saves after Run All still passes strict nbval."""
    path = tmp_path / "setup.ipynb"
    nbformat.write(_notebook("import course_lib\ncourse_lib.setup(seed=0, verbose=False)",
                             "from course_lib import environment\nenvironment.gpu_count()",
                             "import time\ntime.sleep(2)  # the kernel forwards the descriptor's text from a thread"),
                   path)
    execute.run_notebook(path, timeout=300)
    outputs = [o for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code" for o in c.outputs]
    assert [o.get("name") for o in outputs if o.output_type == "stream"] == []


def test_resolve_chapter():
    assert execute.resolve_chapter("01").name == "01_python_basics.ipynb"
    assert execute.resolve_chapter(0).name == "00_start_here.ipynb"
    with pytest.raises(FileNotFoundError, match="chapters: 00_start_here.ipynb"):
        execute.resolve_chapter("42")
    with pytest.raises(FileNotFoundError, match="no notebook"):
        execute.resolve_chapter("missing.ipynb")

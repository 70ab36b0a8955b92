"""Execute a chapter top to bottom in a fresh kernel and write clean outputs back.

This is how every committed notebook is produced (``course run chapters/01_python_basics.ipynb``), so that
strict nbval, which re-executes the notebook and compares every output, passes:

- the kernel runs in this Python environment with ``COURSE_SCALE=small``, ``PYTHONHASHSEED=0``, an empty
  ``KERAS_HOME`` (so the bundled MNIST digits are used even where Keras' ``mnist.npz`` is cached) and a
  throw-away progress file (your own progress is not touched);
- the kernel forwards what C++ code writes to file descriptor 2 into the outputs, as JupyterLab does, so a
  chapter that runs clean here runs clean there (``course_lib.setup()`` silences TensorFlow's start-up lines);
  any stderr output or error stops the run with a message;
- execution counts are 1..N, and volatile metadata (timings, Python patch version) is dropped.

``execute_copy`` runs a learner's copy the same way, without stopping at an error and without writing it:
``course check`` reports what it did.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from course_lib.paths import chapter_by_number

KEPT_NOTEBOOK_METADATA = ("kernelspec",)
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


class NotebookRunError(RuntimeError):
    """A chapter did not execute cleanly; the message names the cell and what went wrong."""


@dataclass(frozen=True)
class RunReport:
    path: Path
    seconds: float
    code_cells: int

    def summary(self) -> str:
        minutes = self.seconds / 60
        return f"{self.path}: executed {self.code_cells} code cells in {self.seconds:.1f} s ({minutes:.2f} min)"


def resolve_chapter(name: str | int | os.PathLike) -> Path:
    """A notebook path from a path or a chapter number (``"01"`` or ``1`` -> ``chapters/01_*.ipynb``)."""
    path = Path(str(name))
    if path.suffix == ".ipynb":
        if not path.is_file():
            raise FileNotFoundError(f"no notebook at '{path}'")
        return path
    return chapter_by_number(name)


def _merge_streams(outputs: list) -> list:
    """Join consecutive stream outputs of the same name (how much text one output holds depends on timing)."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (previous is not None and output.output_type == "stream" and previous.output_type == "stream"
                and previous.name == output.name):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


def clean_outputs(nb) -> list[str]:
    """Merge split streams and drop volatile metadata in place; return the problems (stderr, errors, counts)."""
    problems = []
    counts = []
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                problems.append(f"cell {index} wrote to stderr: {output.text.strip()[:300]}")
            if output.output_type == "error":
                problems.append(f"cell {index} raised {output.ename}: {output.evalue}")
            kept.append(output)
        cell.outputs = _merge_streams(kept)
        if cell.source.strip():
            counts.append(cell.execution_count)
    if counts != list(range(1, len(counts) + 1)):
        problems.append(f"execution counts are {counts}, not 1..{len(counts)}")
    nb.metadata = {k: nb.metadata[k] for k in KEPT_NOTEBOOK_METADATA if k in nb.metadata}
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    return problems


def _execute(nb, folder: Path, env: dict, timeout: int, allow_errors: bool) -> float:
    """Execute ``nb`` in place in a fresh ``python3`` kernel started in ``folder``; return the seconds taken."""
    from nbclient import NotebookClient

    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    # ipykernel stops forwarding file descriptor 2 when it sees this variable; JupyterLab's kernels forward it.
    env = {name: value for name, value in env.items() if name != "PYTEST_CURRENT_TEST"}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    client.execute(env=env, stderr=subprocess.DEVNULL)  # the kernel's own start-up chatter, not the cells'
    return time.perf_counter() - start


def run_notebook(path: str | os.PathLike, timeout: int = 900, write: bool = True) -> RunReport:
    """Execute ``path`` in a fresh kernel of this environment and (if ``write``) save the clean result.

    Raises:
        NotebookRunError: a cell raised, wrote to stderr, or timed out. Nothing is written then.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="course-run-") as scratch:
        env = dict(os.environ, COURSE_SCALE="small", PYTHONHASHSEED="0", KERAS_HOME=scratch,
                   COURSE_PROGRESS=str(Path(scratch) / "progress.json"))
        try:
            seconds = _execute(nb, path.parent, env, timeout, allow_errors=False)
        except (CellExecutionError, CellTimeoutError) as error:
            raise NotebookRunError(f"{path}: {error}") from None
    problems = clean_outputs(nb)
    if problems:
        raise NotebookRunError(f"{path} did not execute cleanly:\n  " + "\n  ".join(problems))
    if write:
        nbformat.write(nb, path)
    code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
    return RunReport(path, seconds, code_cells)


@dataclass(frozen=True)
class CellError:
    """A cell of a learner's copy that raised: its position (1 = the first cell), first line and error."""

    cell: int
    first_line: str
    error: str


@dataclass(frozen=True)
class CopyRun:
    """What ``execute_copy`` saw: the cells that raised, the seconds taken, and whether it timed out."""

    errors: list[CellError]
    seconds: float
    timed_out: str = ""


def execute_copy(nb, folder: Path, progress_file: Path, timeout: int = 900) -> CopyRun:
    """Execute a learner's notebook ``nb`` (in place, not saved) in a fresh kernel started in ``folder``.

    Every cell runs even after one raises, as in JupyterLab's *Run All* without stopping; exercise checks
    record into ``progress_file``. The learner's own settings (``COURSE_SCALE``, ``KERAS_HOME``) apply.
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    env = dict(os.environ, PYTHONHASHSEED="0", COURSE_PROGRESS=str(progress_file))
    timed_out = ""
    start = time.perf_counter()
    try:
        _execute(nb, folder, env, timeout, allow_errors=True)
    except (CellTimeoutError, DeadKernelError) as error:
        timed_out = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    seconds = time.perf_counter() - start
    errors = []
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                errors.append(CellError(number, first, f"{output.ename}: {output.evalue}"))
    return CopyRun(errors, seconds, timed_out)

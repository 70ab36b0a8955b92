"""Execute a chapter top to bottom in a fresh kernel and write clean outputs back.

This is how every committed notebook is produced (``course run chapters/01_python_basics.ipynb``), so that
strict nbval, which re-executes the notebook and compares every output, passes:

- the kernel runs in this Python environment with ``COURSE_SCALE=small``, ``PYTHONHASHSEED=0``, an empty
  ``KERAS_HOME`` (so the bundled MNIST digits are used even where Keras' ``mnist.npz`` is cached) and a
  throw-away progress file (your own progress is not touched);
- the kernel's file-descriptor capture is off, so TensorFlow's C++ log lines (which nbval's kernel does not
  capture either) stay out of the outputs; any other stderr output or error stops the run with a message;
- execution counts are 1..N, and volatile metadata (timings, Python patch version) is dropped.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from course_lib.paths import CHAPTERS_DIR

KEPT_NOTEBOOK_METADATA = ("kernelspec",)
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}

# abseil's native log lines ("I0000 00:00:1795342500.262866  1940 cudart_stub.cc:31] ...") and their preamble
_TF_NATIVE_LOG = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ \S+:\d+\] |WARNING: All log messages before absl::)"
)


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
    text = str(name).strip()
    if text.isdigit():
        matches = sorted(CHAPTERS_DIR.glob(f"{int(text):02d}_*.ipynb"))
        if len(matches) == 1:
            return matches[0]
    available = ", ".join(p.name for p in sorted(CHAPTERS_DIR.glob("*.ipynb")))
    raise FileNotFoundError(f"no chapter '{name}'. Pass a notebook path or a number; chapters: {available}")


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
    """Drop TF's native log lines and volatile metadata in place; return the problems left (stderr, errors)."""
    problems = []
    counts = []
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                lines = [line for line in output.text.splitlines(keepends=True) if not _TF_NATIVE_LOG.match(line)]
                if not "".join(lines).strip():
                    continue
                problems.append(f"cell {index} wrote to stderr: {''.join(lines).strip()[:300]}")
                output.text = "".join(lines)
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


def run_notebook(path: str | os.PathLike, timeout: int = 900, write: bool = True) -> RunReport:
    """Execute ``path`` in a fresh kernel of this environment and (if ``write``) save the clean result.

    Raises:
        NotebookRunError: a cell raised, wrote to stderr, or timed out. Nothing is written then.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    with tempfile.TemporaryDirectory(prefix="course-run-") as scratch:
        env = dict(os.environ, COURSE_SCALE="small", PYTHONHASHSEED="0", KERAS_HOME=scratch,
                   COURSE_PROGRESS=str(Path(scratch) / "progress.json"))
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
            extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        )
        start = time.perf_counter()
        try:
            client.execute(env=env)
        except (CellExecutionError, CellTimeoutError) as error:
            raise NotebookRunError(f"{path}: {error}") from None
        seconds = time.perf_counter() - start
    problems = clean_outputs(nb)
    if problems:
        raise NotebookRunError(f"{path} did not execute cleanly:\n  " + "\n  ".join(problems))
    if write:
        nbformat.write(nb, path)
    code_cells = sum(1 for c in nb.cells if c.cell_type == "code")
    return RunReport(path, seconds, code_cells)

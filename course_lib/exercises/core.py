"""The exercise engine: ``Problem``, the checker helpers, and the learner's progress file.

A chapter's exercises live in ``course_lib/exercises/chNN.py`` as a list ``PROBLEMS`` of ``Problem``
subclasses. Each subclass states a title, the name of what the learner writes, hints, the reference
solution (code, run by the tests), and a ``check_answer(answer)`` that raises ``Incorrect("...")`` with a
specific message, or returns a short remark (or ``None``) when the answer is right.

Progress is recorded in a JSON file outside the repository: ``$COURSE_PROGRESS`` if set, else
``~/.course/progress.json``.
"""

from __future__ import annotations

import dis
import json
import numbers
import os
import sys
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path

CORRECT = "correct"
INCORRECT = "incorrect"
NOT_ATTEMPTED = "not attempted"


class Incorrect(Exception):
    """Raised by a checker with the message the learner should read."""


class NotAttempted(Exception):
    """Raised by a checker when the answer is still a placeholder."""


@dataclass(frozen=True)
class Outcome:
    """The verdict on one answer: ``status`` is ``"correct"``, ``"incorrect"`` or ``"not attempted"``."""

    status: str
    message: str

    @property
    def correct(self) -> bool:
        return self.status == CORRECT


# --------------------------------------------------------------------------------------------- helpers
_STUB_OPS = {"RESUME", "NOP", "LOAD_CONST", "RETURN_VALUE", "RETURN_CONST"}


def _is_stub_function(function) -> bool:
    """True when the function's body does nothing but return None (``...``, ``pass``, a docstring)."""
    instructions = list(dis.get_instructions(function))
    return all(i.opname in _STUB_OPS for i in instructions) and all(
        i.argval is None for i in instructions if i.opname in ("LOAD_CONST", "RETURN_CONST"))


def is_placeholder(answer) -> bool:
    """True for ``...``, ``None``, a function whose body is only ``...``, ``pass`` or a docstring, and a
    class with an empty body."""
    if answer is Ellipsis or answer is None:
        return True
    if isinstance(answer, type):
        return not [name for name in vars(answer) if not (name.startswith("__") and name.endswith("__"))]
    return isinstance(answer, types.FunctionType) and _is_stub_function(answer)


def is_whole_number(value) -> bool:
    """True for Python and NumPy integers; False for bools, floats (even 784.0) and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def call(function, *args, **kwargs):
    """Call the learner's ``function``; turn a crash into ``Incorrect`` and ``NotImplementedError`` into
    ``NotAttempted``, so that a check never shows a traceback."""
    if not callable(function):
        raise Incorrect(f"expected a function, got a {type(function).__name__}. Pass the function itself, "
                        "without calling it: check(my_function), not check(my_function()).")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as error:  # noqa: BLE001 - any crash of the learner's code becomes a message
        shown = ", ".join([_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()])
        raise Incorrect(
            f"your function raised {type(error).__name__}: {error} (called as {_name(function)}({shown}))"
        ) from None


def _name(function) -> str:
    return getattr(function, "__name__", "your_function")


def _short(value) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"<array of shape {tuple(shape)}, dtype {getattr(value, 'dtype', '?')}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------------------------- progress
def progress_path() -> Path:
    """The learner's progress file: ``$COURSE_PROGRESS``, else ``~/.course/progress.json``."""
    configured = os.environ.get("COURSE_PROGRESS")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".course" / "progress.json"


def read_progress(path: Path | None = None) -> dict:
    """``{chapter: {question: {"status": ..., "attempts": n}}}``; empty if there is no file yet.

    Raises ``ValueError`` naming the file when it is not valid JSON.
    """
    path = progress_path() if path is None else Path(path)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"progress file {path} is not valid JSON ({error}); fix or delete it") from None
    if not isinstance(data, dict):
        raise ValueError(f"progress file {path} should hold a JSON object; fix or delete it")
    return data


def record(chapter_id: str, question: str, status: str, path: Path | None = None) -> None:
    """Add one attempt to the progress file; a question once correct stays correct."""
    path = progress_path() if path is None else Path(path)
    data = read_progress(path)
    entry = data.setdefault(chapter_id, {}).setdefault(question, {"status": NOT_ATTEMPTED, "attempts": 0})
    if status != NOT_ATTEMPTED:
        entry["attempts"] = entry.get("attempts", 0) + 1
    if entry.get("status") != CORRECT:
        entry["status"] = status
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as tmp:
        json.dump(data, tmp, indent=1, sort_keys=True)
    os.replace(tmp.name, path)


# --------------------------------------------------------------------------------------------- Problem
_COLOURS = {CORRECT: "\x1b[32m", INCORRECT: "\x1b[31m", NOT_ATTEMPTED: "\x1b[33m"}
_RESET = "\x1b[0m"


def _colour(status: str, text: str) -> str:
    return f"{_COLOURS[status]}{text}{_RESET}"


class Problem:
    """One exercise. Subclasses set the class attributes and implement ``check_answer``."""

    title: str = ""
    answer_name: str = ""  # what the learner writes (a function or variable name); the solution defines it
    hints: tuple[str, ...] = ()
    solution_code: str = ""

    def __init__(self, chapter_id: str, question: str):
        self.chapter_id = chapter_id
        self.question = question

    def __repr__(self) -> str:
        return f"<exercise {self.chapter_id}.{self.question}: {self.title}>"

    def check_answer(self, answer) -> str | None:
        """Raise ``Incorrect`` with a message if ``answer`` is wrong; return an optional remark if right."""
        raise NotImplementedError

    def evaluate(self, answer) -> Outcome:
        """Judge ``answer`` without printing or recording anything."""
        if is_placeholder(answer):
            return Outcome(NOT_ATTEMPTED, self._not_attempted_message())
        try:
            remark = self.check_answer(answer)
        except NotAttempted:
            return Outcome(NOT_ATTEMPTED, self._not_attempted_message())
        except Incorrect as error:
            return Outcome(INCORRECT, str(error))
        return Outcome(CORRECT, remark or "")

    def _not_attempted_message(self) -> str:
        return (f"write `{self.answer_name}`, replacing the `...`, then run the check again. "
                f"Stuck? ex.{self.question}.hint()")

    def check(self, answer=Ellipsis) -> None:
        """Check ``answer``, print the verdict and record it in the progress file."""
        outcome = self.evaluate(answer)
        label = {CORRECT: "Correct", INCORRECT: "Incorrect", NOT_ATTEMPTED: "Not attempted yet"}[outcome.status]
        text = f"{label}: {outcome.message}" if outcome.message else label
        print(_colour(outcome.status, f"{self.chapter_id}.{self.question} {text}"))
        try:
            record(self.chapter_id, self.question, outcome.status)
        except (OSError, ValueError) as error:
            print(f"(progress not saved: {error})", file=sys.stdout)

    def hint(self, level: int = 1) -> None:
        """Print hint number ``level`` (1 is the gentlest)."""
        if not self.hints:
            print(f"No hint for this one: try the solution, ex.{self.question}.solution()")
            return
        if not isinstance(level, int) or not 1 <= level <= len(self.hints):
            raise ValueError(f"level must be an int from 1 to {len(self.hints)}, got {level!r}")
        more = f"  (next: ex.{self.question}.hint({level + 1}))" if level < len(self.hints) else ""
        print(f"Hint {level}/{len(self.hints)}: {self.hints[level - 1]}{more}")

    def solution(self) -> None:
        """Print the reference solution."""
        print(f"Solution to {self.chapter_id}.{self.question} ({self.title}):\n\n{self.solution_code.strip()}")


class Chapter:
    """A chapter's exercises as attributes ``q1``, ``q2``, ...: ``chapter("01").q1.check(answer)``."""

    def __init__(self, chapter_id: str, problems: list[type[Problem]]):
        self.chapter_id = chapter_id
        self.problems = [cls(chapter_id, f"q{i}") for i, cls in enumerate(problems, start=1)]
        for problem in self.problems:
            setattr(self, problem.question, problem)

    def __repr__(self) -> str:
        lines = [f"Chapter {self.chapter_id} exercises:"]
        lines += [f"  {p.question}: {p.title}" for p in self.problems]
        return "\n".join(lines)

    def __getattr__(self, name: str):
        if name.startswith("q") and name[1:].isdigit():
            raise AttributeError(
                f"chapter {self.chapter_id} has exercises q1 to q{len(self.problems)}, not {name}"
            )
        raise AttributeError(name)

"""The exercise engine: ``Problem``, ``Chapter``, and calling a learner's code safely.

A chapter's exercises live in ``course_lib/exercises/chNN.py`` as a list ``PROBLEMS`` of ``Problem``
subclasses. Each subclass states a title, its ``kind`` (``KINDS``), the name of what the learner writes, hints,
the reference solution (code, run by the tests), its ``wrong_answers`` (each with the message fragment it must
earn; the tests run them all), a debug exercise its ``given_code`` (the broken listing its cell starts from), and
a ``check_answer(answer)`` that raises ``Incorrect("...")`` with a specific message, or returns a short remark
(or ``None``) when the answer is right. Checkers phrase their messages with ``asserts`` (and ``keras_checks``
for models), so that the same mistake reads the same in every chapter.

Two rules hold for every checker, whatever it does:

- A learner never sees a checker's traceback: ``Problem.evaluate`` turns any other exception raised while
  checking into an "incorrect" verdict that says what the check expects (``expects``) and what it got; the
  exception is kept in ``Outcome.checker_error`` so that the tests still fail on a checker that raises.
- A learner's code cannot change a checker's data: arrays a checker keeps between checks (``functools.cache``)
  are made read-only with ``read_only``, so an in-place write raises a clear error in the learner's code.

Each check is recorded in the learner's progress file (``course_lib.progress``), keyed by the Problem
class's name (or its explicit ``key``), so reordering a chapter's exercises keeps the progress right. A problem
with ``worked_example = True`` is one the chapter solves in front of the learner: its checks print a verdict
but are not recorded, and it is not counted as an exercise.
"""

from __future__ import annotations

import dis
import re
import traceback
import types
from dataclasses import dataclass, field

import numpy as np

from course_lib import progress
from course_lib.progress import CORRECT, INCORRECT, NOT_ATTEMPTED


class Incorrect(Exception):
    """Raised by a checker with the message the learner should read."""


class NotAttempted(Exception):
    """Raised by a checker when the answer is still a placeholder."""


@dataclass(frozen=True)
class Outcome:
    """The verdict on one answer: ``status`` is ``"correct"``, ``"incorrect"`` or ``"not attempted"``."""

    status: str
    message: str
    # The checker's own exception, when it raised one (a bug of the checker, or an answer it did not foresee):
    # the learner reads ``message``; the tests read this.
    checker_error: str | None = field(default=None, compare=False)

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


# What Python puts in every class's namespace: a class whose namespace holds nothing else is still empty.
_CLASS_BOILERPLATE = {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__firstlineno__",
                      "__static_attributes__", "__annotations__"}


def is_placeholder(answer) -> bool:
    """True for ``...``, ``None``, a ``def`` whose body is only ``...``, ``pass`` or a docstring, and a class
    with an empty body. A lambda and a class with any method (even only ``__init__``) are attempts."""
    if answer is Ellipsis or answer is None:
        return True
    if isinstance(answer, type):
        return not set(vars(answer)) - _CLASS_BOILERPLATE
    return (isinstance(answer, types.FunctionType) and answer.__name__ != "<lambda>"
            and _is_stub_function(answer))


def call(function, *args, **kwargs):
    """Call the learner's ``function``; turn a crash into ``Incorrect`` and ``NotImplementedError`` into
    ``NotAttempted``, so that a check never shows a traceback."""
    if not callable(function):
        raise Incorrect(f"expected a function, got a value of type {type(function).__name__}. Pass the function "
                        "itself, without calling it: check(my_function), not check(my_function()).")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as error:  # noqa: BLE001 - any crash of the learner's code becomes a message
        shown = ", ".join([_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()])
        raise Incorrect(f"{_explain(error)} (called as {_name(function)}({shown}))") from None


def _explain(error: Exception) -> str:
    """A crash in words: NumPy's shape errors are said in terms of the arrays, not of gufunc signatures."""
    message = str(error)
    matmul = re.search(r"^matmul: .*\(size (\d+) is different from (\d+)\)", message)
    if matmul:
        right, left = matmul.groups()
        return (f"a matrix product A @ B failed: A's last axis has size {left} but B's second-to-last axis has "
                f"size {right}, and they must be equal. Print the shapes of both sides; for a batch of matrices "
                "(3-D arrays) .T reverses ALL the axes, so transpose the last two with .swapaxes(-1, -2)")
    broadcast = re.search(r"could not be broadcast together with (?:remapped )?shapes (.*)", message)
    if broadcast:
        return (f"an element-wise operation got arrays whose shapes do not fit together: {broadcast.group(1).strip()}"
                ". Print the shapes; two axes fit when they are equal or one of them is 1")
    if "truth value of an array" in message:
        return (f"your function raised ValueError: {message}. An `if`, `and`, `or` or Python's max() needs ONE "
                "True/False but got a whole array; NumPy's np.maximum, np.where and & work element by element")
    return f"your function raised {type(error).__name__}: {message}"


def read_only(value):
    """``value`` with every NumPy array in it (alone, or in a tuple, list or dict) made read-only, in place.

    For data a checker caches and hands to learners' functions: ``x /= 255`` on it then raises
    "assignment destination is read-only" in the learner's own code, instead of corrupting every later check.
    """
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif isinstance(value, tuple | list):
        for item in value:
            read_only(item)
    elif isinstance(value, dict):
        for item in value.values():
            read_only(item)
    return value


def _describe_answer(answer) -> str:
    if isinstance(answer, types.FunctionType):
        return f"a function {answer.__name__}"
    if isinstance(answer, type):
        return f"a class {answer.__name__}"
    return f"a {type(answer).__name__} {_short(answer)}"


def define(code: str, name: str, namespace: dict | None = None):
    """The object called ``name`` that ``code`` defines (a listing as a notebook cell gives it), executed in a
    copy of ``namespace`` (e.g. ``{"keras": keras}`` for the names the cell above it imported)."""
    scope = dict(namespace or {})
    exec(code, scope)
    return scope[name]


def _name(function) -> str:
    return getattr(function, "__name__", "your_function")


def _short(value) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"<array of shape {tuple(shape)}, dtype {getattr(value, 'dtype', '?')}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------------------------- Problem
# Each verdict has a marker, so it reads without colour, and a colour from the "intense" ANSI set, which
# JupyterLab's light theme draws dark enough to read on white (tests/test_exercises.py measures the contrast).
MARKERS = {CORRECT: "✓", INCORRECT: "✗", NOT_ATTEMPTED: "…"}
LABELS = {CORRECT: "Correct", INCORRECT: "Incorrect", NOT_ATTEMPTED: "Not attempted yet"}
ANSI_COLOURS = {CORRECT: "92", INCORRECT: "91", NOT_ATTEMPTED: "94"}  # intense green, red, blue


def verdict(status: str, text: str) -> str:
    """``text`` behind the status's marker, in the status's colour (for a notebook or a terminal)."""
    return f"\x1b[{ANSI_COLOURS[status]}m{MARKERS[status]} {text}\x1b[0m"


# What an exercise asks the learner to do: write a function (or a value), build a Keras model to a contract,
# fix a broken listing, or run a measurement and report it.
KINDS = ("function", "build", "debug", "experiment")


class Problem:
    """One exercise. Subclasses set the class attributes and implement ``check_answer``."""

    title: str = ""
    key: str = ""  # the stable id progress is recorded under; defaults to the class's name
    worked_example: bool = False  # solved in the chapter's text: checks print a verdict, are not recorded
    answer_name: str = ""  # what the learner writes (a function or variable name); the solution defines it
    kind: str = "function"  # one of KINDS: what the learner does
    hints: tuple[str, ...] = ()
    solution_code: str = ""
    # Answers a learner may plausibly give, each with a fragment of the message it must earn; the tests run
    # every one (tests/test_exercises.py).
    wrong_answers: tuple[tuple[object, str], ...] = ()
    given_code: str = ""  # a debug exercise's broken listing, as the chapter's cell gives it
    # What the check needs, in one phrase, for the verdict when checking fails in an unforeseen way
    # (e.g. "a function that takes a batch of images (n, 28, 28, 1) and returns the served predictions").
    expects: str = ""

    def __init__(self, chapter_id: str, question: str):
        self.chapter_id = chapter_id
        self.question = question
        self.key = type(self).key or type(self).__name__

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
        except Exception as error:  # noqa: BLE001 - a checker never shows its traceback to a learner
            return Outcome(INCORRECT, self._unforeseen_message(answer, error),
                           checker_error="".join(traceback.format_exception(error)))
        return Outcome(CORRECT, remark or "")

    def _unforeseen_message(self, answer, error: Exception) -> str:
        expects = self.expects or f"`{self.answer_name}` as the exercise's statement describes it"
        return (f"the check could not use your answer: it expects {expects}, and got {_describe_answer(answer)}, "
                f"on which checking raised {type(error).__name__}: {error}. Compare your answer with the "
                f"statement; stuck? ex.{self.question}.hint()")

    def _not_attempted_message(self) -> str:
        if self.kind == "experiment":
            what = f"fill in `{self.answer_name}`, replacing each `...` with what you measured"
        else:
            what = f"write `{self.answer_name}`, replacing the `...`"
        return f"{what}, then run the check again. Stuck? ex.{self.question}.hint()"

    def check(self, answer=Ellipsis) -> None:
        """Check ``answer``, print the verdict and record it in the progress file (unless a worked example)."""
        outcome = self.evaluate(answer)
        label = LABELS[outcome.status]
        text = f"{label}: {outcome.message}" if outcome.message else label
        print(verdict(outcome.status, f"{self.chapter_id}.{self.question} {text}"))
        if self.worked_example:
            return
        try:
            notice = progress.record(self.chapter_id, self.key, outcome.status, outcome.message)
        except (OSError, ValueError) as error:
            notice = f"(progress not saved: {error})"
        if notice:
            print(notice)

    def hint(self, level: int = 1) -> None:
        """Print hint number ``level`` (1 is the gentlest)."""
        if not self.hints:
            print(f"No hint for this one: try the solution, ex.{self.question}.solution()")
            return
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValueError(f"level must be a whole number from 1 to {len(self.hints)}, got {level!r}")
        if level > len(self.hints):
            print(f"No more hints: {self.chapter_id}.{self.question} has {len(self.hints)}. "
                  f"The solution is next: ex.{self.question}.solution()")
            return
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
        keys = [p.key for p in self.problems]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"chapter {chapter_id}: exercise ids must be unique, {duplicated} repeat; set `key`")
        for problem in self.problems:
            setattr(self, problem.question, problem)

    def __repr__(self) -> str:
        lines = [f"Chapter {self.chapter_id} exercises:"]
        lines += [f"  {p.question}: {p.title}" + (" (worked example)" if p.worked_example else "")
                  for p in self.problems]
        return "\n".join(lines)

    def __getattr__(self, name: str):
        if name.startswith("q") and name[1:].isdigit():
            raise AttributeError(
                f"chapter {self.chapter_id} has exercises q1 to q{len(self.problems)}, not {name}"
            )
        raise AttributeError(name)

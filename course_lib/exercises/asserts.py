"""The checkers' shared vocabulary: each function checks one property of a learner's result and, when it does
not hold, raises ``Incorrect`` with the message a learner needs (what was expected, what came back, what to do).

Every checker in ``chNN.py`` builds on these, so the same mistake gets the same words in every chapter:

- ``returned``: the function returned ``None`` (a forgotten ``return``).
- ``array``, ``number``, ``whole_number``, ``text``, ``mapping``, ``tokens``, ``of_kind``: the kind of a
  result (with ``shape`` / ``dtype`` for arrays).
- ``parts``: a tuple or list of a given length, e.g. ``(h, c)``.
- ``close``: numbers equal within a tolerance, naming the first entry that differs; ``equal``: exactly equal.
- ``unchanged``: the function changed its input in place.
- ``call_with``: call the learner's function on its inputs, and check it left them unchanged.
- ``findings``: an experiment's report, a dict of measured numbers and a one-line conclusion.
- ``states``: which of some claims a conclusion makes (not negated) about a subject, to check it against the numbers.

``what`` names the value in the message, e.g. ``"rnn_step(x_t, h_prev, W_x, W_h, b)"`` or ``"the loss"``.
"""

from __future__ import annotations

import copy
import numbers
import re

import numpy as np

from course_lib.exercises.core import Incorrect, NotAttempted, call

_KINDS = {"float": np.floating, "int": np.integer, "bool": np.bool_}


def returned(result, what: str):
    """``result`` unless it is ``None``: then the function has no ``return`` (or returns too early)."""
    if result is None:
        raise Incorrect(f"{what} returned None: end the function with `return ...` (a function without a return "
                        "statement gives back None)")
    return result


def array(result, what: str, shape: tuple | None = None, dtype: str | None = None,
          numpy_only: bool = False) -> np.ndarray:
    """``result`` as a NumPy array; checks its ``shape`` and its ``dtype`` kind (``"float"``, ``"int"``,
    ``"bool"``) when given. Lists and tuples of numbers are accepted as arrays unless ``numpy_only``."""
    returned(result, what)
    if numpy_only and not isinstance(result, np.ndarray):
        raise Incorrect(f"{what} should be a NumPy array, got {_describe(result)}: keep working with NumPy "
                        "operations (or wrap the result in np.asarray)")
    if isinstance(result, dict | str | set) or callable(result):
        raise Incorrect(f"{what} should be an array, got a {type(result).__name__}")
    try:
        values = np.asarray(result)
    except (TypeError, ValueError):  # a ragged list
        raise Incorrect(f"{what} should be an array of numbers, got a ragged {type(result).__name__}") from None
    if values.dtype == object:
        raise Incorrect(f"{what} should be an array of numbers, got {_describe(result)}")
    if shape is not None and values.shape != tuple(shape):
        raise Incorrect(f"{what} should have shape {tuple(shape)}, got {values.shape}")
    if dtype is not None and not np.issubdtype(values.dtype, _KINDS[dtype]):
        raise Incorrect(f"{what} should hold {_plural(dtype)}, got dtype {values.dtype}")
    return values


def number(result, what: str) -> float:
    """``result`` as a float: a Python or NumPy real number, or a one-element array (not a bool)."""
    returned(result, what)
    if hasattr(result, "__array__") and not isinstance(result, numbers.Number) and np.size(result) == 1:
        result = np.asarray(result).item()  # a one-element NumPy array, or a Keras / TensorFlow scalar tensor
    if isinstance(result, bool) or not isinstance(result, numbers.Real):
        raise Incorrect(f"{what} should be one number, got {_describe(result)}")
    return float(result)


def whole_number(result, what: str) -> int:
    """``result`` when it is a Python or NumPy integer (not a bool, not a float such as 784.0)."""
    returned(result, what)
    if isinstance(result, bool) or not isinstance(result, numbers.Integral):
        hint = " (use // for integer division, or int(...))" if isinstance(result, float | np.floating) else ""
        raise Incorrect(f"{what} should be a whole number (int), got {_describe(result)}{hint}")
    return int(result)


def of_kind(result, what: str, accepts, described: str):
    """``result`` when ``accepts(result)`` is true; else ``Incorrect``: ``{what} should be {described}, got ...``."""
    returned(result, what)
    if not accepts(result):
        raise Incorrect(f"{what} should be {described}, got {_describe(result)}")
    return result


def text(result, what: str) -> str:
    """``result`` when it is a string."""
    return of_kind(result, what, lambda r: isinstance(r, str), "a string")


def tokens(result, what: str) -> list[str]:
    """``result`` as a list of strings (a list or tuple whose items are all ``str``)."""
    accepts = lambda r: isinstance(r, list | tuple) and all(isinstance(t, str) for t in r)  # noqa: E731
    return list(of_kind(result, what, accepts, "a list of strings (tokens)"))


def mapping(result, what: str) -> dict:
    """``result`` when it is a dict."""
    return of_kind(result, what, lambda r: isinstance(r, dict), "a dict")


def parts(result, what: str, names: tuple[str, ...]) -> tuple:
    """``result`` as a tuple of ``len(names)`` items, e.g. ``names=("h", "c")``."""
    returned(result, what)
    listed = ", ".join(names)
    if not isinstance(result, tuple | list):
        raise Incorrect(f"{what} should return {len(names)} things, ({listed}), got one {type(result).__name__}")
    if len(result) != len(names):
        raise Incorrect(f"{what} should return {len(names)} things, ({listed}), got {len(result)}")
    return tuple(result)


def close(result, expected, what: str, atol: float = 1e-6, rtol: float = 1e-5) -> None:
    """``result`` equals ``expected`` within the tolerances (shapes first); else name the first entry that
    differs."""
    result, expected = np.asarray(result, dtype=float), np.asarray(expected, dtype=float)
    if result.shape != expected.shape:
        raise Incorrect(f"{what} should have shape {expected.shape}, got {result.shape}")
    wrong = ~np.isclose(result, expected, atol=atol, rtol=rtol)
    if wrong.any():
        if result.ndim == 0:
            raise Incorrect(f"{what} should be {expected.item():.6g}, got {result.item():.6g}")
        where = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise Incorrect(f"{what} differs at index {where}: expected {expected[where]:.6g}, got {result[where]:.6g} "
                        f"({int(wrong.sum())} of {wrong.size} entries differ)")


def equal(result, expected, what: str) -> None:
    """``result`` equals ``expected`` exactly (whole numbers, booleans, words); else show both."""
    if not _equal(np.asarray(result).tolist(), np.asarray(expected).tolist()):
        raise Incorrect(f"{what} should be {np.asarray(expected).tolist()}, got {np.asarray(result).tolist()}")


def unchanged(before, after, what: str) -> None:
    """``Incorrect`` if an input changed while the learner's function ran (``before`` is a copy)."""
    if not _equal(before, after):
        raise Incorrect(f"your function changed its input {what} in place; leave it as it is and return a new "
                        "value (e.g. np.maximum(x, 0) or x.copy() instead of assigning into x)")


def call_with(function, *args, names: tuple[str, ...] = (), **kwargs):
    """``call(function, *args, **kwargs)`` on the arguments themselves; afterwards each argument must equal a copy
    taken before the call (``names`` name them in the message, default ``argument 1, 2...``)."""
    before = [copy.deepcopy(a) for a in args]
    result = call(function, *args, **kwargs)
    for i, (old, new) in enumerate(zip(before, args, strict=True)):
        name = names[i] if i < len(names) else f"argument {i + 1}"
        if isinstance(old, np.ndarray | list | dict | set):
            unchanged(old, new, name)
    return result


def findings(result, what: str, names: tuple[str, ...]) -> dict:
    """An experiment's report: a dict with a number under each of ``names`` and a ``"conclusion"``, one line of
    at least four words saying what the numbers mean. Returns the numbers as floats and the conclusion.
    A dict whose values are all still ``...`` is not attempted yet."""
    if isinstance(result, dict) and result and all(_unfilled(v) for v in result.values()):
        raise NotAttempted()
    example = "{" + ", ".join(f'"{name}": ...' for name in names) + ', "conclusion": "..."}'
    if not isinstance(result, dict):
        raise Incorrect(f"report {what} as a dict: {example}; got {_describe(result)}")
    missing = [name for name in (*names, "conclusion") if name not in result]
    if missing:
        raise Incorrect(f"the report has no {', '.join(repr(m) for m in missing)}: expected {example}")
    report = {name: number(result[name], f"the report's {name!r}") for name in names}
    conclusion = result["conclusion"]
    if not isinstance(conclusion, str) or len(conclusion.split()) < 4:
        raise Incorrect("the numbers are there; now say in one line (a string of a few words, under 'conclusion') "
                        "what they mean")
    report["conclusion"] = conclusion.strip()
    return report


def states(conclusion: str, phrases, about) -> str | None:
    """The first of ``phrases`` that ``conclusion`` states about one of ``about`` (a word of the same clause), and
    does not negate ('not less similar' does not state 'less similar'); ``None`` when it states none of them."""
    text = " ".join(conclusion.lower().replace("n't", " not").split())
    for clause in re.split(r"[,;:.!?]| but | while | whereas ", text):
        if not any(word in clause for word in about):
            continue
        for phrase in phrases:
            for match in re.finditer(re.escape(phrase), clause):
                if not {"not", "no", "never", "hardly"} & set(clause[:match.start()].split()[-2:]):
                    return phrase
    return None


def _unfilled(value) -> bool:
    return value is Ellipsis or (isinstance(value, str) and value.strip() in ("...", ""))


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _plural(kind: str) -> str:
    return {"float": "floating-point numbers", "int": "integers", "bool": "booleans (True/False)"}[kind]


def _describe(value) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"an array of shape {tuple(shape)}"
    return f"a {type(value).__name__} ({_short_repr(value)})"


def _short_repr(value) -> str:
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."

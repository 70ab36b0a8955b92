"""Chapter 01 exercises: Python and NumPy for AI."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import asserts
from course_lib.exercises.core import Incorrect, Problem, call


def _mean_of(tracker):
    try:
        return tracker.mean
    except AttributeError:
        raise Incorrect("the object has no `mean`: add an attribute or a @property named mean") from None
    except Exception as error:  # noqa: BLE001 - e.g. ZeroDivisionError before the first update
        raise Incorrect(f"reading .mean raised {type(error).__name__}: {error}") from None


class WordCounts(Problem):
    title = "Count words: a dict from lower-cased word to count"
    answer_name = "word_counts"
    hints = (
        "Lower-case the text, split it on whitespace with `.split()`, then count each word in a dict.",
        "`counts[word] = counts.get(word, 0) + 1` inside a for loop; or `collections.Counter(words)`.",
    )
    solution_code = """
def word_counts(text):
    counts = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts
"""

    wrong_answers = (
        (lambda t: {w: t.split().count(w) for w in t.split()}, "lower-case"),
        (lambda t: {c: t.count(c) for c in t}, "single characters"),
        (lambda t: list(t.lower().split()), "should be a dict"),
        (lambda t: {w: 1 for w in t.lower().split()}, "expected {"),
        (lambda t: {w: t.lower().count(w) for w in t.lower().split()}, "inside"),
    )

    def check_answer(self, answer):
        text = "The movie was great and the acting was GREAT\nthe end"
        expected = {"the": 3, "movie": 1, "was": 2, "great": 2, "and": 1, "acting": 1, "end": 1}
        result = asserts.mapping(call(answer, text), "word_counts(text)")
        if all(isinstance(k, str) and len(k) == 1 for k in result):
            raise Incorrect("your keys are single characters: split the text into words with .split() "
                            "instead of looping over the string")
        if "The" in result or "GREAT" in result:
            raise Incorrect("'The' and 'the' are counted apart: lower-case the text first with .lower()")
        if dict(result) != expected:
            raise Incorrect(f"for {text!r} expected {expected}, got {dict(result)}")
        other = "The theatre is there"
        result = asserts.mapping(call(answer, other), "word_counts(text)")
        if result.get("the") == 3:
            raise Incorrect(f"for {other!r} you counted 'the' 3 times: the 'the' inside 'theatre' and 'there' "
                            "counted too. Count whole words, not pieces of the text")
        if dict(result) != {"the": 1, "theatre": 1, "is": 1, "there": 1}:
            raise Incorrect(f"for {other!r} expected {{'the': 1, 'theatre': 1, 'is': 1, 'there': 1}}, got "
                            f"{dict(result)}")
        if call(answer, "") != {}:
            raise Incorrect("an empty text should give an empty dict")
        return None


def _relu_in_place(x):
    x[x < 0] = 0
    return x


class Relu(Problem):
    title = "ReLU on a whole array, without a Python loop"
    answer_name = "relu"
    hints = (
        "ReLU keeps positive values and turns negative ones into 0: relu(x) = max(0, x), element by element.",
        "Python's max() compares whole objects; NumPy's `np.maximum(x, 0)` works element by element and "
        "returns a new array.",
    )
    solution_code = """
import numpy as np

def relu(x):
    return np.maximum(x, 0)
"""

    wrong_answers = (
        (_relu_in_place, "changed its input"), (np.abs, "abs"), (lambda x: max(0, x), "truth value"),
        (lambda x: np.maximum(x, 0).ravel(), "should have shape (2, 3)"),
        (lambda x: [[max(0, v) for v in row] for row in x], "NumPy array"),
    )

    def check_answer(self, answer):
        x = np.array([[-2.0, -0.5, 0.0], [0.5, 3.0, -7.0]])
        result = asserts.array(asserts.call_with(answer, x, names=("x",)), "relu(x)", shape=x.shape, numpy_only=True)
        if np.allclose(result, np.abs(x)):
            raise Incorrect("negative values became positive (that is abs); ReLU sets them to 0")
        if not np.allclose(result, np.maximum(x, 0)):
            raise Incorrect(f"for {x.tolist()} expected {np.maximum(x, 0).tolist()}, got {result.tolist()}")
        big = np.linspace(-1, 1, 10_001)
        if not np.allclose(asserts.array(call(answer, big), "relu(x)", shape=big.shape), np.maximum(big, 0)):
            raise Incorrect("wrong on a 1-D array of 10,001 values")
        return None


class Standardize(Problem):
    title = "Standardise each column (feature) to mean 0 and standard deviation 1"
    answer_name = "standardize"
    hints = (
        "Rows are examples, columns are features: take the mean and std of each column, `axis=0`.",
        "`(X - X.mean(axis=0)) / X.std(axis=0)`: the (d,) statistics broadcast over the (n, d) array.",
    )
    solution_code = """
def standardize(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)
"""

    wrong_answers = (
        (lambda X: (X - X.mean()) / X.std(), "axis=0"),
        (lambda X: (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True), "each row"),
        (lambda X: X - X.mean(axis=0), "std 1"), (lambda X: X / X.std(axis=0), "expected 0 and 1"),
        (lambda X: ((X - X.mean(axis=0)) / X.std(axis=0)).mean(axis=0), "should have shape (4, 2)"),
    )

    def check_answer(self, answer):
        X = np.array([[1.0, 200.0], [2.0, 400.0], [3.0, 900.0], [6.0, 500.0]])
        result = asserts.array(asserts.call_with(answer, X, names=("X",)), "standardize(X)", shape=X.shape)
        if np.allclose(result, (X - X.mean()) / X.std()):
            raise Incorrect("you used one mean and std for the whole array; each column needs its own: axis=0")
        if np.allclose(result, (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)):
            raise Incorrect("you standardised each row (axis=1); features are columns: axis=0")
        if np.allclose(result, X - X.mean(axis=0)):
            raise Incorrect("the columns have mean 0 but not std 1: also divide by X.std(axis=0)")
        expected = (X - X.mean(axis=0)) / X.std(axis=0)
        if not np.allclose(result, expected):
            raise Incorrect(f"column means {np.round(result.mean(axis=0), 3).tolist()} and stds "
                            f"{np.round(result.std(axis=0), 3).tolist()}; expected 0 and 1 in each column")
        return None


class OneHot(Problem):
    title = "One-hot encode integer labels"
    answer_name = "one_hot"
    hints = (
        "The result has one row per label and `num_classes` columns; row i has a single 1, in column labels[i].",
        "`np.eye(num_classes)[labels]` picks row labels[i] of the identity matrix for each label.",
    )
    solution_code = """
import numpy as np

def one_hot(labels, num_classes):
    return np.eye(num_classes, dtype=np.float32)[labels]
"""

    wrong_answers = (
        (lambda y, n: np.eye(n)[y].T, "transposed"), (lambda y, n: np.eye(y.max() + 1)[y], "num_classes"),
        (lambda y, n: np.eye(n)[y - 1], "expected [[0"), (lambda y, n: np.eye(n)[y].tolist(), "NumPy array"),
    )

    def check_answer(self, answer):
        labels = np.array([2, 0, 1, 2])
        result = asserts.array(asserts.call_with(answer, labels, 5, names=("labels",)),
                               "one_hot(labels, num_classes)", numpy_only=True)
        expected = np.eye(5)[labels]
        if result.shape == (5, 4):
            raise Incorrect("the result is transposed: one ROW per label, one column per class")
        if result.shape == (4, 3):
            raise Incorrect("you used labels.max() + 1 columns; use num_classes (a class may be missing "
                            "from a batch)")
        if result.shape != expected.shape:
            raise Incorrect(f"for 4 labels and 5 classes expected shape (4, 5), got {result.shape}")
        if not np.array_equal(result, expected):
            raise Incorrect(f"for labels {labels.tolist()} expected {expected.astype(int).tolist()}, "
                            f"got {result.tolist()}")
        return None


class _SharedRunningMean:  # state as a class attribute: every object shares it
    values = []

    def update(self, value):
        self.values.append(value)

    @property
    def mean(self):
        return sum(self.values) / len(self.values) if self.values else 0.0


class _HalvingRunningMean:  # mean = (mean + value) / 2
    def __init__(self):
        self.mean = 0.0

    def update(self, value):
        self.mean = (self.mean + value) / 2


class _MethodRunningMean:  # mean() as a method
    def __init__(self):
        self.values = []

    def update(self, value):
        self.values.append(value)

    def mean(self):
        return float(np.mean(self.values))


class _CrashingRunningMean:  # mean divides by zero before the first update
    def __init__(self):
        self.total, self.count = 0.0, 0

    def update(self, value):
        self.total += value
        self.count += 1

    @property
    def mean(self):
        return self.total / self.count


class _ArrayRunningMean:  # mean as an array of all the values seen
    def __init__(self):
        self.values = [0.0]

    def update(self, value):
        self.values.append(value)

    @property
    def mean(self):
        return np.array(self.values)


class _OnlyInit:  # a first step: the state, no methods yet
    def __init__(self):
        self.count, self.total = 0, 0.0


class RunningMean(Problem):
    title = "A class that keeps a running mean"
    answer_name = "RunningMean"
    hints = (
        "Store what you need in `self` inside `__init__` (a count and a total), update them in `update`, "
        "and compute the mean from them.",
        "Create the state in `__init__`, not as class attributes, or every object shares it. "
        "A `@property` named `mean` returns `self.total / self.count`.",
    )
    solution_code = """
class RunningMean:
    def __init__(self):
        self.count = 0
        self.total = 0.0

    def update(self, value):
        self.count += 1
        self.total += value

    @property
    def mean(self):
        return self.total / self.count if self.count else 0.0
"""

    wrong_answers = (
        (_SharedRunningMean, "share their data"), (_HalvingRunningMean, "(mean + value) / 2"),
        (_MethodRunningMean, "@property"), (_CrashingRunningMean, "ZeroDivisionError"),
        (_HalvingRunningMean(), "expected a class"), (_OnlyInit, "needs a method update(value)"),
        (_ArrayRunningMean, "should be one number"),
    )

    def check_answer(self, answer):
        if not isinstance(answer, type):
            raise Incorrect(f"expected a class, got {type(answer).__name__}; pass RunningMean itself")
        first = call(answer)
        if not hasattr(first, "update"):
            raise Incorrect("the class needs a method update(value)")
        empty = _mean_of(first)
        if callable(empty):
            raise Incorrect("make `mean` a value (an attribute or a @property), so that tracker.mean works "
                            "without parentheses")
        if empty is not None and not isinstance(empty, str):
            empty = asserts.number(empty, "tracker.mean")
        if empty != 0:
            raise Incorrect(f"before any update the mean should be 0.0, got {empty!r}")
        for value in (4.0, 8.0, 6.0, 2.0):
            call(first.update, value)
        mean = asserts.number(_mean_of(first), "tracker.mean")
        if np.isclose(mean, 3.75) or np.isclose(mean, 4.0):  # mean = (mean + value) / 2, from 0 or from 4
            raise Incorrect("(mean + value) / 2 weights recent values more; keep a count and a total")
        if not np.isclose(mean, 5.0):
            raise Incorrect(f"after 4, 8, 6, 2 the mean should be 5.0, got {mean!r}")
        second = call(answer)
        call(second.update, 10.0)
        if not np.isclose(asserts.number(_mean_of(second), "tracker.mean"), 10.0) or \
                not np.isclose(asserts.number(_mean_of(first), "tracker.mean"), 5.0):
            raise Incorrect("two RunningMean objects share their data: create the state in __init__ "
                            "(self.values = [] there, not as a class attribute)")
        return None


class PairwiseSquaredDistances(Problem):
    title = "All squared distances between two sets of points, by broadcasting"
    answer_name = "pairwise_sq_dists"
    hints = (
        "Give A a new axis so it is (n, 1, d) and B so it is (1, m, d); their difference broadcasts to (n, m, d).",
        "`((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)` has shape (n, m).",
    )
    solution_code = """
def pairwise_sq_dists(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)
"""

    wrong_answers = (
        (lambda A, B: np.sqrt(((A[:, None] - B[None]) ** 2).sum(-1)), "SQUARED"),
        (lambda A, B: ((B[:, None] - A[None]) ** 2).sum(-1), "(m, n)"),
        (lambda A, B: ((A - B) ** 2).sum(-1), "do not fit together"),
        (lambda A, B: (A[:, None] - B[None]).sum(-1) ** 2, "expected"),
    )

    def check_answer(self, answer):
        A = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]])
        B = np.array([[1.0, 1.0], [-2.0, 0.5]])
        expected = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)
        result = asserts.array(asserts.call_with(answer, A, B, names=("A", "B")), "pairwise_sq_dists(A, B)")
        if result.shape == (2, 3):
            raise Incorrect("the result is (m, n); row i should hold the distances from A[i]: shape (n, m)")
        if result.shape != (3, 2):
            raise Incorrect(f"for A of shape {A.shape} and B of shape {B.shape} expected shape (3, 2), "
                            f"got {result.shape}")
        if np.allclose(result, np.sqrt(expected)):
            raise Incorrect("these are distances, not SQUARED distances: leave out the square root")
        if not np.allclose(result, expected):
            raise Incorrect(f"expected {expected.tolist()}, got {np.round(result, 4).tolist()}")
        return None


PROBLEMS = [WordCounts, RunningMean, Relu, Standardize, OneHot, PairwiseSquaredDistances]

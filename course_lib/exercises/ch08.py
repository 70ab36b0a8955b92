"""Chapter 08 exercises: explaining predictions with LIME."""

from __future__ import annotations

import numpy as np

from course_lib.exercises.core import Incorrect, Problem, call


def _numbers(result, shape, what):
    try:
        array = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect(f"return {what} (numbers), got {type(result).__name__}") from None
    if array.shape != shape:
        raise Incorrect(f"return {what} of shape {shape}, got shape {array.shape}")
    return array


class Kernel(Problem):
    title = "LIME's kernel: how much a sample counts"
    answer_name = "lime_kernel"
    hints = (
        "The kernel is sqrt(exp(-d^2 / width^2)): 1 at distance 0, about 0.61 at d = width, about 0.14 at "
        "d = 2 width. Work on the whole array at once with NumPy.",
        "`np.sqrt(np.exp(-distances ** 2 / width ** 2))`",
    )
    solution_code = """
import numpy as np

def lime_kernel(distances, width):
    distances = np.asarray(distances, dtype=float)
    return np.sqrt(np.exp(-distances ** 2 / width ** 2))
"""

    def check_answer(self, answer):
        distances = np.array([0.0, 10.0, 25.0, 50.0, 100.0])
        result = _numbers(call(answer, distances.copy(), 25.0), distances.shape, "one weight per distance")
        expected = np.sqrt(np.exp(-distances ** 2 / 25.0 ** 2))
        if np.allclose(result, np.exp(-distances ** 2 / 25.0 ** 2)):
            raise Incorrect("the square root is missing: exp(-d^2 / width^2) is the kernel squared, which falls "
                            "off faster (as if the width were 25 / sqrt(2))")
        if np.allclose(result, np.sqrt(np.exp(-distances / 25.0))) or np.allclose(result, np.exp(-distances / 25.0)):
            raise Incorrect("square the distance and the width: sqrt(exp(-d^2 / width^2))")
        if np.allclose(result, np.sqrt(np.exp(distances ** 2 / 25.0 ** 2))):
            raise Incorrect("the sign of the exponent: far samples must count LESS, so exp(-d^2 / width^2)")
        if not np.isclose(result[0], 1.0):
            raise Incorrect(f"the text itself (distance 0) must get weight 1, got {result[0]:.4f}")
        if not np.allclose(result, expected):
            raise Incorrect(f"for distances {distances.tolist()} and width 25 expected "
                            f"{np.round(expected, 4).tolist()}, got {np.round(result, 4).tolist()}")
        wide = _numbers(call(answer, distances.copy(), 100.0), distances.shape, "one weight per distance")
        if not np.allclose(wide, np.sqrt(np.exp(-distances ** 2 / 100.0 ** 2))):
            raise Incorrect("use the width you are given (the check also tries width=100)")
        return "course_lib.explain.kernel is the same function, and the lime package's default."


class Perturb(Problem):
    title = "One perturbed text"
    answer_name = "perturb"
    hints = (
        "`mask[j]` belongs to `words[j]`, the j-th DISTINCT word. Collect the words whose mask is 0, then keep "
        "every token that is not one of them (all its occurrences go), and join the kept tokens with spaces.",
        "`deleted = {w for w, keep in zip(words, mask) if not keep}`; "
        "`return ' '.join(t for t in tokens if t not in deleted)`",
    )
    solution_code = """
def perturb(tokens, words, mask):
    deleted = {word for word, keep in zip(words, mask) if not keep}
    return " ".join(token for token in tokens if token not in deleted)
"""

    def check_answer(self, answer):
        tokens = ["good", "film", "not", "good", "plot", "film", "great"]
        words = ["good", "film", "not", "plot", "great"]
        mask = [0, 1, 1, 0, 1]
        expected = "film not film great"
        result = call(answer, list(tokens), list(words), list(mask))
        if not isinstance(result, str):
            raise Incorrect(f"return the perturbed text as one string (tokens joined by spaces), got "
                            f"{type(result).__name__}")
        if result == "good good plot":
            raise Incorrect("those are the deleted words: a 1 in the mask KEEPS the word, a 0 deletes it")
        if result == "film not good film great":
            raise Incorrect("'good' is still there once: deleting a word deletes EVERY occurrence of it (LIME's "
                            "bag-of-words features)")
        if result == " ".join(t for t, keep in zip(tokens, mask + [1, 1], strict=True) if keep):
            raise Incorrect("the mask has one entry per distinct word (`words`), not one per token position")
        if result.split() == expected.split() and result != expected:
            raise Incorrect("join the kept tokens with single spaces")
        if result != expected:
            raise Incorrect(f"for tokens {tokens}, words {words} and mask {mask} expected {expected!r}, "
                            f"got {result!r}")
        if call(answer, ["bad"], ["bad"], [0]) != "":
            raise Incorrect("deleting every word leaves the empty text ''")
        return "course_lib.explain.lime_text builds its samples this way."


# Samples of a hidden model (a sum of word weights, plus noise) and their kernel weights.
_RNG = np.random.default_rng(8)
_MASKS = (_RNG.random((40, 4)) < 0.6).astype(float)
_MASKS[0] = 1.0
_TARGETS = 0.2 + _MASKS @ np.array([0.4, -0.3, 0.05, 0.0]) + 0.05 * _RNG.normal(size=40)
_WEIGHTS = np.sqrt(np.exp(-(100 * (1 - np.sqrt(_MASKS.sum(1) / 4))) ** 2 / 25 ** 2))


def _least_squares(masks, targets, row_weights):
    design = np.column_stack([np.ones(len(masks)), masks]) * row_weights[:, None]
    solution = np.linalg.lstsq(design, targets * row_weights, rcond=None)[0]
    return solution[1:], solution[0]


class WeightedSurrogate(Problem):
    title = "Fit the local linear model"
    answer_name = "fit_surrogate"
    hints = (
        "Minimise sum_i pi_i (y_i - b - w . z_i)^2. Add a column of ones to the masks for the intercept b; "
        "multiplying row i of the design AND y_i by sqrt(pi_i) turns it into ordinary least squares.",
        "`X = np.column_stack([np.ones(len(masks)), masks])`; `r = np.sqrt(weights)`; "
        "`solution = np.linalg.lstsq(X * r[:, None], targets * r, rcond=None)[0]`; "
        "`return solution[1:], solution[0]`",
    )
    solution_code = """
import numpy as np

def fit_surrogate(masks, targets, weights):
    X = np.column_stack([np.ones(len(masks)), masks])      # a column of ones for the intercept
    r = np.sqrt(weights)                                    # sum_i w_i e_i^2 = sum_i (sqrt(w_i) e_i)^2
    solution = np.linalg.lstsq(X * r[:, None], targets * r, rcond=None)[0]
    return solution[1:], solution[0]                        # word weights (d,), intercept
"""

    def check_answer(self, answer):
        result = call(answer, _MASKS.copy(), _TARGETS.copy(), _WEIGHTS.copy())
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise Incorrect("return two things: the word weights (an array of 4) and the intercept (a number)")
        coefficients = _numbers(result[0], (4,), "the word weights")
        intercept = float(np.asarray(result[1], dtype=float).ravel()[0])
        expected, expected_intercept = _least_squares(_MASKS, _TARGETS, np.sqrt(_WEIGHTS))
        if np.allclose(coefficients, _least_squares(_MASKS, _TARGETS, np.ones(40))[0], atol=1e-6):
            raise Incorrect("that is the unweighted fit: the samples near the text must count more (weight pi_i)")
        if np.allclose(coefficients, _least_squares(_MASKS, _TARGETS, _WEIGHTS)[0], atol=1e-6):
            raise Incorrect("the samples are weighted twice: multiply the rows by sqrt(pi_i), so that their "
                            "squared errors are multiplied by pi_i")
        no_intercept = np.linalg.lstsq(_MASKS * np.sqrt(_WEIGHTS)[:, None], _TARGETS * np.sqrt(_WEIGHTS),
                                       rcond=None)[0]
        if np.allclose(coefficients, no_intercept, atol=1e-6):
            raise Incorrect("the intercept is missing: add a column of ones to the masks")
        if not np.allclose(coefficients, expected, atol=1e-6):
            raise Incorrect(f"expected word weights {np.round(expected, 4).tolist()}, got "
                            f"{np.round(coefficients, 4).tolist()}")
        if not np.isclose(intercept, expected_intercept, atol=1e-6):
            raise Incorrect(f"the word weights are right; the intercept should be {expected_intercept:.4f}, "
                            f"got {intercept:.4f}")
        return ("LIME adds a small ridge penalty (alpha=1) to this fit: course_lib.explain.fit_surrogate and the "
                "lime package use sklearn's Ridge with sample_weight.")


class TopKOverlap(Problem):
    title = "Do two explanations agree?"
    answer_name = "top_k_overlap"
    hints = (
        "Rank each explanation's words by the SIZE of their weight, |weight| (a strongly negative word matters "
        "as much as a strongly positive one), take the k first of each, and return the share they have in "
        "common: |A & B| / k.",
        "`top = lambda e: {w for w, _ in sorted(e.items(), key=lambda item: -abs(item[1]))[:k]}`; "
        "`return len(top(a) & top(b)) / k`",
    )
    solution_code = """
def top_k_overlap(a, b, k):
    def top(weights):
        ranked = sorted(weights.items(), key=lambda item: -abs(item[1]))
        return {word for word, _ in ranked[:k]}
    return len(top(a) & top(b)) / k
"""

    def check_answer(self, answer):
        a = {"awful": -0.40, "great": 0.30, "plot": 0.02, "boring": -0.20, "film": 0.01, "fun": 0.10}
        b = {"awful": -0.35, "boring": -0.25, "fun": 0.15, "plot": 0.12, "great": 0.05, "film": -0.01}
        # top 3 by |weight|: a {awful, great, boring}, b {awful, boring, fun}: 2 of 3 agree
        result = call(answer, dict(a), dict(b), 3)
        if isinstance(result, bool) or not isinstance(result, int | float | np.integer | np.floating):
            raise Incorrect(f"return a share between 0 and 1, got {type(result).__name__}")
        if np.isclose(result, 2):
            raise Incorrect("that is the number of shared words; return the share, divided by k")
        if np.isclose(result, 1.0):
            raise Incorrect("rank by |weight|, not by the weight itself: 'awful' (-0.40) is the strongest word of "
                            "both explanations, and the largest signed weights ('great', 'fun', 'plot') are not")
        if np.isclose(result, 0.5):
            raise Incorrect("that is the Jaccard index |A & B| / |A | B|; the overlap of two top-k lists here is "
                            "|A & B| / k")
        if not np.isclose(result, 2 / 3):
            raise Incorrect(f"the top 3 are {{awful, great, boring}} and {{awful, boring, fun}}: expected 2/3, "
                            f"got {result}")
        if not np.isclose(call(answer, dict(a), dict(a), 4), 1.0):
            raise Incorrect("an explanation agrees fully with itself: expected 1.0 for k=4")
        return None


PROBLEMS = [Kernel, Perturb, WeightedSurrogate, TopKOverlap]

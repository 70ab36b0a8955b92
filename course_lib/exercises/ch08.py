"""Chapter 08 exercises: LIME's kernel width, position masks, the surrogate's score, agreement, and a
classifier_fn to debug."""

from __future__ import annotations

import functools

import numpy as np

from course_lib.exercises import asserts
from course_lib.exercises.core import Incorrect, Problem, call, define


def _width(formula):
    return lambda distance, weight: formula(float(distance), float(weight))


class KernelWidthFor(Problem):
    title = "Which kernel width gives a sample a chosen weight?"
    answer_name = "kernel_width_for"
    hints = (
        "Solve the kernel for the width: sqrt(exp(-D^2 / sigma^2)) = pi. Square both sides, take the logarithm: "
        "-D^2 / sigma^2 = 2 ln(pi).",
        "sigma = D / sqrt(-2 ln(pi)): `distance / np.sqrt(-2 * np.log(weight))`. ln(pi) < 0 for 0 < pi < 1, so the "
        "square root is of a positive number.",
    )
    solution_code = """
import numpy as np

def kernel_width_for(distance, weight):
    # sqrt(exp(-D^2 / sigma^2)) = weight  =>  -D^2 / sigma^2 = 2 ln(weight)
    return distance / np.sqrt(-2 * np.log(weight))
"""
    wrong_answers = (
        (_width(lambda d, w: d / np.sqrt(-np.log(w))), "square root"),
        (_width(lambda d, w: d * np.sqrt(-2 * np.log(w))), "upside down"),
        (_width(lambda d, w: d ** 2 / (-2 * np.log(w))), "sigma squared"),
        (_width(lambda d, w: 25.0), "expected"),
        (lambda distance, weight: print(distance / np.sqrt(-2 * np.log(weight))), "returned None"),
    )

    def check_answer(self, answer):
        for distance, weight in ((50.0, 0.5), (29.3, 0.7), (100.0, 0.1)):
            with np.errstate(all="ignore"):
                sigma = asserts.number(call(answer, distance, weight), "kernel_width_for(distance, weight)")
            expected = distance / np.sqrt(-2 * np.log(weight))
            if np.isclose(sigma, distance / np.sqrt(-np.log(weight))):
                raise Incorrect("you solved exp(-D^2 / sigma^2) = pi; LIME's kernel has a square root around the exp, "
                                "sqrt(exp(-D^2 / sigma^2)) = pi, so the logarithm is 2 ln(pi)")
            if np.isclose(sigma, distance * np.sqrt(-2 * np.log(weight))):
                raise Incorrect("the fraction is upside down: sigma = D / sqrt(-2 ln(pi)); a larger distance needs a "
                                "larger width for the same weight")
            if np.isclose(sigma, expected ** 2):
                raise Incorrect("that is sigma squared: take the square root")
            if not np.isclose(sigma, expected):
                raise Incorrect(f"for distance {distance} and weight {weight} expected sigma = {expected:.3f}, got "
                                f"{sigma:.3f}: check it by putting your sigma back into sqrt(exp(-D^2 / sigma^2))")
        return ("with the default width 25, a sample that deletes half the words (D = 29.3) weighs 0.50; "
                "kernel_width=50 would give it 0.84.")


def _perturb_positions(replace=True, invert=False, sep=" "):
    def perturb_positions(tokens, mask, mask_string="UNKWORDZ"):
        kept = []
        for token, keep in zip(tokens, mask, strict=True):
            if bool(keep) != invert:
                kept.append(token)
            elif replace:
                kept.append(mask_string)
        return sep.join(kept)
    return perturb_positions


class PerturbPositions(Problem):
    title = "Perturb by position, as LIME's bow=False does"
    answer_name = "perturb_positions"
    hints = (
        "Here the mask has one entry per token POSITION (not per distinct word). Where it is 0, put mask_string in "
        "that position instead of deleting the token, so every word keeps its place; join with single spaces.",
        "`' '.join(t if keep else mask_string for t, keep in zip(tokens, mask))`",
    )
    solution_code = """
def perturb_positions(tokens, mask, mask_string="UNKWORDZ"):
    # one mask entry per position: a 0 replaces that occurrence only, and the text keeps its length
    return " ".join(token if keep else mask_string for token, keep in zip(tokens, mask))
"""
    wrong_answers = (
        (_perturb_positions(replace=False), "replace"),
        (_perturb_positions(invert=True), "KEEPS"),
        (_perturb_positions(sep=""), "single spaces"),
        (lambda tokens, mask, mask_string="UNKWORDZ": " ".join(
            mask_string if t in {u for u, k in zip(tokens, mask, strict=True) if not k} else t for t in tokens),
         "that position only"),
        (lambda tokens, mask, mask_string="UNKWORDZ": _perturb_positions()(tokens, mask).split(), "should be a string"),
    )

    def check_answer(self, answer):
        tokens = ["good", "film", "not", "good", "plot"]
        mask = [1, 0, 1, 0, 1]
        expected = "good UNKWORDZ not UNKWORDZ plot"
        result = asserts.text(asserts.call_with(answer, list(tokens), list(mask), names=("tokens", "mask")),
                              "perturb_positions(tokens, mask)")
        if result == "good not plot":
            raise Incorrect("the masked tokens were deleted; with bow=False LIME must keep every position: replace "
                            "each masked token with mask_string")
        if result == "UNKWORDZ film UNKWORDZ good UNKWORDZ":
            raise Incorrect("the mask is inverted: a 1 KEEPS the token, a 0 replaces it")
        if result == "UNKWORDZ UNKWORDZ not UNKWORDZ plot":
            raise Incorrect("both 'good's were replaced; here the mask belongs to positions, so a 0 replaces the "
                            "token in that position only (the first 'good' has a 1)")
        if result.split() == expected.split() and result != expected:
            raise Incorrect("join the tokens with single spaces")
        if result.replace(" ", "") == expected.replace(" ", "") and result != expected:
            raise Incorrect("join the tokens with single spaces")
        if result != expected:
            raise Incorrect(f"for tokens {tokens} and mask {mask} expected {expected!r}, got {result!r}")
        other = call(answer, ["bad"], [0], mask_string="[MASK]")
        if other != "[MASK]":
            raise Incorrect(f"use the mask_string you are given: expected '[MASK]', got {other!r}")
        return ("the lime package builds these texts with LimeTextExplainer(bow=False): a word's weight then belongs "
                "to one occurrence, so 'not good' and 'good' elsewhere count apart.")


def _r2(weighted_mean=True, weighted_sums=True, one_minus=True):
    def weighted_r2(targets, predictions, weights):
        y, f, w = (np.asarray(v, dtype=float) for v in (targets, predictions, weights))
        mean = np.average(y, weights=w) if weighted_mean else y.mean()
        v = w if weighted_sums else np.ones_like(w)
        ratio = np.sum(v * (y - f) ** 2) / np.sum(v * (y - mean) ** 2)
        return 1 - ratio if one_minus else ratio
    return weighted_r2


class WeightedR2(Problem):
    title = "The surrogate's score: a weighted R^2"
    answer_name = "weighted_r2"
    hints = (
        "R^2 = 1 - (residual sum of squares) / (total sum of squares). Weighted: every square is multiplied by the "
        "sample's weight pi_i, and the mean in the total sum is the weighted mean sum(pi y) / sum(pi).",
        "`mean = np.average(y, weights=w)`; `return 1 - np.sum(w * (y - f) ** 2) / np.sum(w * (y - mean) ** 2)`",
    )
    solution_code = """
import numpy as np

def weighted_r2(targets, predictions, weights):
    y, f, w = (np.asarray(v, dtype=float) for v in (targets, predictions, weights))
    mean = np.average(y, weights=w)                      # sum(w * y) / sum(w)
    return 1 - np.sum(w * (y - f) ** 2) / np.sum(w * (y - mean) ** 2)
"""
    wrong_answers = (
        (_r2(weighted_sums=False, weighted_mean=False), "unweighted"),
        (_r2(weighted_mean=False), "weighted mean"),
        (_r2(one_minus=False), "1 -"),
        (lambda y, f, w: np.sum(w * (y - f) ** 2), "should be"),
        (lambda y, f, w: [_r2()(y, f, w)] * 2, "one number"),
    )

    def check_answer(self, answer):
        rng = np.random.default_rng(8)
        y = rng.random(30)
        f = 0.7 * y + 0.1 + 0.1 * rng.normal(size=30)
        w = np.sqrt(np.exp(-(100 * rng.random(30)) ** 2 / 25 ** 2))
        value = asserts.number(asserts.call_with(answer, y, f, w, names=("targets", "predictions", "weights")),
                               "weighted_r2(targets, predictions, weights)")
        if np.isclose(value, _r2(weighted_sums=False, weighted_mean=False)(y, f, w)):
            raise Incorrect("that is the unweighted R^2: multiply each squared error by the sample's weight, so that "
                            "the samples near the text count more")
        if np.isclose(value, _r2(weighted_mean=False)(y, f, w)):
            raise Incorrect("the total sum of squares must be around the weighted mean, np.average(y, weights=w), "
                            "not the plain mean")
        if np.isclose(value, _r2(one_minus=False)(y, f, w)):
            raise Incorrect("that is the ratio residual / total; R^2 is 1 - that ratio (1 means a perfect fit)")
        asserts.close(value, _r2()(y, f, w), "the weighted R^2")
        from sklearn.metrics import r2_score

        return (f"sklearn agrees: r2_score(y, f, sample_weight=w) = {r2_score(y, f, sample_weight=w):.4f}; "
                "Explanation.score is this number for the surrogate's fit.")


def _overlap(key, formula="share"):
    def top_k_overlap(a, b, k):
        top_a = {w for w, _ in sorted(a.items(), key=lambda item: key(item[1]))[:k]}
        top_b = {w for w, _ in sorted(b.items(), key=lambda item: key(item[1]))[:k]}
        common = len(top_a & top_b)
        return {"share": common / k, "count": common, "jaccard": common / len(top_a | top_b),
                "anywhere": sum(w in b for w in top_a) / k}[formula]
    return top_k_overlap


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

    wrong_answers = (
        (_overlap(lambda w: -w), "not by the weight itself"),
        (_overlap(lambda w: -abs(w), formula="count"), "divided by k"),
        (_overlap(lambda w: -abs(w), formula="jaccard"), "Jaccard"),
        (_overlap(lambda w: -abs(w), formula="anywhere"), "top k of BOTH"),
        (_overlap(lambda w: abs(w)), "WEAKEST"),
        (lambda a, b, k: None, "returned None"),
    )

    def check_answer(self, answer):
        a = {"awful": -0.40, "great": 0.30, "plot": 0.02, "boring": -0.20, "film": 0.01, "fun": 0.10}
        b = {"awful": -0.35, "boring": -0.25, "fun": 0.15, "plot": 0.12, "great": 0.05, "film": -0.01}
        # top 3 by |weight|: a {awful, great, boring}, b {awful, boring, fun}: 2 of 3 agree
        # b with every sign flipped: the same words by |weight|, the opposite ones by signed weight
        flipped = asserts.number(call(answer, dict(a), {w: -v for w, v in a.items()}, 3), "top_k_overlap(a, b, k)")
        if np.isclose(flipped, 0.0):
            raise Incorrect("rank by |weight|, not by the weight itself: an explanation and its sign-flipped twin "
                            "name the same strong words, so their overlap is 1, and you gave 0")
        strong = {"awful": -0.5, "great": 0.4, "plot": 0.3, "film": 0.2, "boring": 0.01, "fun": 0.02}
        if np.isclose(asserts.number(call(answer, dict(a), strong, 2), "top_k_overlap(a, b, k)"), 0.0):
            raise Incorrect("you took the k WEAKEST words: sort by |weight| from the largest down, "
                            "key=lambda item: -abs(item[1])")
        result = asserts.number(asserts.call_with(answer, a, b, 3, names=("a", "b")), "top_k_overlap(a, b, k)")
        if np.isclose(result, 2):
            raise Incorrect("that is the number of shared words; return the share, divided by k")
        if np.isclose(result, 1.0):
            raise Incorrect("every top word of a appears SOMEWHERE in b, but the question is how many words are in "
                            "the top k of BOTH explanations: |top_k(a) & top_k(b)| / k")
        if np.isclose(result, 0.5):
            raise Incorrect("that is the Jaccard index |A & B| / |A | B|; the overlap of two top-k lists here is "
                            "|A & B| / k")
        if not np.isclose(result, 2 / 3):
            raise Incorrect(f"the top 3 are {{awful, great, boring}} and {{awful, boring, fun}}: expected 2/3, "
                            f"got {result}")
        if not np.isclose(call(answer, dict(a), dict(a), 4), 1.0):
            raise Incorrect("an explanation agrees fully with itself: expected 1.0 for k=4")
        return None



_BROKEN_CLASSIFIER_FN = """
def make_classifier_fn(vectorizer, model):
    def classifier_fn(texts):
        return model.predict(vectorizer.transform(texts))
    return classifier_fn
"""


@functools.cache
def _toy_model():
    """TF-IDF + logistic regression on the Rotten Tomatoes training sentences: a fast model for the check."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from course_lib.data import load_rotten_tomatoes

    (texts, labels), _, _ = load_rotten_tomatoes()
    vectorizer = TfidfVectorizer(min_df=2)
    model = LogisticRegression(C=4.0, max_iter=2000).fit(vectorizer.fit_transform(texts), labels)
    return vectorizer, model


class DebugClassifierFn(Problem):
    title = "Debug the classifier_fn that LIME calls"
    kind = "debug"
    answer_name = "make_classifier_fn"
    given_code = _BROKEN_CLASSIFIER_FN
    hints = (
        "LimeTextExplainer.explain_instance(text, classifier_fn) calls classifier_fn with a LIST of perturbed raw "
        "strings and needs back an array of class PROBABILITIES, shape (n, 2) for two classes. What does "
        "model.predict return?",
        "A scikit-learn classifier scores texts three ways: predict gives the label, decision_function a raw "
        "score, and a third method a row of class probabilities. classifier_fn must return that row for every "
        "text, as an array of shape (n, 2).",
    )
    solution_code = """
def make_classifier_fn(vectorizer, model):
    def classifier_fn(texts):                       # a list of raw strings, as LIME passes them
        return model.predict_proba(vectorizer.transform(texts))     # (n, 2) probabilities, rows sum to 1
    return classifier_fn
"""
    wrong_answers = (
        (lambda vectorizer, model: define(_BROKEN_CLASSIFIER_FN, "make_classifier_fn")(vectorizer, model),
         "probabilities"),
        (lambda vectorizer, model: lambda texts: model.predict_proba(vectorizer.transform(texts))[:, 1],
         "one column per class"),
        (lambda vectorizer, model: lambda texts: model.decision_function(vectorizer.transform(texts)),
         "probabilities"),
        (lambda vectorizer, model: lambda texts: model.predict_proba(vectorizer.transform(texts[:1])), "one row per"),
        (lambda vectorizer, model: lambda texts: model.predict_proba(vectorizer.transform([t.split() for t in texts])),
         "raised AttributeError"),
        (lambda vectorizer, model: lambda texts: model.predict_proba(vectorizer.transform(texts)).tolist(),
         "NumPy array"),
        (lambda vectorizer, model: None, "returned None"),
    )

    def check_answer(self, answer):
        vectorizer, model = _toy_model()
        classifier_fn = asserts.returned(call(answer, vectorizer, model), "make_classifier_fn(vectorizer, model)")
        if not callable(classifier_fn):
            raise Incorrect(f"make_classifier_fn should return a function (classifier_fn), got a "
                            f"{type(classifier_fn).__name__}")
        texts = ["a gorgeous , witty film", "dull and lifeless", "the plot", "an utterly charming comedy"]
        result = asserts.array(call(classifier_fn, list(texts)), "classifier_fn(texts)", numpy_only=True)
        if result.ndim == 1:
            raise Incorrect(f"classifier_fn returned shape {result.shape}, one value per text; LIME needs class "
                            "probabilities with one column per class, shape (n, 2). Look at which of the model's "
                            "methods classifier_fn calls, and what that method returns")
        if result.shape != (4, 2):
            raise Incorrect(f"for 4 texts classifier_fn should return one row per text and one column per class, "
                            f"shape (4, 2), got {result.shape}")
        if not (np.all(result >= 0) and np.allclose(result.sum(axis=1), 1.0)):
            raise Incorrect("the rows are not probabilities (each between 0 and 1, summing to 1): use "
                            "model.predict_proba, not predict or decision_function")
        asserts.close(result, model.predict_proba(vectorizer.transform(texts)), "classifier_fn(texts)")
        from lime.lime_text import LimeTextExplainer

        explainer = LimeTextExplainer(class_names=["negative", "positive"], random_state=0)
        explanation = call(explainer.explain_instance, "a gorgeous , witty film with a dull plot", classifier_fn,
                           num_features=3, num_samples=300)
        words = [str(word) for word, _ in explanation.as_list()]
        return f"LIME runs with it: its three strongest words for the test sentence are {words}."


PROBLEMS = [KernelWidthFor, PerturbPositions, WeightedR2, TopKOverlap, DebugClassifierFn]

"""Chapter 06 exercises: word embeddings, and an experiment on what GloVe's similarity measures."""

from __future__ import annotations

import warnings

import numpy as np

from course_lib.exercises import asserts
from course_lib.exercises.core import Incorrect, Problem, call

# In 4-D. For man : king :: woman : ?, the cosine answer is queen; but king is nearer still (so the question's words
# must be left out), the raw dot product picks the long vector 'monarchy' and the Euclidean distance picks 'duke'.
_VECTORS = {
    "king": np.array([1.0, 1.0, 0.0, 0.0]),
    "queen": np.array([1.6, 0.0, 1.6, 0.0]),
    "man": np.array([0.0, 0.4, 0.0, 0.0]),
    "woman": np.array([0.0, 0.0, 0.4, 0.0]),
    "prince": np.array([0.6, 1.0, 0.0, 0.8]),
    "film": np.array([0.0, 0.0, 0.0, 1.0]),
    "monarchy": np.array([3.0, 1.5, 1.5, 3.0]),
    "duke": np.array([0.5, 1.1, 0.6, 0.5]),
}


def _cosines(norm_axis=1, transpose=False, normalise=True):
    def cosine_matrix(A, B):
        if normalise:
            A = A / np.linalg.norm(A, axis=norm_axis, keepdims=True)
            B = B / np.linalg.norm(B, axis=norm_axis, keepdims=True)
        return (B @ A.T) if transpose else (A @ B.T)
    return cosine_matrix


class CosineMatrix(Problem):
    title = "Cosine similarity of every word with every other, without a loop"
    answer_name = "cosine_matrix"
    hints = (
        "Divide each ROW of A and of B by its length (norm); then the cosine similarity of row i of A and row j of "
        "B is the dot product of the normalised rows, and all of them at once are one matrix product.",
        "`A = A / np.linalg.norm(A, axis=1, keepdims=True)`, the same for B, then `return A @ B.T`: shape (n, m).",
    )
    solution_code = """
import numpy as np

def cosine_matrix(A, B):
    A = A / np.linalg.norm(A, axis=1, keepdims=True)     # every row of length 1
    B = B / np.linalg.norm(B, axis=1, keepdims=True)
    return A @ B.T                                       # (n, m): row i of A against row j of B
"""
    wrong_answers = (
        (_cosines(normalise=False), "dot products"),
        (_cosines(norm_axis=0), "each ROW"),
        (_cosines(transpose=True), "(m, n)"),
        (lambda A, B: np.linalg.norm(A[:, None] - B[None], axis=-1), "Euclidean"),
        (lambda A, B: (A / np.linalg.norm(A)) @ (B / np.linalg.norm(B)).T, "each ROW"),
        (lambda A, B: None, "returned None"),
    )

    def check_answer(self, answer):
        A = np.array([[3.0, 4.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 2.0]])
        B = np.array([[4.0, 3.0, 5.0], [2.0, 0.0, 0.0]])
        result = asserts.array(asserts.call_with(answer, A, B, names=("A", "B")), "cosine_matrix(A, B)")
        expected = _cosines()(A, B)
        if result.shape == (2, 3):
            raise Incorrect("the result is (m, n); row i should hold the similarities of A[i]: shape (n, m) = (3, 2)")
        asserts.array(result, "cosine_matrix(A, B)", shape=(3, 2))
        if np.allclose(result, A @ B.T):
            raise Incorrect("those are dot products; divide each row by its length first, so that only the "
                            "direction counts")
        if np.allclose(result, _cosines(norm_axis=0)(A, B)) or \
                np.allclose(result, (A / np.linalg.norm(A)) @ (B / np.linalg.norm(B)).T):
            raise Incorrect("normalise each ROW (each word vector) to length 1: np.linalg.norm(A, axis=1, "
                            "keepdims=True)")
        if np.allclose(result, np.linalg.norm(A[:, None] - B[None], axis=-1)):
            raise Incorrect("those are Euclidean distances; cosine similarity is u . v / (|u| |v|)")
        asserts.close(result, expected, "cosine_matrix(A, B)")
        return ("one matrix product for all pairs; gensim's most_similar scores every word of the vocabulary the same "
                "way, with its vectors normalised once.")


def _analogy(score, exclude=True, target="b - a + c"):
    def analogy(vectors, a, b, c):
        t = vectors[b] - vectors[a] + vectors[c] if target == "b - a + c" else vectors[b] - vectors[c] + vectors[a]
        scores = {w: score(v, t) for w, v in vectors.items() if not (exclude and w in (a, b, c))}
        return max(scores, key=scores.get)
    return analogy


class Analogy(Problem):
    title = "Solve an analogy by vector arithmetic"
    answer_name = "analogy"
    hints = (
        "a is to b as c is to ?: compute target = b - a + c, then return the word whose vector has the highest "
        "cosine similarity with target, leaving out a, b and c themselves.",
        "Loop over `vectors.items()`, skip a, b, c, and keep the word with the largest "
        "`v @ target / (np.linalg.norm(v) * np.linalg.norm(target))`.",
    )
    solution_code = """
import numpy as np

def analogy(vectors, a, b, c):
    target = vectors[b] - vectors[a] + vectors[c]
    best, best_score = None, -np.inf
    for word, v in vectors.items():
        if word in (a, b, c):
            continue                       # the question's words do not count as answers
        score = v @ target / (np.linalg.norm(v) * np.linalg.norm(target))
        if score > best_score:
            best, best_score = word, score
    return best
"""

    wrong_answers = (
        (_analogy(lambda v, t: v @ t / (np.linalg.norm(v) * np.linalg.norm(t)), exclude=False), "question's words"),
        (_analogy(lambda v, t: v @ t / (np.linalg.norm(v) * np.linalg.norm(t)), target="b - c + a"), "'prince'"),
        (_analogy(lambda v, t: v @ t), "raw dot product"),
        (_analogy(lambda v, t: -np.linalg.norm(v - t)), "Euclidean distance"),
        (lambda vectors, a, b, c: vectors[b] - vectors[a] + vectors[c], "should be a string"),
        (lambda vectors, a, b, c: "queen", "renamed"),
    )

    def check_answer(self, answer):
        result = asserts.text(asserts.call_with(answer, dict(_VECTORS), "man", "king", "woman", names=("vectors",)),
                              "analogy(vectors, a, b, c)")
        if result in ("king", "woman", "man"):
            raise Incorrect(f"you returned {result!r}, one of the question's words: leave a, b and c out of the "
                            "candidates (gensim's most_similar does too)")
        if result == "prince":
            raise Incorrect("'prince' is the nearest word to king - woman + man: the target is b - a + c = "
                            "king - man + woman")
        if result == "monarchy":
            raise Incorrect("'monarchy' wins on the raw dot product only because its vector is long; cosine "
                            "similarity divides by the lengths, so that only the direction counts")
        if result == "duke":
            raise Incorrect("'duke' is the nearest word by Euclidean distance; the analogy uses cosine similarity "
                            "(the angle), which does not care how long the vectors are")
        if result != "queen":
            raise Incorrect(f"man : king :: woman : ? should give 'queen' with these vectors, got {result!r}")
        renamed = {word.upper(): vector for word, vector in _VECTORS.items()}
        other = call(answer, renamed, "MAN", "KING", "WOMAN")
        if other != "QUEEN":
            raise Incorrect(f"with the same vectors renamed (KING, QUEEN...), expected 'QUEEN', got {other!r}: "
                            "work from the vectors you are given, not from fixed words")
        return ("gensim's glove.most_similar(positive=[b, c], negative=[a]) runs a close variant: it normalises a, b "
                "and c to length 1 before adding them.")


def _known_sum(tokens, vectors):
    return np.sum([vectors[t] for t in tokens if t in vectors], axis=0)


class MeanEmbedding(Problem):
    title = "Embed a text, with out-of-vocabulary words"
    answer_name = "mean_embedding"
    hints = (
        "Average the vectors of the tokens that are in `vectors`; skip the others instead of raising KeyError. "
        "If no token is known, return a vector of zeros of length `dim`.",
        "`known = [vectors[t] for t in tokens if t in vectors]`; "
        "`return np.mean(known, axis=0) if known else np.zeros(dim)`",
    )
    solution_code = """
import numpy as np

def mean_embedding(tokens, vectors, dim):
    known = [vectors[t] for t in tokens if t in vectors]      # skip out-of-vocabulary tokens
    return np.mean(known, axis=0) if known else np.zeros(dim)
"""

    wrong_answers = (
        (lambda tokens, vectors, dim: _known_sum(tokens, vectors) / len(tokens), "3 known ones"),
        (lambda tokens, vectors, dim: _known_sum(tokens, vectors), "the sum"),
        (lambda tokens, vectors, dim: np.mean([vectors[t] for t in tokens if t in vectors], axis=0), "np.zeros(dim)"),
        (lambda tokens, vectors, dim: np.mean([vectors[t] for t in tokens], axis=0), "KeyError"),
        (lambda tokens, vectors, dim: [tokens.remove(t) for t in list(tokens) if t not in vectors] and None,
         "changed its input"),
    )

    def check_answer(self, answer):
        tokens = ["king", "zzyzx", "film", "man"]
        result = asserts.array(asserts.call_with(answer, list(tokens), dict(_VECTORS), 4, names=("tokens", "vectors")),
                               "mean_embedding(tokens, vectors, dim)", shape=(4,))
        expected = np.mean([_VECTORS["king"], _VECTORS["film"], _VECTORS["man"]], axis=0)
        if np.allclose(result, expected * 3 / 4):
            raise Incorrect("you divided by all 4 tokens; average over the 3 known ones only")
        if np.allclose(result, expected * 3):
            raise Incorrect("that is the sum; return the mean of the known vectors")
        if not np.allclose(result, expected):
            raise Incorrect(f"expected the mean of the vectors of 'king', 'film', 'man': {expected.round(3).tolist()}")
        with warnings.catch_warnings():  # np.mean of nothing warns; the message below says what to do
            warnings.simplefilter("ignore", RuntimeWarning)
            empty = asserts.array(call(answer, ["zzyzx", "qwerty"], dict(_VECTORS), 4),
                                  "mean_embedding(tokens, vectors, dim) with no known token")
        if empty.shape != (4,) or np.isnan(empty).any() or empty.any():
            raise Incorrect("with no known token, return np.zeros(dim) (not NaN, not an empty array)")
        return None


ANTONYMS = [("good", "bad"), ("hot", "cold"), ("love", "hate"), ("big", "small"), ("happy", "sad"),
            ("rich", "poor"), ("win", "lose"), ("early", "late"), ("strong", "weak"), ("old", "new")]
SYNONYMS = [("good", "great"), ("hot", "warm"), ("love", "adore"), ("big", "large"), ("happy", "glad"),
            ("rich", "wealthy"), ("win", "victory"), ("early", "soon"), ("strong", "powerful"), ("old", "ancient")]
UNRELATED = [("good", "river"), ("hot", "piano"), ("love", "tax"), ("big", "soup"), ("happy", "engine"),
             ("rich", "pencil"), ("win", "cloud"), ("early", "carpet"), ("strong", "violin"), ("old", "banana")]
_PAIRS = {"antonyms": ANTONYMS, "synonyms": SYNONYMS, "unrelated": UNRELATED}


def _pair_scores(score) -> dict:
    """``score(u, v)`` averaged over each list of pairs, on GloVe's 50-d vectors."""
    from course_lib.data import load_glove

    glove = load_glove(top_n=50_000)   # every word of the three lists is among the 50,000 most frequent
    return {name: float(np.mean([score(glove[a], glove[b]) for a, b in pairs])) for name, pairs in _PAIRS.items()}


def _cosine(u, v):
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


class AntonymExperiment(Problem):
    title = "Experiment: are antonyms similar in GloVe?"
    kind = "experiment"
    answer_name = "antonym_report"
    hints = (
        "For each of the three lists (ANTONYMS, SYNONYMS, UNRELATED, imported from course_lib.exercises.ch06), "
        "average glove.similarity(a, b) over its pairs. Then compare the three means: which two are close?",
        "`np.mean([glove.similarity(a, b) for a, b in ANTONYMS])`, the same for the other two lists; the "
        "conclusion is about what 'similar' means for vectors learned from contexts.",
    )
    solution_code = """
import numpy as np

from course_lib.data import load_glove
from course_lib.exercises.ch06 import ANTONYMS, SYNONYMS, UNRELATED

glove = load_glove()
antonym_report = {
    "antonyms": np.mean([glove.similarity(a, b) for a, b in ANTONYMS]),
    "synonyms": np.mean([glove.similarity(a, b) for a, b in SYNONYMS]),
    "unrelated": np.mean([glove.similarity(a, b) for a, b in UNRELATED]),
    "conclusion": "antonyms are as similar as synonyms, far above unrelated pairs: GloVe measures shared "
                  "contexts, not shared meaning, so 'good' and 'bad' sit close together",
}
"""
    wrong_answers = (
        ({"antonyms": 0.71, "synonyms": 0.73, "unrelated": 0.24, "conclusion": "antonyms are less similar"},
         "over ANTONYMS"),
        ({"antonyms": 20.0, "synonyms": 19.0, "unrelated": 6.0, "conclusion": "antonyms score like synonyms"},
         "dot products"),
        ({"antonyms": 0.733, "synonyms": 0.712, "unrelated": 0.242}, "'conclusion'"),
        ({"antonyms": 0.733, "synonyms": 0.712, "unrelated": 0.242, "conclusion": "yes"}, "one line"),
        ([0.733, 0.712, 0.242], "as a dict"),
        # the measured numbers, read the wrong way round
        ({"antonyms": 0.733, "synonyms": 0.712, "unrelated": 0.242,
          "conclusion": "antonyms are dissimilar, as opposite meanings should be"}, "does not fit"),
        ({"antonyms": 0.733, "synonyms": 0.712, "unrelated": 0.242,
          "conclusion": "GloVe puts antonyms far apart, close to unrelated words"}, "does not fit"),
    )

    def check_answer(self, answer):
        report = asserts.findings(answer, "the three mean similarities", tuple(_PAIRS))
        expected = _pair_scores(_cosine)
        if all(report[name] > 1.0 for name in _PAIRS):
            raise Incorrect("cosine similarities lie between -1 and 1; these look like dot products. Use "
                            "glove.similarity(a, b), which divides by the two lengths")
        for name in _PAIRS:
            if not np.isclose(report[name], expected[name], atol=0.005):
                raise Incorrect(f"the mean similarity over {name.upper()} is {report[name]:.3f}, which the recipe "
                                "does not give: GloVe 50-d, cosine similarity, averaged over the group's 10 pairs")
        claim = asserts.states(report["conclusion"], ("dissimilar", "less similar", "not similar", "far apart",
                                               "far from each other", "opposite direction", "negative similarit",
                                               "lower than synonyms", "lower than the synonyms", "close to unrelated",
                                               "like unrelated", "as unrelated", "near unrelated"),
                        about=("antonym", "opposite"))
        if claim:
            raise Incorrect(f"the numbers are right, but what the conclusion says of antonyms ({claim!r}) does not "
                            "fit them: compare the antonyms' mean with the synonyms' and with the unrelated pairs'")
        return ("the course reads it so: antonyms score like synonyms and far above unrelated words. GloVe learns from "
                "the contexts words share, and 'good' and 'bad' share most of theirs; similarity is not synonymy, "
                "which is why chapter 07 trains a classifier on top of the vectors.")


PROBLEMS = [CosineMatrix, Analogy, MeanEmbedding, AntonymExperiment]

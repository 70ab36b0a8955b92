"""Chapter 06 exercises: word embeddings."""

from __future__ import annotations

import warnings

import numpy as np

from course_lib.exercises.core import Incorrect, Problem, call

_VECTORS = {  # in 4-D, king is the nearest word to king - man + woman: the question's words must be left out
    "king": np.array([1.0, 1.0, 0.0, 0.0]),
    "queen": np.array([1.0, 0.0, 1.0, 0.0]),
    "man": np.array([0.0, 0.4, 0.0, 0.0]),
    "woman": np.array([0.0, 0.0, 0.4, 0.0]),
    "prince": np.array([0.6, 1.0, 0.0, 0.8]),
    "film": np.array([0.0, 0.0, 0.0, 1.0]),
}


class CosineSimilarity(Problem):
    title = "Cosine similarity"
    answer_name = "cosine_similarity"
    hints = (
        "cos(u, v) = (u . v) / (|u| |v|): the dot product divided by the product of the two lengths (norms).",
        "`np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))`",
    )
    solution_code = """
import numpy as np

def cosine_similarity(u, v):
    return np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
"""

    def check_answer(self, answer):
        u, v = np.array([3.0, 4.0, 0.0]), np.array([4.0, 3.0, 5.0])
        result = call(answer, u.copy(), v.copy())
        try:
            result = float(result)
        except (TypeError, ValueError):
            raise Incorrect(f"return one number, got {type(result).__name__}") from None
        expected = 24.0 / (5.0 * np.sqrt(50.0))
        if np.isclose(result, 24.0):
            raise Incorrect("that is the dot product; divide it by the two norms |u| |v|")
        if np.isclose(result, 24.0 / 50.0) or np.isclose(result, 24.0 / 25.0):
            raise Incorrect("divide by the product of the two norms, |u| = 5 and |v| = sqrt(50), not a squared norm")
        if np.isclose(result, np.linalg.norm(u - v)):
            raise Incorrect("that is the Euclidean distance; cosine similarity is (u . v) / (|u| |v|)")
        if not np.isclose(result, expected):
            raise Incorrect(f"for u={u.tolist()}, v={v.tolist()} expected {expected:.4f}, got {result:.4f}")
        for w in (np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])):
            if not np.isclose(float(call(answer, w, 2 * w)), 1.0):
                raise Incorrect("a vector and twice itself point the same way: their cosine similarity is 1")
        return "gensim's kv.similarity(w1, w2) computes the same."


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

    def check_answer(self, answer):
        result = call(answer, dict(_VECTORS), "man", "king", "woman")
        if not isinstance(result, str):
            raise Incorrect(f"return one word (str), got {type(result).__name__}")
        if result in ("king", "woman", "man"):
            raise Incorrect(f"you returned {result!r}, one of the question's words: leave a, b and c out of the "
                            "candidates (gensim's most_similar does too)")
        if result == "prince":
            raise Incorrect("'prince' is the nearest word to king - woman + man: the target is b - a + c = "
                            "king - man + woman")
        if result != "queen":
            raise Incorrect(f"man : king :: woman : ? should give 'queen' with these vectors, got {result!r}")
        other = call(answer, dict(_VECTORS), "woman", "queen", "man")
        if other != "king":
            raise Incorrect(f"woman : queen :: man : ? should give 'king', got {other!r}")
        return None


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

    def check_answer(self, answer):
        tokens = ["king", "zzyzx", "film", "man"]
        result = call(answer, list(tokens), dict(_VECTORS), 4)
        result = np.asarray(result, dtype=float)
        expected = np.mean([_VECTORS["king"], _VECTORS["film"], _VECTORS["man"]], axis=0)
        if result.shape != (4,):
            raise Incorrect(f"return one vector of length dim=4, got shape {result.shape}")
        if np.allclose(result, expected * 3 / 4):
            raise Incorrect("you divided by all 4 tokens; average over the 3 known ones only")
        if np.allclose(result, expected * 3):
            raise Incorrect("that is the sum; return the mean of the known vectors")
        if not np.allclose(result, expected):
            raise Incorrect(f"expected the mean of the vectors of 'king', 'film', 'man': {expected.round(3).tolist()}")
        with warnings.catch_warnings():  # np.mean of nothing warns; the message below says what to do
            warnings.simplefilter("ignore", RuntimeWarning)
            empty = np.asarray(call(answer, ["zzyzx", "qwerty"], dict(_VECTORS), 4), dtype=float)
        if empty.shape != (4,) or np.isnan(empty).any() or empty.any():
            raise Incorrect("with no known token, return np.zeros(dim) (not NaN, not an empty array)")
        return None


class OneHot(Problem):
    title = "One-hot vectors"
    answer_name = "my_one_hot"
    hints = (
        "Return a (len(words), len(vocabulary)) array of zeros with a single 1 per row, in the column of the "
        "word's position in `vocabulary`.",
        "`out = np.zeros((len(words), len(vocabulary)))`; `out[i, vocabulary.index(w)] = 1` for each word.",
    )
    solution_code = """
import numpy as np

def my_one_hot(words, vocabulary):
    out = np.zeros((len(words), len(vocabulary)))
    for i, word in enumerate(words):
        out[i, vocabulary.index(word)] = 1.0
    return out
"""

    def check_answer(self, answer):
        vocabulary = ["good", "bad", "movie", "film", "plot"]
        words = ["film", "good", "film"]
        result = np.asarray(call(answer, list(words), list(vocabulary)), dtype=float)
        expected = np.zeros((3, 5))
        expected[[0, 1, 2], [3, 0, 3]] = 1
        if result.shape == (5, 3):
            raise Incorrect("rows are words and columns are the vocabulary: the shape is (3, 5), not (5, 3)")
        if result.shape != (3, 5):
            raise Incorrect(f"expected shape (len(words), len(vocabulary)) = (3, 5), got {result.shape}")
        if np.allclose(result[:, ::-1], expected) or not np.allclose(result.sum(axis=1), 1):
            raise Incorrect("each row has exactly one 1, in the column of the word's index in the vocabulary")
        if not np.allclose(result, expected):
            raise Incorrect(f"expected {expected.astype(int).tolist()}, got {result.astype(int).tolist()}")
        return "note that the two 'film' rows are equal and every other pair is orthogonal (dot product 0)."


PROBLEMS = [OneHot, CosineSimilarity, Analogy, MeanEmbedding]

"""Chapter 07 exercises: the GloVe sentiment pipeline."""

from __future__ import annotations

import numpy as np

from course_lib.exercises.core import Incorrect, Problem, call
from course_lib.sentiment import is_negation

_STOP = frozenset({"the", "a", "is", "this", "it", "was", "no", "nor", "not", "don't", "isn't", "and", "i"})
_TOKENS = ["this", "movie", "is", "not", "good", "and", "it", "was", "n't", "funny", "no", "story", "isn't",
           "great", "i", "liked", "the", "end"]
_EXPECTED = ["movie", "not", "good", "n't", "funny", "no", "story", "isn't", "great", "liked", "end"]



class KeepNegations(Problem):
    title = "Remove stop words, keep the negations"
    answer_name = "remove_stop_words"
    hints = (
        "Keep a token when it is not a stop word, OR when it is a negation: 'no', 'nor', 'not', 'never', "
        "\"n't\" or any word ending in \"n't\" (\"isn't\", \"don't\"). Keep the order of the tokens.",
        "`[t for t in tokens if t not in stop_words or t in {'no', 'nor', 'not', 'never', \"n't\"} "
        "or t.endswith(\"n't\")]`",
    )
    solution_code = """
NEGATIONS = {"no", "nor", "not", "never", "n't"}

def remove_stop_words(tokens, stop_words):
    return [t for t in tokens
            if t not in stop_words or t in NEGATIONS or t.endswith("n't")]
"""

    def check_answer(self, answer):
        result = call(answer, list(_TOKENS), set(_STOP))
        if not isinstance(result, list | tuple) or not all(isinstance(t, str) for t in result):
            raise Incorrect(f"return a list of tokens (str), got {type(result).__name__}")
        result = list(result)
        if result == [t for t in _TOKENS if t not in _STOP]:
            raise Incorrect("that is the source's filter: it removes 'not', 'no' and \"isn't\" with the other "
                            "stop words, and 'not good' becomes 'good'. Keep the negations")
        if result == list(_TOKENS):
            raise Incorrect("nothing was removed: drop the stop words ('this', 'is', 'the'...), keep the negations")
        if sorted(result) == sorted(_EXPECTED) and result != _EXPECTED:
            raise Incorrect("the right tokens in the wrong order: keep the order of the text ('not' before 'good')")
        kept_negations = [t for t in result if is_negation(t)]
        if kept_negations != [t for t in _EXPECTED if is_negation(t)]:
            raise Incorrect(f"negations kept: {kept_negations}; expected all of 'not', \"n't\", 'no', \"isn't\" "
                            "(\"n't\" and words ending in \"n't\" count)")
        if result != _EXPECTED:
            raise Incorrect(f"expected {_EXPECTED}, got {result}")
        return None


class Coverage(Problem):
    title = "How much of the vocabulary GloVe covers"
    answer_name = "my_coverage"
    hints = (
        "A Keras vocabulary starts with two reserved entries, '' (padding) and '[UNK]'. Leave them out, then "
        "count the words that are in `known` and divide by the number of words you looked at.",
        "`words = vocabulary[2:]; return sum(w in known for w in words) / len(words)`",
    )
    solution_code = """
def my_coverage(vocabulary, known):
    words = vocabulary[2:]                    # skip '' (padding) and '[UNK]'
    return sum(w in known for w in words) / len(words)
"""

    def check_answer(self, answer):
        vocabulary = ["", "[UNK]", "movie", "film", "great", "bad", "meh", "actors", "imdb", "blahblah"]
        known = {"movie", "film", "great", "bad", "actors", "the", "a"}
        result = call(answer, list(vocabulary), set(known))
        if isinstance(result, bool) or not isinstance(result, int | float | np.floating | np.integer):
            raise Incorrect(f"return a number between 0 and 1, got {type(result).__name__}")
        if result == 5:
            raise Incorrect("that is the count of known words; return the share: divide by the number of words")
        if np.isclose(result, 5 / 10):
            raise Incorrect("the reserved entries '' and '[UNK]' are counted; they are not words, skip the first two")
        if np.isclose(result, 3 / 8):
            raise Incorrect("that is the share of words WITHOUT a vector; return the share with one")
        if np.isclose(result, 62.5):
            raise Incorrect("return a share between 0 and 1 (0.625), not a percentage")
        if not np.isclose(result, 5 / 8):
            raise Incorrect(f"5 of the 8 words have a vector: expected 0.625, got {result}")
        return None


class EmbeddingMatrix(Problem):
    title = "Fill an embedding matrix from word vectors"
    answer_name = "my_embedding_matrix"
    hints = (
        "Start from np.zeros((len(vocabulary), dim)). Row i belongs to vocabulary[i]. Leave rows 0 and 1 "
        "('' and '[UNK]') and the words without a vector at zero; copy the vector of every other word.",
        "`for i, word in enumerate(vocabulary): if i >= 2 and word in vectors: matrix[i] = vectors[word]`",
    )
    solution_code = """
import numpy as np

def my_embedding_matrix(vocabulary, vectors, dim):
    matrix = np.zeros((len(vocabulary), dim))
    for i, word in enumerate(vocabulary):
        if i >= 2 and word in vectors:           # rows 0 and 1: padding and [UNK]
            matrix[i] = vectors[word]            # words without a vector keep a row of zeros
    return matrix
"""

    def check_answer(self, answer):
        vocabulary = ["", "[UNK]", "movie", "blahblah", "great", "bad"]
        vectors = {"movie": np.array([1.0, 2.0, 3.0]), "great": np.array([0.5, 0.5, -1.0]),
                   "bad": np.array([-0.5, -0.5, 1.0]), "the": np.array([9.0, 9.0, 9.0]),
                   "[UNK]": np.array([7.0, 7.0, 7.0])}
        result = np.asarray(call(answer, list(vocabulary), dict(vectors), 3), dtype=float)
        expected = np.zeros((6, 3))
        expected[2], expected[4], expected[5] = vectors["movie"], vectors["great"], vectors["bad"]
        if result.shape == (4, 3):
            raise Incorrect("the matrix needs one row per vocabulary entry, including '' and '[UNK]' (rows 0 and "
                            "1): shape (6, 3), so that token id i finds its row i")
        if result.shape != (6, 3):
            raise Incorrect(f"expected shape (len(vocabulary), dim) = (6, 3), got {result.shape}")
        if any(np.allclose(result, np.roll(expected, shift, axis=0)) for shift in (-2, -1, 1, 2)):
            raise Incorrect("the rows are shifted: row i must hold the vector of vocabulary[i]")
        if result[:2].any():
            raise Incorrect("rows 0 ('' padding) and 1 ('[UNK]') must stay zero, even if the vectors have "
                            "an entry for them")
        if not np.allclose(result, expected):
            raise Incorrect(f"expected {expected.tolist()}, got {result.tolist()}")
        return "course_lib.embeddings.embedding_matrix does the same, and counts the coverage."


class ConfidentMistakes(Problem):
    title = "The most confident mistakes"
    answer_name = "most_confident_mistakes"
    hints = (
        "A review is a mistake when (p >= 0.5) differs from its label. The model's confidence in its (wrong) "
        "answer is |p - 0.5|. Keep the mistakes, sort them by that confidence, largest first, return k indices.",
        "`wrong = np.flatnonzero((p >= 0.5) != y_true)`; "
        "`return wrong[np.argsort(-np.abs(p[wrong] - 0.5), kind='stable')][:k]`",
    )
    solution_code = """
import numpy as np

def most_confident_mistakes(y_true, p_positive, k):
    y_true, p = np.asarray(y_true), np.asarray(p_positive)
    wrong = np.flatnonzero((p >= 0.5).astype(int) != y_true)
    confidence = np.abs(p[wrong] - 0.5)                  # how sure the model was of its wrong answer
    return wrong[np.argsort(-confidence, kind="stable")][:k]
"""

    def check_answer(self, answer):
        y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0])
        p = np.array([0.9, 0.97, 0.02, 0.1, 0.45, 0.6, 0.99, 0.51])
        # mistakes and |p - 0.5|: 2 (0.48), 1 (0.47), 5 (0.10), 4 (0.05), 7 (0.01)
        expected = [2, 1, 5, 4]
        result = call(answer, y_true.copy(), p.copy(), 4)
        try:
            got = [int(i) for i in np.asarray(result).ravel()]
        except (TypeError, ValueError):
            raise Incorrect(f"return the indices of the reviews (integers), got {result!r}") from None
        if got == [6, 2, 1, 0]:
            raise Incorrect("those are the most confident predictions, right or wrong; keep only the mistakes")
        if got == [1, 5, 7, 4]:
            raise Incorrect("sorting by p ranks only the wrong positives; a review at p=0.02 whose label is 1 is "
                            "a confident mistake too: use the distance |p - 0.5|")
        if got == [7, 4, 5, 1]:
            raise Incorrect("least confident first: sort by |p - 0.5| from largest to smallest")
        if got != expected:
            raise Incorrect(f"for these 8 reviews expected {expected}, got {got}")
        return None


PROBLEMS = [KeepNegations, Coverage, EmbeddingMatrix, ConfidentMistakes]

"""Chapter 07 exercises: the GloVe sentiment pipeline."""

from __future__ import annotations

import functools

import numpy as np

from course_lib.exercises import asserts
from course_lib.exercises.core import Incorrect, Problem
from course_lib.sentiment import NEGATIONS, is_negation

_STOP = frozenset({"the", "a", "is", "this", "it", "was", "no", "nor", "not", "never", "don't", "isn't", "and", "i"})
_TOKENS = ["this", "movie", "is", "not", "good", "and", "it", "was", "n't", "funny", "no", "story", "nor",
           "plot", "isn't", "great", "i", "never", "liked", "the", "end"]
_EXPECTED = ["movie", "not", "good", "n't", "funny", "no", "story", "nor", "plot", "isn't", "great", "never", "liked",
             "end"]


def _keep(tokens, stop, negations=NEGATIONS, contractions=True):
    return [t for t in tokens if t not in stop or t in negations or (contractions and t.endswith("n't"))]


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

    wrong_answers = (
        (lambda tokens, stop: [t for t in tokens if t not in stop], "source's filter"),
        (lambda tokens, stop: list(tokens), "nothing was removed"),
        (lambda tokens, stop: sorted(_keep(tokens, stop)), "wrong order"),
        (lambda tokens, stop: _keep(tokens, stop, negations={"no", "not"}, contractions=False), "negations kept"),
        (lambda tokens, stop: _keep(tokens, stop, negations={"no", "nor", "not", "n't"}), "'never'"),
        (lambda tokens, stop: _keep(tokens, stop, negations={"no", "not", "never", "n't"}), "'nor'"),
        (lambda tokens, stop: stop.difference_update(NEGATIONS) or _keep(tokens, stop), "changed its input"),
    )

    def check_answer(self, answer):
        result = asserts.tokens(asserts.call_with(answer, list(_TOKENS), set(_STOP), names=("tokens", "stop_words")),
                                "remove_stop_words(tokens, stop_words)")
        if result == [t for t in _TOKENS if t not in _STOP]:
            raise Incorrect("that is the source's filter: it removes 'not', 'no' and \"isn't\" with the other "
                            "stop words, and 'not good' becomes 'good'. Keep the negations")
        if result == list(_TOKENS):
            raise Incorrect("nothing was removed: drop the stop words ('this', 'is', 'the'...), keep the negations")
        if sorted(result) == sorted(_EXPECTED) and result != _EXPECTED:
            raise Incorrect("the right tokens in the wrong order: keep the order of the text ('not' before 'good')")
        kept_negations = [t for t in result if is_negation(t)]
        if kept_negations != [t for t in _EXPECTED if is_negation(t)]:
            raise Incorrect(f"negations kept: {kept_negations}; expected all of 'not', \"n't\", 'no', 'nor', "
                            "\"isn't\", 'never' (\"n't\" and words ending in \"n't\" count)")
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

    wrong_answers = (
        (lambda vocab, known: sum(w in known for w in vocab[2:]), "the count"),
        (lambda vocab, known: sum(w in known for w in vocab) / len(vocab), "reserved entries"),
        (lambda vocab, known: sum(w not in known for w in vocab[2:]) / len(vocab[2:]), "WITHOUT"),
        (lambda vocab, known: 100 * sum(w in known for w in vocab[2:]) / len(vocab[2:]), "percentage"),
        (lambda vocab, known: f"{sum(w in known for w in vocab[2:]) / len(vocab[2:]):.1%}", "one number"),
    )

    def check_answer(self, answer):
        vocabulary = ["", "[UNK]", "movie", "film", "great", "bad", "meh", "actors", "imdb", "blahblah"]
        known = {"movie", "film", "great", "bad", "actors", "the", "a"}
        result = asserts.number(asserts.call_with(answer, list(vocabulary), set(known), names=("vocabulary", "known")),
                                "my_coverage(vocabulary, known)")
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


def _matrix(offset=0, reserved=2):
    def embedding_matrix(vocabulary, vectors, dim):
        matrix = np.zeros((len(vocabulary) - offset, dim))
        for i, word in enumerate(vocabulary):
            if i >= reserved and word in vectors:
                matrix[i - offset] = vectors[word]
        return matrix
    return embedding_matrix


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

    wrong_answers = (
        (_matrix(offset=2), "including '' and '[UNK]'"), (_matrix(reserved=0), "must stay zero"),
        (lambda vocab, vectors, dim: np.array([vectors[w] for w in vocab[2:]]), "KeyError"),
        (lambda vocab, vectors, dim: np.roll(_matrix()(vocab, vectors, dim), 1, axis=0), "shifted"),
        (lambda vocab, vectors, dim: {w: vectors.get(w) for w in vocab}, "should be an array"),
    )

    def check_answer(self, answer):
        vocabulary = ["", "[UNK]", "movie", "blahblah", "great", "bad"]
        vectors = {"movie": np.array([1.0, 2.0, 3.0]), "great": np.array([0.5, 0.5, -1.0]),
                   "bad": np.array([-0.5, -0.5, 1.0]), "the": np.array([9.0, 9.0, 9.0]),
                   "[UNK]": np.array([7.0, 7.0, 7.0])}
        result = asserts.array(asserts.call_with(answer, list(vocabulary), dict(vectors), 3, names=("vocabulary",)),
                               "my_embedding_matrix(vocabulary, vectors, dim)")
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


def _errors(order=lambda p: -p, swap=False, merged=False):
    def confident_errors(y_true, p_positive, k):
        y, p = np.asarray(y_true), np.asarray(p_positive)
        false_pos = np.flatnonzero((p >= 0.5) & (y == 0))
        false_neg = np.flatnonzero((p < 0.5) & (y == 1))
        fp = false_pos[np.argsort(order(p[false_pos]), kind="stable")][:k]
        fn = false_neg[np.argsort(-order(p[false_neg]), kind="stable")][:k]
        if merged:
            wrong = np.concatenate([false_pos, false_neg])
            return wrong[np.argsort(-np.abs(p[wrong] - 0.5), kind="stable")][:k]
        return (fn, fp) if swap else (fp, fn)
    return confident_errors


class ConfidentErrors(Problem):
    title = "The most confident false positives and false negatives"
    answer_name = "confident_errors"
    hints = (
        "A false positive has label 0 and p >= 0.5; the most confident ones have the HIGHEST p. A false negative "
        "has label 1 and p < 0.5; the most confident ones have the LOWEST p. Return two index arrays, k each at "
        "most: (false_positives, false_negatives).",
        "`fp = np.flatnonzero((p >= 0.5) & (y_true == 0))`; `fp = fp[np.argsort(-p[fp], kind='stable')][:k]`; "
        "the same for fn with `np.argsort(p[fn], kind='stable')`.",
    )
    solution_code = """
import numpy as np

def confident_errors(y_true, p_positive, k):
    y, p = np.asarray(y_true), np.asarray(p_positive)
    fp = np.flatnonzero((p >= 0.5) & (y == 0))       # predicted positive, truly negative
    fn = np.flatnonzero((p < 0.5) & (y == 1))        # predicted negative, truly positive
    fp = fp[np.argsort(-p[fp], kind="stable")][:k]   # highest P(positive) first
    fn = fn[np.argsort(p[fn], kind="stable")][:k]    # lowest P(positive) first
    return fp, fn
"""
    wrong_answers = (
        (_errors(swap=True), "swapped"),
        (_errors(order=lambda p: p), "LEAST confident"),
        (_errors(merged=True), "2 things"),
        (lambda y, p, k: (np.flatnonzero(p >= 0.5)[:k], np.flatnonzero(p < 0.5)[:k]), "mistakes only"),
        (lambda y, p, k: tuple(p[i] for i in _errors()(y, p, k)), "should hold integers"),
    )

    def check_answer(self, answer):
        y_true = np.array([1, 0, 1, 0, 1, 0, 1, 0, 0, 1])
        p = np.array([0.9, 0.97, 0.02, 0.1, 0.45, 0.6, 0.99, 0.51, 0.8, 0.3])
        # false positives (label 0, p >= 0.5): 1 (0.97), 8 (0.8), 5 (0.6), 7 (0.51)
        # false negatives (label 1, p < 0.5): 2 (0.02), 9 (0.3), 4 (0.45)
        result = asserts.parts(asserts.call_with(answer, y_true, p, 3, names=("y_true", "p_positive")),
                               "confident_errors(y_true, p_positive, k)", ("false_positives", "false_negatives"))
        fp, fn = ([int(i) for i in asserts.array(r, name, dtype="int").ravel()]
                  for r, name in zip(result, ("the false positives", "the false negatives"), strict=True))
        if (fp, fn) == ([2, 9, 4], [1, 8, 5]):
            raise Incorrect("false positives and false negatives are swapped: a false positive is predicted "
                            "positive (p >= 0.5) but labelled 0")
        if (fp, fn) == ([7, 5, 8], [4, 9, 2]):
            raise Incorrect("LEAST confident first: false positives from the highest p down, false negatives from "
                            "the lowest p up")
        if any(y_true[i] == int(p[i] >= 0.5) for i in fp + fn):
            raise Incorrect("some of these are right predictions; keep the mistakes only")
        if (fp, fn) != ([1, 8, 5], [2, 9, 4]):
            raise Incorrect(f"for these 10 reviews and k=3 expected ([1, 8, 5], [2, 9, 4]), got ({fp}, {fn})")
        return "print the texts of each list to read what pushes the model wrong in each direction."



def _tfidf_logreg(max_n: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, max_n),
                                 min_df=2, sublinear_tf=True)
    return vectorizer, LogisticRegression(C=4.0, max_iter=2000)


@functools.cache
def _bigram_accuracies() -> dict:
    """Accuracy on the Rotten Tomatoes validation sentences that contain a negation, words vs words and word pairs.

    The validation split, not the test split: a learner who retries until the check passes must not be tuning on
    the test sentences."""
    from course_lib import sentiment
    from course_lib.data import load_rotten_tomatoes

    (train, y_train), (val, y_val), (test, y_test) = load_rotten_tomatoes()
    train_tokens, val_tokens = sentiment.preprocess_texts(train), sentiment.preprocess_texts(val)
    test_tokens = sentiment.preprocess_texts(test)  # only to recognise an answer scored on the test split
    accuracies = {}
    for name, max_n in (("words", 1), ("words_and_pairs", 2)):
        vectorizer, classifier = _tfidf_logreg(max_n)
        classifier.fit(vectorizer.fit_transform(train_tokens), y_train)
        for split, tokens, labels in (("validation", val_tokens, y_val), ("test", test_tokens, y_test)):
            negated = np.array([any(is_negation(w) for w in text.split()) for text in tokens])
            right = classifier.predict(vectorizer.transform(tokens)) == labels
            key = name if split == "validation" else f"{name} (test)"
            accuracies[key] = float(right[negated].mean())
            if split == "validation":
                accuracies[name + " (all)"] = float(right.mean())
    return accuracies


class BigramValidationExperiment(Problem):
    title = "Experiment: do word pairs ('not good') help on negated sentences?"
    kind = "experiment"
    answer_name = "bigram_report"
    hints = (
        "Train section 3's TF-IDF + logistic regression twice on the Rotten Tomatoes training sentences "
        "(preprocessed with sentiment.preprocess_texts, negations kept): ngram_range=(1, 1), then (1, 2). Score "
        "each on the VALIDATION sentences that contain a negation (has_negation) only.",
        "`tfidf_logreg` fixes ngram_range=(1, 2); copy it with an ngram_range argument. The accuracy on negated "
        "sentences is `(predicted == labels)[has_negation(val_tokens)].mean()`.",
    )
    solution_code = """
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from course_lib import sentiment
from course_lib.data import load_rotten_tomatoes

(train, y_train), (val, y_val), _ = load_rotten_tomatoes()      # the test sentences stay untouched
train_tokens, val_tokens = sentiment.preprocess_texts(train), sentiment.preprocess_texts(val)
negated = np.array([any(sentiment.is_negation(w) for w in text.split()) for text in val_tokens])

accuracy = {}
for name, ngrams in (("words", (1, 1)), ("words_and_pairs", (1, 2))):
    vectorizer = TfidfVectorizer(tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=ngrams,
                                 min_df=2, sublinear_tf=True)
    classifier = LogisticRegression(C=4.0, max_iter=2000).fit(vectorizer.fit_transform(train_tokens), y_train)
    right = classifier.predict(vectorizer.transform(val_tokens)) == y_val
    accuracy[name] = right[negated].mean()

bigram_report = {
    **accuracy,
    "conclusion": "on the validation split word pairs got a few more of the 184 negated sentences right; one "
                  "split of a couple of hundred sentences, so repeat it on other splits before trusting it",
}
"""
    wrong_answers = (
        ({"words": 0.695, "words_and_pairs": 0.712, "conclusion": "pairs help a little on this split"},
         "ALL the validation sentences"),
        ({"words": 0.658, "words_and_pairs": 0.609, "conclusion": "pairs do not help on this split"},
         "swapped"),
        ({"words": 60.9, "words_and_pairs": 65.8, "conclusion": "pairs help on this split"}, "share"),
        ({"words": 0.609, "words_and_pairs": 0.658}, "'conclusion'"),
        ({"words": 0.609, "words_and_pairs": ..., "conclusion": "pairs help a little here"}, "should be one number"),
        ({"words": 0.728, "words_and_pairs": 0.720, "conclusion": "pairs do not help on this split"},
         "TEST sentences"),
        # the measured numbers, read the wrong way round
        ({"words": 0.609, "words_and_pairs": 0.658, "conclusion": "word pairs do not help on negated sentences"},
         "does not fit"),
        ({"words": 0.609, "words_and_pairs": 0.658, "conclusion": "adding bigrams makes no difference here"},
         "does not fit"),
    )

    def check_answer(self, answer):
        report = asserts.findings(answer, "the two accuracies", ("words", "words_and_pairs"))
        if report["words"] > 1 or report["words_and_pairs"] > 1:
            raise Incorrect("report accuracies as shares between 0 and 1, not percentages")
        expected = _bigram_accuracies()
        got = (report["words"], report["words_and_pairs"])
        if np.allclose(got, (expected["words (all)"], expected["words_and_pairs (all)"]), atol=0.002):
            raise Incorrect("those are the accuracies on ALL the validation sentences; the question is about the "
                            "ones that contain a negation (has_negation)")
        if np.allclose(got, (expected["words (test)"], expected["words_and_pairs (test)"]), atol=0.002):
            raise Incorrect("those are the accuracies on the negated TEST sentences: score on the validation split "
                            "(load_rotten_tomatoes()'s second part); the test sentences give a final score, and "
                            "choose nothing")
        if np.allclose(got, (expected["words_and_pairs"], expected["words"]), atol=0.002) and \
                not np.isclose(expected["words"], expected["words_and_pairs"], atol=0.002):
            raise Incorrect("the two numbers are swapped: 'words' is ngram_range=(1, 1), 'words_and_pairs' (1, 2)")
        for name in ("words", "words_and_pairs"):
            if not np.isclose(report[name], expected[name], atol=0.002):
                raise Incorrect(f"{name!r} is {report[name]:.3f}, which the recipe of the hints does not give: same "
                                "preprocessing (negations kept), same vectorizer settings, "
                                "scored on the negated validation sentences only")
        if expected["words_and_pairs"] > expected["words"] + 0.002:
            claim = asserts.states(report["conclusion"], ("not help", "no help", "hurt", "no better", "no difference",
                                                   "no effect", "no improvement", "not improve", "no gain",
                                                   "pairs are worse", "pairs do worse", "pairs did worse",
                                                   "pairs score lower", "pairs scored lower", "pairs are lower"),
                            about=("pair", "bigram", "(1, 2)", "n-gram", "ngram"))
            if claim:
                raise Incorrect(f"the numbers are right, but the conclusion says {claim!r} of the word pairs, which "
                                "does not fit them: compare 'words' with 'words_and_pairs', and say how much one "
                                "split of this size can show")
        return ("the solution reads it as one split's outcome: a gap of a few sentences out of a couple of hundred can "
                "come from chance (section 3 repeats its comparison over five splits for that reason).")


PROBLEMS = [KeepNegations, Coverage, EmbeddingMatrix, ConfidentErrors, BigramValidationExperiment]

"""course_lib.ngram: Kneser-Ney probabilities against NLTK's implementation, proper distributions, bits per char."""

import math

import numpy as np
import pytest
from nltk.lm import KneserNeyInterpolated
from nltk.util import everygrams

from course_lib.ngram import ALPHABET, KneserNeyLM, to_alphabet

TEXT = ("the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat by the log. "
        "then the cat ran, and the dog ran after it; the mat and the log stayed.")
CONTEXTS = ["", "t", "th", " th", "e c", "og.", "zzz", " a ", "xq", "the ", "n the"]


def _nltk_model(order, discount):
    model = KneserNeyInterpolated(order, discount=discount)
    model.fit([list(everygrams(list(TEXT), max_len=order))], vocabulary_text=list(TEXT))
    return model


@pytest.mark.parametrize("order", [2, 3, 5])
@pytest.mark.parametrize("discount", [0.1, 0.75])
def test_probabilities_equal_nltk_kneser_ney(order, discount):
    ours = KneserNeyLM(order, discount).fit(TEXT)
    theirs = _nltk_model(order, discount)
    compared = 0
    for context in CONTEXTS:
        kept = context[len(context) - order + 1:] if order > 1 else ""
        for char in ours.vocabulary:
            try:
                expected = theirs.unmasked_score(char, tuple(kept))
            except ZeroDivisionError:  # NLTK divides by zero for a context seen only at the text's start
                continue
            assert ours.prob(char, context) == pytest.approx(expected, abs=1e-12), (context, char)
            compared += 1
    assert compared >= len(CONTEXTS) * len(ours.vocabulary) - 2 * len(ours.vocabulary)


def test_order_1_is_the_relative_frequency():
    # (NLTK's Kneser-Ney needs bigram counts even at order 1, so this order is checked by counting)
    model = KneserNeyLM(1).fit(TEXT)
    for char in "t .;":
        assert model.prob(char, "anything") == pytest.approx(TEXT.count(char) / len(TEXT))


@pytest.mark.parametrize("order", [1, 2, 4])
def test_every_context_gives_a_distribution(order):
    model = KneserNeyLM(order).fit(TEXT)
    for context in CONTEXTS:
        p = model.distribution(context)
        assert p.shape == (len(model.vocabulary),)
        assert np.all(p > 0) or order == 1
        assert p.sum() == pytest.approx(1.0, abs=1e-12)


def test_a_longer_context_predicts_better_on_text_it_has_seen():
    bits = [KneserNeyLM(order).fit(TEXT).bits_per_char(TEXT[:60]) for order in (1, 2, 3, 4)]
    assert bits == sorted(bits, reverse=True), bits
    # the unigram model's bits are the cross-entropy of the continuation unigram, summed by hand
    model = KneserNeyLM(1).fit(TEXT)
    by_hand = -sum(math.log2(model.prob(char)) for char in TEXT[:60]) / 60
    assert bits[0] == pytest.approx(by_hand)


def test_bits_per_char_of_a_uniform_model():
    # four characters, equally frequent: a unigram model spends log2(4) = 2 bits on each
    text = "abcd" * 50
    model = KneserNeyLM(1).fit(text)
    assert model.bits_per_char("abcd") == pytest.approx(2.0)  # four equally likely characters: 2 bits


def test_errors_say_what_to_do():
    with pytest.raises(ValueError, match="order must be an integer >= 1"):
        KneserNeyLM(0)
    with pytest.raises(ValueError, match="discount must be between 0 and 1"):
        KneserNeyLM(3, discount=1.5)
    with pytest.raises(RuntimeError, match="call fit"):
        KneserNeyLM(3).bits_per_char("abc")
    model = KneserNeyLM(3).fit(TEXT)
    with pytest.raises(ValueError, match=r"never seen in training: \['Z'\].*to_alphabet"):
        model.bits_per_char("the Zebra")
    with pytest.raises(ValueError, match="never occurs in the training text"):
        model.prob("Z", "th")
    with pytest.raises(ValueError, match="at least 3 characters"):
        KneserNeyLM(3).fit("ab")


def test_to_alphabet_strips_accents_and_drops_the_rest():
    assert to_alphabet("Café\tnoir\u2014 très\nbien \x96!") == "Cafe noir tres bien !"
    assert set(to_alphabet("".join(map(chr, range(0x2000))))) <= set(ALPHABET)
    assert len(ALPHABET) == 95 and ALPHABET[0] == "0" and " " in ALPHABET
    assert to_alphabet("abcABC", alphabet="abc ") == "abc"


def test_generation_follows_the_distribution_and_the_seed():
    model = KneserNeyLM(3).fit(TEXT)
    first = model.generate("the ", 200, seed=1)
    assert len(first) == 200 and set(first) <= set(model.vocabulary)
    assert model.generate("the ", 200, seed=1) == first
    assert model.generate("the ", 200, seed=2) != first
    # a low temperature approaches the most likely character at every step
    greedy = ""
    for _ in range(30):
        greedy += model.vocabulary[int(np.argmax(model.distribution("the " + greedy)))]
    assert model.generate("the ", 30, temperature=0.01, seed=3) == greedy
    # at temperature 1 a draw follows the model's own distribution: 2,000 one-character draws after "e c"
    p = model.distribution("e c")
    drawn = [model.generate("the c", 1, seed=s)[0] for s in range(2000)]
    observed = np.array([drawn.count(c) for c in model.vocabulary]) / len(drawn)
    np.testing.assert_allclose(observed, p, atol=0.03)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        model.generate("the", 5, temperature=0)


def test_distinct_n_and_repeated_share():
    from course_lib.ngram import distinct_n, repeated_share

    assert distinct_n("abcdef", 2) == 1.0 and repeated_share("abcdef", 2) == 0.0
    loop = "ab" * 10                                  # 19 bigrams, 2 different, 17 seen before
    assert distinct_n(loop, 2) == pytest.approx(2 / 19)
    assert repeated_share(loop, 2) == pytest.approx(17 / 19)
    words = "the film was good and the film was long".split()
    assert distinct_n(words, 2) == pytest.approx(6 / 8)   # ("the", "film") and ("film", "was") come twice
    assert repeated_share(words, 3) == pytest.approx(1 / 7)
    with pytest.raises(ValueError, match="at least n = 4 tokens"):
        distinct_n("abc", 4)
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        repeated_share("abc", 0)

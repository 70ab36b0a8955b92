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

"""Character language models by counting: an n-gram model with interpolated Kneser-Ney smoothing.

Chapter 12's baseline. Text is first brought to one alphabet (``to_alphabet``) so that every model of the chapter
predicts the same characters, and models are compared in bits per character, a unit that does not depend on how a
model splits text into tokens.

The smoothing follows NLTK's ``nltk.lm.KneserNeyInterpolated`` (the tests check equal probabilities on a small
text), counted with dictionaries so that a 5-gram model of a few million characters takes seconds:

    p(w | h) = max(c(h w) - D, 0) / c(h ·)  +  D · N(h ·) / c(h ·) · p(w | h')

where h' is h without its first character, c counts n-grams at the highest order and *continuation counts*
(how many different characters precede ``h w``) at lower orders, N(h ·) is the number of different characters
seen after h, and the lowest order is the continuation unigram (at ``order=1``, the relative frequency).
A context never seen passes straight to h'.

Two statistics of generated text, for any sequence of tokens (characters, words, token ids): ``distinct_n``, the
share of its n-grams that are different, and ``repeated_share``, the share of its n-grams that already occurred
earlier in it.
"""

from __future__ import annotations

import math
import string
import unicodedata
from collections import Counter

import numpy as np

ALPHABET = string.printable[:95]  # the 95 printable ASCII characters: digits, letters, punctuation, space


def to_alphabet(text: str, alphabet: str = ALPHABET) -> str:
    """Return ``text`` with accents removed (``é`` -> ``e``), other whitespace as spaces, and every character
    outside ``alphabet`` dropped.

    Args:
        text: any string.
        alphabet: the characters to keep (default: printable ASCII).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    keep = set(alphabet)
    out = []
    for char in decomposed:
        if char in keep:
            out.append(char)
        elif char.isspace() and " " in keep:
            out.append(" ")
    return "".join(out)


class KneserNeyLM:
    """A character n-gram language model with interpolated Kneser-Ney smoothing.

    Args:
        order: n, the length of the longest n-gram counted (the context is ``order - 1`` characters).
        discount: D, subtracted from every count, in (0, 1).

    Use ``fit(text)``, then ``prob(char, context)``, ``distribution(context)`` (an array over ``vocabulary``)
    or ``bits_per_char(text)``.
    """

    def __init__(self, order: int = 5, discount: float = 0.75):
        if not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an integer >= 1 (1 = unigram), got {order!r}")
        if not 0 < discount < 1:
            raise ValueError(f"discount must be between 0 and 1 (0.75 is usual), got {discount!r}")
        self.order = order
        self.discount = discount
        self.vocabulary: str = ""

    def fit(self, text: str) -> KneserNeyLM:
        """Count every n-gram of ``text`` up to ``order`` characters. Returns the model."""
        if not isinstance(text, str) or len(text) < self.order:
            raise ValueError(f"fit() needs a string of at least {self.order} characters")
        n = self.order
        counts = [Counter()] + [Counter(text[i:i + k] for i in range(len(text) - k + 1)) for k in range(1, n + 1)]
        self.vocabulary = "".join(sorted(counts[1]))
        # the count each order's formula uses: raw counts at the top, continuation counts below
        self._num: list[dict[str, int]] = [{} for _ in range(n + 1)]
        self._num[n] = dict(counts[n])
        for k in range(1, n):
            continuation = Counter(gram[1:] for gram in counts[k + 1])
            self._num[k] = dict(continuation)
        # per context: the total of those counts, and how many different characters follow it
        self._total: list[dict[str, int]] = [{} for _ in range(n + 1)]
        self._types: list[dict[str, int]] = [{} for _ in range(n + 1)]
        for k in range(1, n + 1):
            total, types = Counter(), Counter()
            for gram, count in self._num[k].items():
                total[gram[:-1]] += count
            for gram in counts[k]:
                types[gram[:-1]] += 1
            self._total[k], self._types[k] = dict(total), dict(types)
        return self

    def _check_fitted(self) -> None:
        if not self.vocabulary:
            raise RuntimeError("the model has not been fitted: call fit(text) first")

    def prob(self, char: str, context: str = "") -> float:
        """p(char | the last ``order - 1`` characters of context)."""
        self._check_fitted()
        if char not in self.vocabulary:
            raise ValueError(f"{char!r} never occurs in the training text; map text with to_alphabet() first")
        context = context[len(context) - self.order + 1:] if self.order > 1 else ""
        return self._prob(char, context)

    def _prob(self, char: str, context: str) -> float:
        k = len(context) + 1
        if k == 1:
            return self._num[1].get(char, 0) / self._total[1][""]
        types = self._types[k].get(context, 0)
        total = self._total[k].get(context, 0)
        if types == 0 or total == 0:
            return self._prob(char, context[1:])
        alpha = max(self._num[k].get(context + char, 0) - self.discount, 0.0) / total
        gamma = self.discount * types / total
        return alpha + gamma * self._prob(char, context[1:])

    def distribution(self, context: str = "") -> np.ndarray:
        """p(c | context) for every character c of ``vocabulary``: float64 array of shape (len(vocabulary),)."""
        self._check_fitted()
        return np.array([self.prob(char, context) for char in self.vocabulary])

    def generate(self, prompt: str, length: int, temperature: float = 1.0, seed: int = 0) -> str:
        """``length`` characters drawn one at a time after ``prompt`` (which is not returned), each from
        ``distribution(the text so far)`` raised to the power ``1 / temperature`` and renormalised, the same as
        dividing log-probabilities by the temperature before a softmax. Draws with ``np.random.default_rng(seed)``.
        """
        self._check_fitted()
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise ValueError(f"length must be a non-negative int, got {length!r}")
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0 (1 keeps the model's distribution), got {temperature!r}")
        rng = np.random.default_rng(seed)
        text = prompt
        for _ in range(length):
            log_p = np.log(self.distribution(text)) / temperature
            p = np.exp(log_p - log_p.max())
            text += self.vocabulary[rng.choice(len(p), p=p / p.sum())]
        return text[len(prompt):]

    def bits_per_char(self, text: str) -> float:
        """Average -log2 p(text[i] | the characters before it in ``text``), in bits per character."""
        self._check_fitted()
        unknown = sorted(set(text) - set(self.vocabulary))
        if unknown:
            raise ValueError(f"characters never seen in training: {unknown[:10]}; map both texts with "
                             "to_alphabet() and fit on more text")
        if not text:
            raise ValueError("bits_per_char() needs a non-empty text")
        width = self.order - 1
        bits = sum(-math.log2(self._prob(char, text[max(0, i - width):i])) for i, char in enumerate(text))
        return bits / len(text)


def _ngrams(tokens, n: int) -> list[tuple]:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    tokens = list(tokens)
    if len(tokens) < n:
        raise ValueError(f"need at least n = {n} tokens, got {len(tokens)}")
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def distinct_n(tokens, n: int) -> float:
    """Distinct-n: the number of different n-grams of ``tokens`` (a sequence of characters, words or ids) divided
    by the number of n-grams, in (0, 1]. Low values mean the text repeats itself."""
    grams = _ngrams(tokens, n)
    return len(set(grams)) / len(grams)


def repeated_share(tokens, n: int) -> float:
    """The share of the n-grams of ``tokens`` that already occurred earlier in ``tokens``, in [0, 1):
    0 for a text that never repeats an n-gram, near 1 for a loop."""
    seen, repeated = set(), 0
    grams = _ngrams(tokens, n)
    for gram in grams:
        repeated += gram in seen
        seen.add(gram)
    return repeated / len(grams)

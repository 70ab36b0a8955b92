"""Word vectors for a model: an embedding matrix for a Keras vocabulary, texts as vectors, analogy accuracy.

The vectors themselves come from ``course_lib.data.load_glove()`` (the bundled GloVe 6B 50-d),
``course_lib.data.load_glove_file(path)`` (a GloVe text file you downloaded) or a gensim ``Word2Vec`` you
trained: anything with gensim's ``KeyedVectors`` interface (``kv.key_to_index``, ``kv[word]``,
``kv.vector_size``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Coverage:
    """How much of a vocabulary the word vectors know.

    Attributes:
        found: words of the vocabulary that have a vector (the reserved padding/OOV slots excluded).
        missing: words without one, in vocabulary order (most frequent first for a Keras vocabulary).
        token_share: the share of running tokens that have a vector, when token counts were given; else None.
    """

    found: int
    missing: list[str] = field(default_factory=list)
    token_share: float | None = None

    @property
    def total(self) -> int:
        return self.found + len(self.missing)

    @property
    def share(self) -> float:
        """Share of vocabulary *types* (distinct words) with a vector, in 0..1."""
        return self.found / self.total if self.total else 0.0

    def __str__(self) -> str:
        text = f"{self.found:,} of {self.total:,} words have a vector ({self.share:.1%})"
        if self.token_share is not None:
            text += f"; they make up {self.token_share:.1%} of the running tokens"
        return text


def _check_vectors(kv) -> None:
    if not (hasattr(kv, "key_to_index") and hasattr(kv, "vector_size")):
        raise TypeError(
            f"expected gensim KeyedVectors (e.g. course_lib.data.load_glove() or a Word2Vec model's .wv), "
            f"got {type(kv).__name__}"
        )


def embedding_matrix(vocabulary: Sequence[str], kv, *, reserved: int = 2, counts: Mapping[str, int] | None = None,
                     oov_scale: float = 0.0, seed: int = 0) -> tuple[np.ndarray, Coverage]:
    """The weight matrix of a Keras ``Embedding`` whose row ``i`` is the vector of ``vocabulary[i]``.

    Args:
        vocabulary: the words in index order, e.g. ``TextVectorization.get_vocabulary()``, whose first two
            entries are ``""`` (padding, index 0) and ``"[UNK]"`` (out of vocabulary, index 1).
        kv: gensim ``KeyedVectors`` (GloVe, Word2Vec...).
        reserved: how many leading entries are special slots (rows of zeros, not counted in the coverage).
        counts: optional ``{word: number of occurrences}`` of the training text, to report the token share.
        oov_scale: rows of words without a vector are zeros (the default) or, if ``oov_scale > 0``, drawn
            from a normal distribution with this standard deviation (seeded with ``seed``).
        seed: seed of those random rows.

    Returns:
        ``(matrix, coverage)``: float32 ``(len(vocabulary), kv.vector_size)`` and a ``Coverage``.
    """
    _check_vectors(kv)
    if isinstance(vocabulary, str):
        raise TypeError("vocabulary must be a sequence of words (e.g. vectorizer.get_vocabulary()), not one string")
    if not 0 <= reserved <= len(vocabulary):
        raise ValueError(f"reserved must be between 0 and len(vocabulary)={len(vocabulary)}, got {reserved}")
    if oov_scale < 0:
        raise ValueError(f"oov_scale must be >= 0, got {oov_scale}")
    rng = np.random.default_rng(seed)
    matrix = np.zeros((len(vocabulary), kv.vector_size), dtype=np.float32)
    found, missing = 0, []
    for index, word in enumerate(vocabulary):
        word = str(word)  # TextVectorization.get_vocabulary() gives NumPy strings
        if index < reserved:
            continue
        if word in kv.key_to_index:
            matrix[index] = kv[word]
            found += 1
        else:
            missing.append(word)
            if oov_scale:
                matrix[index] = rng.normal(0.0, oov_scale, kv.vector_size)
    token_share = None
    if counts is not None:
        words = [str(w) for w in vocabulary][reserved:]
        total = sum(counts.get(w, 0) for w in words)
        known = sum(counts.get(w, 0) for w in words if w in kv.key_to_index)
        token_share = known / total if total else 0.0
    return matrix, Coverage(found, missing, token_share)


def embed_tokens(tokens: Iterable[str], kv) -> tuple[np.ndarray, list[str]]:
    """The vectors of the tokens that ``kv`` knows, and the tokens it does not (the fixed ``embed_text``).

    Tokens are looked up as given, then lower-cased (GloVe is lower-case). Unknown tokens are skipped and
    returned, instead of raising ``KeyError``.

    Returns:
        ``(vectors, oov)``: float32 ``(n_known, kv.vector_size)`` and the list of unknown tokens, in order.
    """
    _check_vectors(kv)
    if isinstance(tokens, str):
        raise TypeError("tokens must be a list of words; tokenise the text first (e.g. nltk.word_tokenize(text))")
    vectors, oov = [], []
    for token in tokens:
        key = token if token in kv.key_to_index else token.lower()
        if key in kv.key_to_index:
            vectors.append(kv[key])
        else:
            oov.append(token)
    if not vectors:
        return np.zeros((0, kv.vector_size), dtype=np.float32), oov
    return np.asarray(vectors, dtype=np.float32), oov


def analogy_accuracy(kv, sections: Mapping[str, Sequence[tuple[str, str, str, str]]]) -> dict[str, tuple[int, int]]:
    """Accuracy on analogy questions ``a : b :: c : d`` ("man : king :: woman : queen"), via gensim.

    A question counts as correct when ``d`` is the nearest word to ``b - a + c`` other than ``a, b, c``
    (gensim's ``evaluate_word_analogies``, searching the whole vocabulary). Questions with a word that ``kv``
    does not know are skipped.

    Args:
        kv: gensim ``KeyedVectors``.
        sections: ``{section name: [(a, b, c, d), ...]}``; words lower-case.

    Returns:
        ``{section: (correct, asked)}`` plus ``"total"``; ``asked`` excludes skipped questions.
    """
    _check_vectors(kv)
    lines = []
    for name, questions in sections.items():
        lines.append(f": {name}")
        for question in questions:
            if len(question) != 4 or not all(isinstance(w, str) and w.strip() for w in question):
                raise ValueError(f"section {name!r}: each question is four words (a, b, c, d), got {question!r}")
            lines.append(" ".join(question))
    handle, path = tempfile.mkstemp(suffix=".txt", prefix="analogies-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        _, results = kv.evaluate_word_analogies(path, restrict_vocab=len(kv.key_to_index))
    finally:
        os.remove(path)
    return {r["section"].replace("Total accuracy", "total"):
            (len(r["correct"]), len(r["correct"]) + len(r["incorrect"])) for r in results}

"""Explaining one prediction of a text classifier (chapter 08): LIME from scratch and integrated gradients.

LIME (Ribeiro, Singh and Guestrin, 2016) explains one prediction f(x) with a linear model that only has to be
right *near* x. For a text whose distinct words are w_1..w_d::

    1. perturb   draw masks z in {0, 1}^d; z_j = 0 deletes every occurrence of w_j (the first mask keeps all)
    2. predict   y_i = f(text of z_i)[label], the model's probability of the explained class
    3. weight    pi(z) = sqrt(exp(-D(z)^2 / sigma^2)), D = 100 * cosine distance between z and (1, ..., 1)
    4. fit       weighted ridge regression y ~ b + sum_j w_j z_j; keep the num_features largest |w_j|, refit

w_j is how much word j adds to the probability near this text. The defaults (sigma = kernel_width = 25, ridge
alpha = 1, masks that delete a uniformly drawn number of words) are those of the ``lime`` package, so the two
agree up to sampling noise.

Texts are lists of tokens; the classifier is called on the kept tokens joined by single spaces::

    from course_lib import explain, sentiment
    pipeline = sentiment.load_pipeline()
    tokens = sentiment.preprocess("Not good at all, a boring film.")   # ['not', 'good', 'boring', 'film']
    exp = explain.lime_text(tokens, lambda texts: pipeline.predict_proba(texts, preprocessed=True))
    exp.top(3)                                # [(word, weight), ...]: the 3 largest |weight| first
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

PredictFn = Callable[[list[str]], np.ndarray]
"""Texts (tokens joined by spaces) -> class probabilities ``(n_texts, n_classes)``."""


@dataclass
class Explanation:
    """A LIME explanation of one text.

    Attributes:
        words: the text's distinct words, in order of first appearance, ``(d,)``.
        weights: the surrogate's weight of each word, ``(d,)``; 0 for words left out of a sparse explanation.
        intercept: the surrogate's prediction with every word deleted.
        score: weighted R^2 of the surrogate on the samples (1 = the linear model reproduces them).
        prediction: the model's probability of the explained class on the whole text.
        masks: the samples, ``(num_samples, d)`` of 0/1 (row 0 keeps every word).
        targets: the model's probability of the class on each sample, ``(num_samples,)``.
    """

    words: list[str]
    weights: np.ndarray
    intercept: float
    score: float
    prediction: float
    masks: np.ndarray
    targets: np.ndarray

    def top(self, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words with the largest |weight|, largest first (ties: first appearance first)."""
        order = np.argsort(-np.abs(self.weights), kind="stable")[:k]
        return [(self.words[i], float(self.weights[i])) for i in order]

    def weight_of(self, word: str) -> float:
        """The weight of ``word`` (KeyError if it is not in the text)."""
        if word not in self.words:
            raise KeyError(f"{word!r} is not one of the explained text's words")
        return float(self.weights[self.words.index(word)])


def distinct_words(tokens: Sequence[str]) -> list[str]:
    """The distinct tokens in order of first appearance: LIME's interpretable features (bag of words)."""
    return list(dict.fromkeys(tokens))


def remove_words(tokens: Sequence[str], words) -> list[str]:
    """``tokens`` without any occurrence of ``words`` (order kept)."""
    words = set(words)
    return [t for t in tokens if t not in words]


def sample_masks(num_words: int, num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Perturbation masks ``(num_samples, num_words)`` of 0/1, float64.

    Row 0 keeps every word. Each other row deletes ``s`` distinct words chosen at random, with ``s`` drawn
    uniformly from 1..num_words: small and large changes are equally common (the ``lime`` package's scheme).
    """
    if num_words < 1 or num_samples < 2:
        raise ValueError(f"need at least 1 word and 2 samples, got {num_words} words and {num_samples} samples")
    masks = np.ones((num_samples, num_words))
    sizes = rng.integers(1, num_words + 1, size=num_samples - 1)
    for row, size in enumerate(sizes, start=1):
        masks[row, rng.choice(num_words, size=size, replace=False)] = 0
    return masks


def cosine_distance(masks: np.ndarray) -> np.ndarray:
    """100 x the cosine distance between each mask and the all-ones mask, ``(n,)``.

    For a mask keeping m of d words, cos = m / (sqrt(m) sqrt(d)) = sqrt(m / d). A mask that deletes every word
    has no direction; it gets the largest distance, 100.
    """
    masks = np.asarray(masks, dtype=float)
    kept = masks.sum(axis=1)
    return 100.0 * (1.0 - np.sqrt(kept / masks.shape[1]))


def kernel(distances: np.ndarray, width: float = 25.0) -> np.ndarray:
    """The exponential kernel ``sqrt(exp(-d^2 / width^2))``: 1 at distance 0, falling with distance, ``(n,)``."""
    if width <= 0:
        raise ValueError(f"kernel width must be positive, got {width}")
    distances = np.asarray(distances, dtype=float)
    return np.sqrt(np.exp(-(distances ** 2) / width ** 2))


def fit_surrogate(masks: np.ndarray, targets: np.ndarray, sample_weight: np.ndarray,
                  num_features: int | None = None, alpha: float = 1.0) -> tuple[np.ndarray, float, float]:
    """Weighted ridge regression of ``targets`` on ``masks``; sparse when ``num_features`` is given.

    With ``num_features = K < d``, a nearly unregularised fit on every word picks the K largest |weights|
    (``lime``'s "highest_weights"), and the final fit uses only those K words.

    Returns:
        ``(weights (d,), intercept, score)``, score being the weighted R^2 of the final fit.
    """
    from sklearn.linear_model import Ridge

    masks = np.asarray(masks, dtype=float)
    d = masks.shape[1]
    used = np.arange(d)
    if num_features is not None and num_features < d:
        full = Ridge(alpha=0.01).fit(masks, targets, sample_weight=sample_weight)
        used = np.sort(np.argsort(-np.abs(full.coef_), kind="stable")[:num_features])
    model = Ridge(alpha=alpha).fit(masks[:, used], targets, sample_weight=sample_weight)
    weights = np.zeros(d)
    weights[used] = model.coef_
    score = model.score(masks[:, used], targets, sample_weight=sample_weight)
    return weights, float(model.intercept_), float(score)


def lime_text(tokens: Sequence[str], predict_fn: PredictFn, *, label: int = 1, num_samples: int = 1000,
              num_features: int | None = None, kernel_width: float = 25.0, alpha: float = 1.0,
              seed: int = 0) -> Explanation:
    """Explain ``predict_fn``'s probability of ``label`` on one text with LIME.

    Args:
        tokens: the text as tokens; its distinct tokens are the features (deleting one deletes all occurrences).
        predict_fn: a list of texts (kept tokens joined by spaces) -> probabilities ``(n, n_classes)``.
        label: the class explained (1 = positive for the course's sentiment pipeline).
        num_samples: perturbed texts, including the text itself.
        num_features: keep only this many words in the explanation (default: all).
        kernel_width: sigma of the kernel, in units of 100 x cosine distance.
        alpha: ridge regularisation of the surrogate.
        seed: seeds the perturbations: the same seed gives the same explanation.
    """
    if isinstance(tokens, str):
        raise TypeError("lime_text expects a list of tokens, e.g. sentiment.preprocess(text) or text.split()")
    tokens = list(tokens)
    words = distinct_words(tokens)
    if not words:
        raise ValueError("nothing to explain: the text has no tokens")
    masks = sample_masks(len(words), num_samples, np.random.default_rng(seed))
    texts = [" ".join(remove_words(tokens, [w for w, keep in zip(words, mask, strict=True) if not keep]))
             for mask in masks]
    probabilities = np.asarray(predict_fn(texts), dtype=float)
    if probabilities.ndim != 2 or probabilities.shape[0] != len(texts) or not 0 <= label < probabilities.shape[1]:
        raise ValueError(f"predict_fn must return probabilities of shape ({len(texts)}, n_classes) with "
                         f"n_classes > {label}, got shape {probabilities.shape}")
    targets = probabilities[:, label]
    weights, intercept, score = fit_surrogate(masks, targets, kernel(cosine_distance(masks), kernel_width),
                                              num_features, alpha)
    return Explanation(words, weights, intercept, score, float(targets[0]), masks, targets)


# ------------------------------------------------------------------------------------ integrated gradients
@dataclass
class Attribution:
    """Integrated gradients of one text.

    Attributes:
        tokens: the tokens the model read (at most its sequence length), ``(n,)``.
        scores: each token's share of ``prediction - baseline``, ``(n,)``; they add up to it (completeness).
        prediction: P(positive) of the text.
        baseline: P(positive) when every token's embedding is replaced by zeros.
    """

    tokens: list[str]
    scores: np.ndarray
    prediction: float
    baseline: float

    def by_word(self) -> dict[str, float]:
        """Scores summed over each word's occurrences (comparable to LIME's bag-of-words weights)."""
        totals: dict[str, float] = {}
        for token, score in zip(self.tokens, self.scores, strict=True):
            totals[token] = totals.get(token, 0.0) + float(score)
        return totals


def integrated_gradients(pipeline, texts: Sequence[str], steps: int = 32,
                         preprocessed: bool = False) -> list[Attribution]:
    """Integrated gradients of a ``sentiment.SentimentPipeline``'s P(positive) on its embeddings, per token.

    With x a review's embedded tokens ``(length, dim)`` and the baseline x' = 0, token t's score is
    ``sum_dim (x - x') * mean_k dP/dx(x' + a_k (x - x'))`` over ``steps`` points a_k = (k + 0.5) / steps.
    The scores of a review add up to P(x) - P(x') (up to the discretisation of the integral).

    Args:
        pipeline: the trained pipeline (``sentiment.load_pipeline()``).
        texts: raw reviews, or space-joined tokens with ``preprocessed=True``.
        steps: points on the straight path from the baseline to x.

    Returns:
        One ``Attribution`` per text.
    """
    import keras
    import tensorflow as tf

    from course_lib.sentiment import preprocess

    if isinstance(texts, str):
        raise TypeError("integrated_gradients expects a list of texts; for one text pass [text]")
    vectorizer = next(layer for layer in pipeline.model.layers
                      if isinstance(layer, keras.layers.TextVectorization))
    classifier = next(layer for layer in pipeline.model.layers if isinstance(layer, keras.Model))
    embedding, *rest = [layer for layer in classifier.layers if not isinstance(layer, keras.layers.InputLayer)]
    alphas = tf.reshape((tf.range(steps, dtype=tf.float32) + 0.5) / steps, (-1, 1, 1))

    def probability(embedded, mask):                       # (batch, length, dim), (1, length) -> (batch,)
        hidden = rest[0](embedded, mask=tf.repeat(mask, tf.shape(embedded)[0], axis=0))
        for layer in rest[1:]:
            hidden = layer(hidden, training=False)
        return hidden[:, 0]

    @tf.function  # one graph for every review: run eagerly, the LSTM steps through time in Python
    def attribute(ids):                                    # (1, length) -> scores (length,), P(x), P(x')
        mask = tf.not_equal(ids, 0)
        x = embedding(ids)                                 # (1, length, dim)
        path = alphas * x                                  # (steps, length, dim)
        with tf.GradientTape() as tape:
            tape.watch(path)
            total = tf.reduce_sum(probability(path, mask))
        gradients = tf.reduce_mean(tape.gradient(total, path), axis=0)     # (length, dim)
        ends = probability(tf.concat([x, tf.zeros_like(x)], axis=0), mask)
        return tf.reduce_sum(gradients * x[0], axis=-1), ends[0], ends[1]

    attributions = []
    for text in texts:
        tokens = text.split() if preprocessed else preprocess(text, pipeline.stop)
        ids = vectorizer(tf.constant([" ".join(tokens)]))
        scores, prediction, baseline = attribute(ids)
        n = int(tf.math.count_nonzero(ids))
        attributions.append(Attribution(tokens[:n], scores.numpy()[:n].astype(float), float(prediction),
                                        float(baseline)))
    return attributions

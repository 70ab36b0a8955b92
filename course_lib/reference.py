"""NumPy reference maths, without Keras: what the from-scratch chapters compute, in one place.

``course_lib.layers`` re-exports these next to its Keras layers (``from course_lib.layers import lstm_step``
works in the chapters), and the exercise checkers import them from here, so that loading a chapter's exercises
(and ``course progress``) never imports TensorFlow.

- ``sigmoid``, ``softmax``: element-wise logistic function; softmax over the last axis, overflow-safe.
- ``attention``: softmax(Q K^T / scale) V with an optional boolean mask, as arrays ``(output, weights)``.
- ``lstm_step`` / ``lstm_numpy``: the six LSTM equations with the weight layout of ``keras.layers.LSTM``.
- ``positional_encoding``: the sinusoidal position encoding of "Attention Is All You Need".
- ``cross_correlate_2d``: what a deep-learning "convolution" computes, 'valid' padding, stride 1.
- ``top_k_filter``, ``top_p_filter``: a next-token distribution cut to its k most likely tokens, or to the
  smallest set of most likely tokens whose probabilities reach p (nucleus), renormalised.
"""

from __future__ import annotations

import numpy as np


def cross_correlate_2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``out[i, j] = sum_mn image[i + m, j + n] * kernel[m, n]``: image ``(H, W)``, kernel ``(kh, kw)``, output
    ``(H - kh + 1, W - kw + 1)`` (no kernel flip, as Keras' Conv2D)."""
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)   # (H - kh + 1, W - kw + 1, kh, kw)
    return np.einsum("ijmn,mn->ij", windows, kernel)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, element-wise."""
    return 1.0 / (1.0 + np.exp(-x))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis; subtracting the row maximum first keeps ``exp`` from overflowing."""
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def attention(q, k, v, mask=None, scale=None):
    """``(output, weights)`` of softmax(q k^T / scale) v, NumPy arrays.

    ``q (..., T, d)``, ``k (..., S, d)``, ``v (..., S, d_v)``; ``mask (..., T, S)``, False where a query must not
    look (its score becomes -1e9); ``scale`` defaults to ``sqrt(d)``. Output ``(..., T, d_v)``, weights
    ``(..., T, S)``.
    """
    scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(q.shape[-1]) if scale is None else scale)
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    weights = softmax(scores)
    return weights @ v, weights


def lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One LSTM time step in NumPy: ``(h_t, c_t)`` from ``x_t (batch, features)`` and the previous
    ``h, c (batch, units)``. Gates in Keras' order (input, forget, candidate, output); see ``lstm_numpy``."""
    units = h_prev.shape[-1]
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    i, f = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units])
    c_tilde, o = np.tanh(z[:, 2 * units:3 * units]), sigmoid(z[:, 3 * units:])
    c = f * c_prev + i * c_tilde
    return o * np.tanh(c), c


def lstm_numpy(x: np.ndarray, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray):
    """Run an LSTM over a batch of sequences, step by step, with Keras' weight layout.

    For each time step, with gates in Keras' order (input, forget, candidate, output):

        i_t = sigmoid(x_t W_i + h_{t-1} U_i + b_i)      f_t = sigmoid(x_t W_f + h_{t-1} U_f + b_f)
        c~_t = tanh(x_t W_c + h_{t-1} U_c + b_c)        o_t = sigmoid(x_t W_o + h_{t-1} U_o + b_o)
        c_t = f_t * c_{t-1} + i_t * c~_t                h_t = o_t * tanh(c_t)

    Args:
        x: inputs ``(batch, time, features)``.
        kernel: ``W``, ``(features, 4 * units)``; ``recurrent_kernel``: ``U``, ``(units, 4 * units)``;
            ``bias``: ``(4 * units,)``; exactly ``keras.layers.LSTM(units).get_weights()``.

    Returns:
        ``(h_all, c_last)``: hidden states ``(batch, time, units)`` and the last cell state ``(batch, units)``.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, features), got {x.shape}")
    units = recurrent_kernel.shape[0]
    expected = {"kernel": (x.shape[2], 4 * units), "recurrent_kernel": (units, 4 * units), "bias": (4 * units,)}
    for name, array in (("kernel", kernel), ("recurrent_kernel", recurrent_kernel), ("bias", bias)):
        if np.shape(array) != expected[name]:
            raise ValueError(f"{name} must have shape {expected[name]} for {x.shape[2]} features and {units} "
                             f"units, got {np.shape(array)}; pass keras.layers.LSTM(...).get_weights()")
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    outputs = []
    for t in range(x.shape[1]):
        h, c = lstm_step(x[:, t], h, c, kernel, recurrent_kernel, bias)
        outputs.append(h)
    return np.stack(outputs, axis=1), c



def positional_encoding(length: int, depth: int) -> np.ndarray:
    """Sinusoidal position encoding ``(length, depth)``, float32.

    ``PE[pos, 2i] = sin(pos / 10000^(2i / depth))`` and ``PE[pos, 2i + 1] = cos(pos / 10000^(2i / depth))``.
    """
    for name, value in (("length", length), ("depth", depth)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if depth % 2:
        raise ValueError(f"depth must be even (sin and cos pairs), got {depth}")
    positions = np.arange(length)[:, None]
    rates = 1.0 / np.power(10000.0, np.arange(0, depth, 2) / depth)
    encoding = np.zeros((length, depth))
    encoding[:, 0::2] = np.sin(positions * rates)
    encoding[:, 1::2] = np.cos(positions * rates)
    return encoding.astype(np.float32)


def _check_probabilities(probs) -> np.ndarray:
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim < 1 or not np.allclose(probs.sum(axis=-1), 1.0, atol=1e-4) or np.any(probs < 0):
        raise ValueError("expected probabilities over the last axis (non-negative, summing to 1); apply softmax "
                         "to logits first")
    return probs


def top_k_filter(probs, k: int) -> np.ndarray:
    """Keep the ``k`` most likely tokens of ``probs (..., vocab)``, zero the others, renormalise.

    Ties at the cut keep the lower token id (as ``keras.ops.top_k``). Returns float64, same shape."""
    probs = _check_probabilities(probs)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= probs.shape[-1]:
        raise ValueError(f"k must be an int between 1 and the vocabulary size {probs.shape[-1]}, got {k!r}")
    order = np.argsort(-probs, axis=-1, kind="stable")
    kept = np.zeros(probs.shape, dtype=bool)
    np.put_along_axis(kept, order[..., :k], True, axis=-1)
    filtered = np.where(kept, probs, 0.0)
    return filtered / filtered.sum(axis=-1, keepdims=True)


def top_p_filter(probs, p: float) -> np.ndarray:
    """Nucleus filtering: keep the smallest set of most likely tokens whose probabilities sum to at least ``p``
    (a token is kept while the tokens before it, most likely first, sum to less than ``p``; the most likely
    token always is), zero the others, renormalise. ``probs (..., vocab)``; returns float64, same shape."""
    probs = _check_probabilities(probs)
    if not 0 < p <= 1:
        raise ValueError(f"p must be in (0, 1], got {p!r}")
    order = np.argsort(-probs, axis=-1, kind="stable")
    sorted_probs = np.take_along_axis(probs, order, axis=-1)
    before = np.cumsum(sorted_probs, axis=-1) - sorted_probs       # the mass of the more likely tokens
    keep_sorted = before < p
    kept = np.zeros(probs.shape, dtype=bool)
    np.put_along_axis(kept, order, keep_sorted, axis=-1)
    filtered = np.where(kept, probs, 0.0)
    return filtered / filtered.sum(axis=-1, keepdims=True)

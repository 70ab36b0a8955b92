"""Chapter 05 exercises: attention and the Transformer."""

from __future__ import annotations

import numpy as np

from course_lib.exercises.core import Incorrect, Problem, call, is_whole_number
from course_lib.reference import attention, positional_encoding


class ScaledDotProductAttention(Problem):
    title = "Scaled dot-product attention with a mask, in NumPy"
    answer_name = "my_attention"
    hints = (
        "scores = Q @ K^T / sqrt(d_k), where d_k is the last axis of Q (and K). Where the mask is False, set the "
        "score to a large negative number (-1e9) so that its softmax weight is 0. Softmax over the LAST axis "
        "(the keys), then multiply by V.",
        "`scores = Q @ K.swapaxes(-1, -2) / np.sqrt(Q.shape[-1])`; `scores = np.where(mask, scores, -1e9)`; "
        "`w = np.exp(scores - scores.max(-1, keepdims=True)); w /= w.sum(-1, keepdims=True)`; return `w @ V, w`.",
    )
    solution_code = """
import numpy as np

def my_attention(Q, K, V, mask=None):
    scores = Q @ K.swapaxes(-1, -2) / np.sqrt(Q.shape[-1])      # (..., T, S)
    if mask is not None:
        scores = np.where(mask, scores, -1e9)                   # masked keys get no weight
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)     # softmax over the keys
    return weights @ V, weights
"""

    def check_answer(self, answer):
        rng = np.random.default_rng(5)
        q, k, v = rng.normal(size=(2, 3, 16)), rng.normal(size=(2, 4, 16)), rng.normal(size=(2, 4, 5))
        mask = np.ones((2, 3, 4), dtype=bool)
        mask[0, :, 3] = False                                   # the first sequence's last key is padding
        result = call(answer, q, k, v, mask)
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise Incorrect("return two arrays: (output, weights)")
        output, weights = (np.asarray(r, dtype=float) for r in result)
        expected_output, expected_weights = attention(q, k, v, mask)
        if output.shape != expected_output.shape or weights.shape != expected_weights.shape:
            raise Incorrect(f"for Q {q.shape}, K {k.shape}, V {v.shape} the output is (2, 3, 5) and the weights "
                            f"(2, 3, 4); got {output.shape} and {weights.shape}")
        if np.allclose(weights, attention(q, k, v, mask, scale=1.0)[1]):
            raise Incorrect("the scores are not scaled: divide Q K^T by sqrt(d_k) = 4 here")
        if np.allclose(weights, attention(q, k, v, mask, scale=16.0)[1]):
            raise Incorrect("you divided by d_k; divide by its square root, sqrt(d_k)")
        if np.allclose(weights, attention(q, k, v, None)[1]):
            raise Incorrect("the mask is ignored: where mask is False the weight must be 0")
        if np.allclose(weights, attention(q, k, v, ~mask)[1]):
            raise Incorrect("the mask is inverted: True means 'may attend', False means 'padding, ignore'")
        if np.allclose(weights.sum(axis=-2), 1.0) and not np.allclose(weights.sum(axis=-1), 1.0):
            raise Incorrect("softmax over the wrong axis: each query's weights over the keys (the last axis) "
                            "must sum to 1")
        if not np.allclose(weights, expected_weights, atol=1e-6):
            raise Incorrect("the weights differ from softmax(Q K^T / sqrt(d_k)) with the masked keys at 0")
        if not np.allclose(output, expected_output, atol=1e-6):
            raise Incorrect("the weights are right but the output is not: it is weights @ V")
        return "the same function as course_lib.layers.scaled_dot_product_attention."


class CausalMask(Problem):
    title = "A causal (look-ahead) mask"
    answer_name = "causal_mask"
    hints = (
        "Position t may attend to positions 0..t: row t is True up to and including column t, False after it. "
        "That is the lower triangle of a square matrix.",
        "`np.tril(np.ones((n, n), dtype=bool))`.",
    )
    solution_code = """
import numpy as np

def causal_mask(n):
    return np.tril(np.ones((n, n), dtype=bool))
"""

    def check_answer(self, answer):
        for n in (1, 4, 7):
            result = np.asarray(call(answer, n))
            expected = np.tril(np.ones((n, n), dtype=bool))
            if result.shape != (n, n):
                raise Incorrect(f"causal_mask({n}) is a ({n}, {n}) matrix, got shape {result.shape}")
            if result.dtype != bool:
                raise Incorrect(f"return booleans (True = may attend), got dtype {result.dtype}")
            if n > 1 and np.array_equal(result, np.triu(np.ones((n, n), dtype=bool))):
                raise Incorrect("that is the upper triangle: it lets a position see the future and not the past")
            if np.array_equal(result, np.tril(np.ones((n, n), dtype=bool), k=-1)):
                raise Incorrect("the diagonal is False: a position may attend to itself")
            if not np.array_equal(result, expected):
                raise Incorrect(f"for n={n} expected {expected.astype(int).tolist()}, "
                                f"got {result.astype(int).tolist()}")
        return None


class PositionalEncoding(Problem):
    title = "Sinusoidal positional encoding"
    answer_name = "my_positional_encoding"
    hints = (
        "PE[pos, 2i] = sin(pos / 10000^(2i / depth)) and PE[pos, 2i+1] = cos(pos / 10000^(2i / depth)): "
        "even columns use sin, odd columns cos, and each sin/cos pair shares one frequency.",
        "`angles = np.arange(length)[:, None] / 10000 ** (np.arange(0, depth, 2) / depth)`; fill "
        "`pe[:, 0::2] = np.sin(angles)` and `pe[:, 1::2] = np.cos(angles)`.",
    )
    solution_code = """
import numpy as np

def my_positional_encoding(length, depth):
    angles = np.arange(length)[:, None] / 10000 ** (np.arange(0, depth, 2) / depth)   # (length, depth / 2)
    pe = np.zeros((length, depth))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe
"""

    def check_answer(self, answer):
        length, depth = 50, 16
        result = np.asarray(call(answer, length, depth), dtype=float)
        expected = positional_encoding(length, depth)
        if result.shape != expected.shape:
            raise Incorrect(f"positional_encoding({length}, {depth}) has shape (length, depth) = {expected.shape}, "
                            f"got {result.shape}")
        if np.allclose(result[:, 0::2], expected[:, 1::2], atol=1e-5):
            raise Incorrect("sin and cos are swapped: even columns (0, 2, ...) use sin, odd columns cos")
        pos, i2 = np.arange(length)[:, None], np.arange(depth)[None, :]
        if np.allclose(result[:, 0::2], np.sin(pos / 10000 ** (i2 / depth))[:, 0::2], atol=1e-5) and \
                np.allclose(result[:, 1::2], np.cos(pos / 10000 ** (i2 / depth))[:, 1::2], atol=1e-5):
            raise Incorrect("each sin/cos pair shares one frequency: column 2i+1 uses 10000^(2i / depth), "
                            "not 10000^((2i+1) / depth)")
        if not np.allclose(result, expected, atol=1e-5):
            raise Incorrect("values differ from sin / cos(pos / 10000^(2i / depth)); row 0 should be "
                            "[0, 1, 0, 1, ...]")
        return None


class MhaParams(Problem):
    title = "Count the parameters of multi-head attention"
    answer_name = "mha_param_count"
    hints = (
        "There are four d_model x d_model projections (query, key, value, output), each with d_model biases. "
        "Splitting into heads only reshapes them.",
        "4 * (d_model * d_model + d_model), whatever num_heads is.",
    )
    solution_code = """
def mha_param_count(d_model, num_heads):
    return 4 * (d_model * d_model + d_model)   # num_heads does not change the count
"""

    def check_answer(self, answer):
        for (d_model, num_heads), expected in (((512, 8), 1050624), ((64, 2), 16640), ((64, 8), 16640)):
            result = call(answer, d_model, num_heads)
            if not is_whole_number(result):
                raise Incorrect(f"return a whole number, got {result!r}")
            if result == 3 * (d_model * d_model + d_model):
                raise Incorrect("three projections (Q, K, V) counted; the output projection W^O is the fourth")
            if result == 4 * d_model * d_model:
                raise Incorrect("the biases (d_model for each of the four projections) are missing")
            if result == expected * num_heads or result == expected // num_heads:
                raise Incorrect("the heads split d_model between them: each head has d_model // num_heads "
                                "dimensions, so the total does not depend on num_heads")
            if result != expected:
                raise Incorrect(f"for d_model={d_model}, num_heads={num_heads} expected {expected:,}, got {result}")
        return "1,050,624 for the source's d_model=512, 8 heads: the same as with 1 head or 64."


PROBLEMS = [ScaledDotProductAttention, CausalMask, PositionalEncoding, MhaParams]

"""From-scratch layers the chapters build, each checked against the Keras layer it explains (tests/test_layers.py).

- ``lstm_step`` / ``lstm_numpy``: the six LSTM equations in NumPy, with the weight layout of
  ``keras.layers.LSTM``, for one step / over whole sequences.
- ``scaled_dot_product_attention``: softmax(Q K^T / sqrt(d_k)) V, with an optional mask.
- ``MultiHeadAttention``: a Keras ``Layer`` that does self- and cross-attention with padding and causal masks,
  and can load the weights of a ``keras.layers.MultiHeadAttention`` to reproduce its outputs.
- ``positional_encoding``: the sinusoidal position encoding of "Attention Is All You Need".
"""

from __future__ import annotations

import keras
from keras import ops

# The NumPy maths live in course_lib.reference (no Keras); chapters import them from here too.
from course_lib.reference import lstm_numpy, lstm_step, positional_encoding, sigmoid  # noqa: F401


def scaled_dot_product_attention(query, key, value, mask=None):
    """``softmax(Q K^T / sqrt(d_k)) V``.

    Args:
        query: ``(..., T, d_k)``; key: ``(..., S, d_k)``; value: ``(..., S, d_v)``.
        mask: optional boolean, broadcastable to ``(..., T, S)``; ``True`` where a query may attend to a key.
            A query whose keys are all masked attends uniformly (as Keras does).

    Returns:
        ``(output, weights)``: ``(..., T, d_v)`` and the attention weights ``(..., T, S)`` (rows sum to 1).
    """
    d_k = ops.shape(query)[-1]
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2)) / ops.sqrt(ops.cast(d_k, query.dtype))
    if mask is not None:
        scores = ops.where(ops.cast(mask, "bool"), scores, ops.full_like(scores, -1e9))
    weights = ops.softmax(scores, axis=-1)
    return ops.matmul(weights, value), weights


def causal_mask(length: int):
    """Boolean ``(length, length)``: position t may attend to positions 0..t only."""
    return ops.tril(ops.ones((length, length), dtype="bool"))


class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention, written out: project, split into heads, attend, concatenate, project.

    ``layer(query, value=None, key=None, attention_mask=None, use_causal_mask=False)``: self-attention when
    ``value`` is omitted, cross-attention otherwise (``key`` defaults to ``value``).

    Args:
        d_model: size of the projections and of the output; must be divisible by ``num_heads``.
        num_heads: number of heads; each works in ``d_model // num_heads`` dimensions.

    Shapes:
        query ``(B, T, D_q)``, value ``(B, S, D_v)``, key ``(B, S, D_k)``; ``attention_mask`` boolean
        ``(B, T, S)``, or ``(B, 1, S)`` for a padding mask that is the same for every query (``True`` = may
        attend). Output ``(B, T, d_model)``; with
        ``return_attention_scores=True`` also the weights ``(B, num_heads, T, S)``.
    """

    def __init__(self, d_model: int, num_heads: int, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("d_model", d_model), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if d_model % num_heads:
            raise ValueError(
                f"d_model={d_model} is not divisible by num_heads={num_heads}: each head gets d_model // num_heads "
                f"dimensions. Choose, e.g., num_heads={_divisor_near(d_model, num_heads)}."
            )
        self.d_model, self.num_heads, self.depth = d_model, num_heads, d_model // num_heads

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for name, shape in (("query", query_shape), ("key", key_shape), ("value", value_shape)):
            setattr(self, f"w_{name}", self.add_weight(name=f"w_{name}", shape=(shape[-1], self.d_model)))
            setattr(self, f"b_{name}", self.add_weight(name=f"b_{name}", shape=(self.d_model,), initializer="zeros"))
        self.w_out = self.add_weight(name="w_out", shape=(self.d_model, self.d_model))
        self.b_out = self.add_weight(name="b_out", shape=(self.d_model,), initializer="zeros")

    def _split_heads(self, x):
        # (B, L, d_model) -> (B, num_heads, L, depth)
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        return ops.transpose(ops.reshape(x, (batch, length, self.num_heads, self.depth)), (0, 2, 1, 3))

    def call(self, query, value=None, key=None, attention_mask=None, use_causal_mask=False,
             return_attention_scores=False):
        value = query if value is None else value
        key = value if key is None else key
        q = self._split_heads(ops.matmul(query, self.w_query) + self.b_query)
        k = self._split_heads(ops.matmul(key, self.w_key) + self.b_key)
        v = self._split_heads(ops.matmul(value, self.w_value) + self.b_value)

        mask = None
        if attention_mask is not None:
            mask = ops.cast(attention_mask, "bool")[:, None, :, :]          # (B, 1, T, S): same for every head
        if use_causal_mask:
            causal = causal_mask(ops.shape(query)[1])[None, None, :, :]
            mask = causal if mask is None else ops.logical_and(mask, causal)
        heads, weights = scaled_dot_product_attention(q, k, v, mask)        # (B, h, T, depth), (B, h, T, S)
        batch, length = ops.shape(heads)[0], ops.shape(heads)[2]
        merged = ops.reshape(ops.transpose(heads, (0, 2, 1, 3)), (batch, length, self.d_model))
        output = ops.matmul(merged, self.w_out) + self.b_out
        return (output, weights) if return_attention_scores else output

    def load_keras_weights(self, other: keras.layers.MultiHeadAttention) -> None:
        """Copy the weights of a built ``keras.layers.MultiHeadAttention`` with the same sizes into this layer.

        Keras stores each projection per head, ``(D, num_heads, key_dim)``; here they are one ``(D, d_model)``
        matrix whose columns are the heads side by side, so the copy is a reshape.
        """
        if not other.built:
            raise ValueError("the Keras layer has no weights yet: call it once on data (or build it) first")
        if (other.num_heads, other.key_dim) != (self.num_heads, self.depth) or other.value_dim != self.depth:
            raise ValueError(
                f"sizes differ: Keras layer has num_heads={other.num_heads}, key_dim={other.key_dim}, "
                f"value_dim={other.value_dim}; this layer has num_heads={self.num_heads}, depth={self.depth}"
            )
        for name, dense in (("query", other._query_dense), ("key", other._key_dense), ("value", other._value_dense)):
            kernel, bias = dense.get_weights()
            getattr(self, f"w_{name}").assign(kernel.reshape(kernel.shape[0], -1))
            getattr(self, f"b_{name}").assign(bias.reshape(-1))
        kernel, bias = other._output_dense.get_weights()
        if kernel.shape[-1] != self.d_model:
            raise ValueError(f"the Keras layer outputs {kernel.shape[-1]} features; this layer outputs {self.d_model}")
        self.w_out.assign(kernel.reshape(-1, kernel.shape[-1]))
        self.b_out.assign(bias)

    def get_config(self):
        return {**super().get_config(), "d_model": self.d_model, "num_heads": self.num_heads}


def _divisor_near(n: int, target: int) -> int:
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    return min(divisors, key=lambda d: (abs(d - target), d))

"""A GPT-style decoder-only language model in Keras, and its generation loop by hand in NumPy, with and without
a key-value cache.

``gpt_model`` stacks keras-hub layers: token + position embeddings, ``num_blocks`` pre-norm
``TransformerDecoder`` blocks (causal self-attention and a feed-forward network, each with a residual), a final
``LayerNormalization`` and a ``Dense`` layer to next-token logits. ``bits_per_char`` scores held-out text, whatever the
tokenizer, in bits per character. ``NumpyDecoder`` reads that model's weights and
computes the same logits one token at a time: ``step`` keeps every block's keys and values (the KV cache), so
a new token attends to the stored ones; ``recompute`` runs the whole prefix again, as a loop without a cache
does. Both count the attention scores they compute. keras-hub's own generation does what ``step`` does, in
Keras ops: ``CachedMultiHeadAttention`` and the ``call_with_cache`` method of its causal language models.
"""

from __future__ import annotations

import keras
import keras_hub
import numpy as np

from course_lib.reference import softmax


def gpt_model(vocab_size: int, context: int, d_model: int = 128, num_heads: int = 4, num_blocks: int = 2,
              dropout: float = 0.0) -> keras.Model:
    """A decoder-only Transformer: token ids ``(batch, time <= context)`` int32 -> logits
    ``(batch, time, vocab_size)`` float32, where position t sees positions 0..t only (a causal mask)."""
    if d_model % num_heads:
        raise ValueError(f"d_model ({d_model}) must be a multiple of num_heads ({num_heads})")
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras_hub.layers.TokenAndPositionEmbedding(vocab_size, context, d_model, name="embedding")(inputs)
    for i in range(num_blocks):
        x = keras_hub.layers.TransformerDecoder(4 * d_model, num_heads, dropout=dropout, normalize_first=True,
                                                name=f"block_{i}")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    logits = keras.layers.Dense(vocab_size, name="next_token_logits")(x)
    return keras.Model(inputs, logits, name="gpt")


def bits_per_char(model: keras.Model, token_ids, token_chars, context: int, batch_size: int = 64) -> float:
    """Held-out cross-entropy of a next-token model in bits per character of the text the tokens spell.

    Every token after the first is predicted once. Windows of ``context + 1`` tokens start every ``context // 2``
    tokens; the first window scores all its targets, each later one only the targets past the previous window, so
    that every scored token but the first ``context // 2`` sees at least ``context // 2`` tokens before it.

    Args:
        model: token ids ``(batch, time)`` -> logits ``(batch, time, vocab)``.
        token_ids: int array ``(n,)``, the held-out text's tokens.
        token_chars: int array ``(vocab,)``, how many characters each token id spells (1 for a character model).
        context: the model's longest input.
    Returns:
        sum of -log2 p(token) over the scored tokens / the characters they spell.
    """
    ids = np.asarray(token_ids)
    token_chars = np.asarray(token_chars)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"token_ids must be a 1-D sequence of at least 2 ids, got shape {ids.shape}")
    if context < 2:
        raise ValueError(f"context must be at least 2, got {context}")
    stride = context // 2
    starts = list(range(0, max(len(ids) - context - 1, 0) + 1, stride))
    if starts[-1] + context + 1 < len(ids):
        starts.append(len(ids) - context - 1)
    width = min(context, len(ids) - 1)
    inputs = np.stack([ids[s:s + width] for s in starts])
    targets = np.stack([ids[s + 1:s + width + 1] for s in starts])
    bits, chars, scored_up_to = 0.0, 0, 0          # scored_up_to: the last target position already scored
    for first in range(0, len(starts), batch_size):
        logits = np.asarray(model.predict(inputs[first:first + batch_size], verbose=0), dtype=np.float64)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        for row, start in enumerate(starts[first:first + batch_size]):
            positions = np.arange(start + 1, start + width + 1)          # the target ids' places in ``ids``
            new = positions > scored_up_to
            picked = log_probs[row, new, targets[first + row, new]]
            bits -= picked.sum() / np.log(2)
            chars += int(token_chars[targets[first + row, new]].sum())
            scored_up_to = int(positions[-1])
    return bits / chars


def _arrays(layer) -> list[np.ndarray]:
    return [np.asarray(w.numpy(), dtype=np.float64) for w in layer.weights]


def _layer_norm(x: np.ndarray, gamma_beta: list[np.ndarray], epsilon: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma_beta[0] + gamma_beta[1]


class NumpyDecoder:
    """The logits of a ``gpt_model``, one token at a time, in float64 NumPy.

    ``step(token)`` appends one token and returns its next-token logits ``(vocab_size,)``, attending to the keys
    and values it cached for the earlier tokens; ``recompute(tokens)`` returns the logits after the last of
    ``tokens`` by running every position again. ``scores`` counts the attention scores (query-key products)
    computed since the last ``reset()``.
    """

    def __init__(self, model: keras.Model):
        try:
            embedding = model.get_layer("embedding")
            blocks = [layer for layer in model.layers if isinstance(layer, keras_hub.layers.TransformerDecoder)]
            final_norm, head = model.get_layer("final_norm"), model.get_layer("next_token_logits")
        except ValueError as error:
            raise ValueError(f"expected a model made by course_lib.gpt.gpt_model ({error})") from None
        if not blocks or not all(block.normalize_first for block in blocks):
            raise ValueError("expected pre-norm TransformerDecoder blocks (normalize_first=True), as gpt_model makes")
        self.token_table = _arrays(embedding.token_embedding)[0]                 # (vocab, d_model)
        self.position_table = _arrays(embedding.position_embedding)[0]           # (context, d_model)
        self.blocks = []
        for block in blocks:
            attention = block._self_attention_layer
            self.blocks.append({
                "norm_1": (_arrays(block._self_attention_layer_norm), block._self_attention_layer_norm.epsilon),
                "query": _arrays(attention._query_dense),        # kernel (d_model, heads, head_dim), bias
                "key": _arrays(attention._key_dense),
                "value": _arrays(attention._value_dense),
                "output": _arrays(attention._output_dense),      # kernel (heads, head_dim, d_model), bias
                "norm_2": (_arrays(block._feedforward_layer_norm), block._feedforward_layer_norm.epsilon),
                "hidden": _arrays(block._feedforward_intermediate_dense),
                "out": _arrays(block._feedforward_output_dense),
                "activation": block.activation,
            })
        self.final_norm = (_arrays(final_norm), final_norm.epsilon)
        self.head = _arrays(head)
        self.reset()

    @property
    def context(self) -> int:
        return len(self.position_table)

    def reset(self) -> None:
        """Forget the cached tokens and zero the score count."""
        self.cache = [{"keys": [], "values": []} for _ in self.blocks]
        self.scores = 0

    def _project(self, h, weights):
        kernel, bias = weights
        return np.einsum("...d,dhk->...hk", h, kernel) + bias

    def _feed_forward(self, x, block):
        h = _layer_norm(x, *block["norm_2"])
        hidden = np.asarray(block["activation"](h @ block["hidden"][0] + block["hidden"][1]))
        return x + hidden @ block["out"][0] + block["out"][1]

    def _logits(self, x):
        return _layer_norm(x, *self.final_norm) @ self.head[0] + self.head[1]

    def step(self, token: int) -> np.ndarray:
        """Append ``token`` at the next position; return the logits for the token after it, ``(vocab_size,)``."""
        position = len(self.cache[0]["keys"])
        if position >= self.context:
            raise ValueError(f"the model has {self.context} positions; reset() before generating more")
        x = self.token_table[token] + self.position_table[position]              # (d_model,)
        for block, cache in zip(self.blocks, self.cache, strict=True):
            h = _layer_norm(x, *block["norm_1"])
            query = self._project(h, block["query"])                              # (heads, head_dim)
            cache["keys"].append(self._project(h, block["key"]))
            cache["values"].append(self._project(h, block["value"]))
            keys, values = np.stack(cache["keys"]), np.stack(cache["values"])   # (t + 1, heads, head_dim)
            scores = np.einsum("hk,thk->ht", query, keys) / np.sqrt(query.shape[-1])
            self.scores += scores.size
            weights = softmax(scores)
            attended = np.einsum("ht,thk->hk", weights, values)
            x = x + np.einsum("hk,hkd->d", attended, block["output"][0]) + block["output"][1]
            x = self._feed_forward(x, block)
        return self._logits(x)

    def recompute(self, tokens) -> np.ndarray:
        """The logits after the last of ``tokens`` (a sequence of ids), computed from scratch for every position,
        as a generation loop without a cache does at each step. ``(vocab_size,)``."""
        tokens = np.asarray(tokens)
        n = len(tokens)
        if not 1 <= n <= self.context:
            raise ValueError(f"expected 1 to {self.context} tokens, got {n}")
        x = self.token_table[tokens] + self.position_table[:n]                   # (n, d_model)
        causal = np.tril(np.ones((n, n), dtype=bool))
        for block in self.blocks:
            h = _layer_norm(x, *block["norm_1"])
            query, key, value = (self._project(h, block[name]) for name in ("query", "key", "value"))
            scores = np.einsum("qhk,thk->hqt", query, key) / np.sqrt(query.shape[-1])   # (heads, n, n)
            self.scores += scores.size
            scores = np.where(causal, scores, -np.inf)
            weights = softmax(scores)
            attended = np.einsum("hqt,thk->qhk", weights, value)
            x = x + np.einsum("qhk,hkd->qd", attended, block["output"][0]) + block["output"][1]
            x = self._feed_forward(x, block)
        return self._logits(x[-1])

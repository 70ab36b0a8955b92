"""Chapter 05 exercises: attention over padded keys, masks, positions, and a next-token model to debug."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import asserts, keras_checks
from course_lib.exercises.core import Incorrect, Problem, call
from course_lib.reference import attention, positional_encoding, softmax


def _key_mask(lengths, num_queries: int, num_keys: int) -> np.ndarray:
    """``(batch, T, S)`` booleans: True where key s < lengths[b]."""
    return np.broadcast_to((np.arange(num_keys)[None, :] < np.asarray(lengths)[:, None])[:, None, :],
                           (len(lengths), num_queries, num_keys))


def _lengths_attention(scale=None, after_softmax=False, invert=False, use_mask=True):
    def attention_from_lengths(Q, K, V, lengths):
        mask = _key_mask(lengths, Q.shape[1], K.shape[1])
        if invert:
            mask = ~mask
        scores = Q @ K.swapaxes(-1, -2) / (np.sqrt(Q.shape[-1]) if scale is None else scale(Q, V))
        if use_mask and not after_softmax:
            scores = np.where(mask, scores, -1e9)
        weights = softmax(scores)
        if after_softmax:
            weights = weights * mask
        return weights @ V, weights
    return attention_from_lengths


class AttentionFromLengths(Problem):
    title = "Attention over padded keys, given each sequence's length"
    answer_name = "attention_from_lengths"
    hints = (
        "Key s of sequence b is real when s < lengths[b], padding otherwise. Build a (batch, 1, S) boolean mask from "
        "the lengths, set the scores of padding keys to -1e9 BEFORE the softmax, and scale by sqrt(d_k), the "
        "size of the queries' and keys' last axis (V's may differ).",
        "`mask = np.arange(K.shape[1])[None, None, :] < lengths[:, None, None]`; "
        "`scores = np.where(mask, Q @ K.swapaxes(-1, -2) / np.sqrt(Q.shape[-1]), -1e9)`; softmax over the last "
        "axis; return `weights @ V, weights`.",
    )
    solution_code = """
import numpy as np

def attention_from_lengths(Q, K, V, lengths):
    real = np.arange(K.shape[1])[None, None, :] < np.asarray(lengths)[:, None, None]   # (batch, 1, S)
    scores = Q @ K.swapaxes(-1, -2) / np.sqrt(Q.shape[-1])        # (batch, T, S), scaled by sqrt(d_k)
    scores = np.where(real, scores, -1e9)                          # padding keys: no weight after the softmax
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = weights / weights.sum(axis=-1, keepdims=True)
    return weights @ V, weights
"""
    wrong_answers = (
        (_lengths_attention(scale=lambda Q, V: np.sqrt(V.shape[-1])), "sqrt(d_v)"),
        (_lengths_attention(after_softmax=True), "BEFORE the softmax"),
        (_lengths_attention(use_mask=False), "lengths are ignored"),
        (_lengths_attention(invert=True), "inverted"),
        (_lengths_attention(scale=lambda Q, V: Q.shape[-1]), "square root"),
        (lambda Q, K, V, lengths: _lengths_attention()(Q, K.T, V, lengths), "swapaxes(-1, -2)"),
        (lambda Q, K, V, lengths: _lengths_attention()(Q, K, V, lengths)[1], "2 things"),
        (lambda Q, K, V, lengths: None, "returned None"),
    )

    def check_answer(self, answer):
        rng = np.random.default_rng(5)
        q, k, v = rng.normal(size=(2, 3, 16)), rng.normal(size=(2, 5, 16)), rng.normal(size=(2, 5, 4))
        lengths = np.array([3, 5])                       # the first sequence's last two keys are padding
        result = asserts.parts(asserts.call_with(answer, q, k, v, lengths, names=("Q", "K", "V", "lengths")),
                               "attention_from_lengths(Q, K, V, lengths)", ("output", "weights"))
        output = asserts.array(result[0], "the output", shape=(2, 3, 4))
        weights = asserts.array(result[1], "the weights", shape=(2, 3, 5))
        mask = _key_mask(lengths, 3, 5)
        expected_output, expected_weights = attention(q, k, v, mask)
        if np.allclose(weights, attention(q, k, v, mask, scale=2.0)[1]):
            raise Incorrect("you scaled by sqrt(d_v) = 2 (the values' size); the scale is sqrt(d_k) = 4, the size of "
                            "the queries and keys whose dot products it tames")
        if np.allclose(weights, attention(q, k, v, mask, scale=16.0)[1]):
            raise Incorrect("you divided by d_k; divide by its square root, sqrt(d_k)")
        if np.allclose(weights, attention(q, k, v, mask, scale=1.0)[1]):
            raise Incorrect("the scores are not scaled: divide Q K^T by sqrt(d_k) = 4 here")
        if np.allclose(weights, softmax(q @ k.swapaxes(-1, -2) / 4.0) * mask):
            raise Incorrect("the mask was applied after the softmax: the remaining weights no longer sum to 1. Set "
                            "the padding scores to -1e9 BEFORE the softmax")
        if np.allclose(weights, attention(q, k, v)[1]):
            raise Incorrect("the lengths are ignored: keys at positions >= lengths[b] are padding and must get "
                            "weight 0")
        if np.allclose(weights, attention(q, k, v, ~mask)[1]):
            raise Incorrect("the mask is inverted: keys BEFORE lengths[b] are the real ones")
        if np.allclose(weights.sum(axis=-2), 1.0) and not np.allclose(weights.sum(axis=-1), 1.0):
            raise Incorrect("softmax over the wrong axis: each query's weights over the keys (the last axis) "
                            "must sum to 1")
        asserts.close(weights, expected_weights, "the weights")
        asserts.close(output, expected_output, "the output (weights @ V)")
        return "keras.layers.MultiHeadAttention takes the same mask as attention_mask, (batch, T, S) booleans."


def _padded_causal(causal=True, padding=True, lower=True, diagonal=True):
    def padded_causal_mask(lengths, n):
        lengths = np.asarray(lengths)
        mask = np.ones((len(lengths), n, n), dtype=bool)
        if causal:
            triangle = np.tril(np.ones((n, n), dtype=bool), k=0 if diagonal else -1)
            mask &= triangle if lower else triangle.T
        if padding:
            mask &= (np.arange(n)[None, :] < lengths[:, None])[:, None, :]
        return mask
    return padded_causal_mask


class PaddedCausalMask(Problem):
    title = "A causal mask for a padded batch"
    answer_name = "padded_causal_mask"
    hints = (
        "Combine two conditions with &: position t may attend to position s when s <= t (causal: the lower "
        "triangle, diagonal included) AND s < lengths[b] (key s is a real token of sequence b, not padding).",
        "`causal = np.tril(np.ones((n, n), dtype=bool))`; `real = np.arange(n)[None, None, :] < "
        "np.asarray(lengths)[:, None, None]`; return `causal[None] & real`, shape (batch, n, n).",
    )
    solution_code = """
import numpy as np

def padded_causal_mask(lengths, n):
    causal = np.tril(np.ones((n, n), dtype=bool))                                    # s <= t
    real = np.arange(n)[None, None, :] < np.asarray(lengths)[:, None, None]          # key s is not padding
    return causal[None, :, :] & real                                                 # (batch, n, n)
"""
    wrong_answers = (
        (_padded_causal(padding=False), "padding"),
        (_padded_causal(causal=False), "future"),
        (_padded_causal(lower=False), "upper triangle"),
        (_padded_causal(diagonal=False), "diagonal"),
        (lambda lengths, n: np.tril(np.ones((n, n), dtype=bool)), "should have shape (2, 4, 4)"),
        (lambda lengths, n: _padded_causal()(lengths, n) & (np.arange(n) < np.asarray(lengths)[:, None])[:, :, None],
         "keys only"),
        (lambda lengths, n: _padded_causal()(lengths, n).astype(int), "booleans"),
    )

    def check_answer(self, answer):
        lengths = np.array([4, 2])
        result = asserts.array(asserts.call_with(answer, lengths, 4, names=("lengths",)),
                               "padded_causal_mask(lengths, 4)", shape=(2, 4, 4), dtype="bool")
        for options, message in (
                (dict(padding=False), "the padding is not masked: sequence 1 has 2 real tokens, so keys 2 and 3 "
                                      "must be False in every row of its mask"),
                (dict(causal=False), "a position may see the future: key s is allowed only when s <= t"),
                (dict(lower=False), "that is the upper triangle: it lets a position see the future, not the past"),
                (dict(diagonal=False), "the diagonal is False: a position may attend to itself")):
            if np.array_equal(result, _padded_causal(**options)(lengths, 4)):
                raise Incorrect(message)
        expected = _padded_causal()(lengths, 4)
        if np.array_equal(result, expected & (np.arange(4)[None, :] < lengths[:, None])[:, :, None]):
            raise Incorrect("you also masked the rows of the padding queries (Keras does that when an Embedding "
                            "masks its input); here padding is about the keys only: rows t >= lengths[b] follow the "
                            "same rule as the others")
        if not np.array_equal(result, expected):
            raise Incorrect(f"for lengths {lengths.tolist()} and n=4 expected {expected.astype(int).tolist()}, "
                            f"got {result.astype(int).tolist()}")
        return ("pass it to keras.layers.MultiHeadAttention as attention_mask; use_causal_mask=True with a key "
                "padding mask of shape (batch, 1, n) combines the two the same way.")


def _pe_variant(swap=False, own_frequency=False):
    def pe(length, depth):
        columns = np.arange(depth) if own_frequency else np.repeat(np.arange(0, depth, 2), 2)
        angles = np.arange(length)[:, None] / 10000 ** (columns[None, :] / depth)
        return np.where(np.arange(depth) % 2 == (1 if swap else 0), np.sin(angles), np.cos(angles))
    return pe


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

    wrong_answers = (
        (_pe_variant(swap=True), "swapped"), (_pe_variant(own_frequency=True), "shares one frequency"),
        (lambda length, depth: _pe_variant()(length, depth).T, "shape"),
        (lambda length, depth: _pe_variant()(length + 1, depth)[1:], "row 0"),
    )

    def check_answer(self, answer):
        length, depth = 50, 16
        expected = positional_encoding(length, depth)
        result = asserts.array(call(answer, length, depth), f"my_positional_encoding({length}, {depth})",
                               shape=expected.shape)
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

    wrong_answers = (
        (lambda d, h: 3 * (d * d + d), "output projection"), (lambda d, h: 4 * d * d, "biases"),
        (lambda d, h: 4 * (d * d + d) * h, "does not depend on num_heads"),
        (lambda d, h: 4 * (d * d + d) // h, "does not depend"), (lambda d, h: 4.0 * (d * d + d), "whole"),
    )

    def check_answer(self, answer):
        for (d_model, num_heads), expected in (((512, 8), 1050624), ((64, 2), 16640), ((64, 8), 16640)):
            result = asserts.whole_number(call(answer, d_model, num_heads), "mha_param_count(d_model, num_heads)")
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



_LEAKY_MODEL = """
def make_next_token_model(vocab_size, length):
    tokens = keras.Input(shape=(length,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, 32)(tokens)
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)(x, x)
    x = keras.layers.LayerNormalization()(x + attended)
    outputs = keras.layers.Dense(vocab_size, activation="softmax")(x)   # a next-token distribution at every position
    return keras.Model(tokens, outputs)
"""


def _next_token_model(causal=True, attention=True, inverted=False):
    def make_next_token_model(vocab_size, length):
        import keras
        from keras import layers

        tokens = keras.Input(shape=(length,), dtype="int32")
        x = layers.Embedding(vocab_size, 32)(tokens)
        if attention:
            mha = layers.MultiHeadAttention(num_heads=2, key_dim=16)
            if inverted:
                future = np.triu(np.ones((length, length), dtype=bool))[None]
                attended = mha(x, x, attention_mask=future)   # a "fix" that masks the past instead
            else:
                attended = mha(x, x, use_causal_mask=causal)
            x = layers.LayerNormalization()(x + attended)
        outputs = layers.Dense(vocab_size, activation="softmax")(x)
        return keras.Model(tokens, outputs)
    return make_next_token_model


class DebugFutureLeak(Problem):
    title = "Debug a next-token model that reads the future"
    kind = "debug"
    answer_name = "make_next_token_model"
    given_code = _LEAKY_MODEL
    hints = (
        "The model predicts, at each position t, the token at t + 1. Self-attention lets position t read every "
        "position, including t + 1: the answer it should predict. Which argument does section 4 pass to "
        "keras.layers.MultiHeadAttention to stop that?",
        "Section 4 calls keras.layers.MultiHeadAttention with one more argument, which hides from each query the "
        "keys that come after it (a causal mask). The fix is one argument where the listing calls the layer on "
        "(x, x); keep everything else.",
    )
    solution_code = """
import keras

def make_next_token_model(vocab_size, length):
    tokens = keras.Input(shape=(length,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, 32)(tokens)
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=16)(x, x, use_causal_mask=True)   # no peeking
    x = keras.layers.LayerNormalization()(x + attended)
    outputs = keras.layers.Dense(vocab_size, activation="softmax")(x)
    return keras.Model(tokens, outputs)
"""
    wrong_answers = (
        (lambda vocab_size, length: keras_checks.define_with_keras(_LEAKY_MODEL, "make_next_token_model")(
            vocab_size, length), "reads the tokens after it"),
        (_next_token_model(inverted=True), "reads the tokens after it"),
        (_next_token_model(attention=False), "keep the MultiHeadAttention"),
        (lambda vocab_size, length: None, "returned None"),
    )

    def check_answer(self, answer):
        import keras

        vocab_size, length = 20, 8
        model = keras_checks.built_model(answer, vocab_size, length)
        if not any(isinstance(layer, keras.layers.MultiHeadAttention) for layer in keras_checks.layers_of(model)):
            raise Incorrect("keep the MultiHeadAttention layer: the fix is in how it is called, not in removing it")
        rng = np.random.default_rng(0)
        tokens = rng.integers(0, vocab_size, size=(2, length)).astype("int32")
        changed = tokens.copy()
        changed[:, 4:] = (changed[:, 4:] + 7) % vocab_size        # only the tokens from position 4 on differ
        before = keras_checks.output_shape(model, tokens, (2, length, vocab_size))
        after = keras_checks.output_shape(model, changed, (2, length, vocab_size))
        moved = np.abs(before - after).max(axis=(0, 2))[:4]
        if (moved > 1e-5).any():
            first = int(np.argmax(moved > 1e-5))
            raise Incorrect(f"the prediction at position {first} changed when only tokens 4 to {length - 1} changed: "
                            "each position reads the tokens after it, so in training the model can copy the answer "
                            "it should predict. Look at how the MultiHeadAttention layer is called")
        start = rng.integers(0, vocab_size, size=(64, 1))             # counting sequences: next = token + 1
        sequences = ((start + np.arange(length + 1)) % vocab_size).astype("int32")
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        keras_checks.fit_briefly(model, sequences[:, :-1], sequences[:, 1:], epochs=15, batch_size=32)
        predicted = np.argmax(model.predict(sequences[:, :-1], verbose=0), axis=-1)
        accuracy = float(np.mean(predicted == sequences[:, 1:]))
        if accuracy < 0.95:
            raise Incorrect(f"the model no longer reads the future, but it predicts only {accuracy:.0%} of the next "
                            "tokens of a counting sequence after 15 epochs: keep the rest of the listing as it was")
        return (f"causal: no position reads a later one, and it learns to count ({accuracy:.0%} of next tokens). A "
                "training score cannot reveal a leak (a model that reads the answer scores well); changing the "
                "future tokens, as this check does, can.")


PROBLEMS = [AttentionFromLengths, PaddedCausalMask, PositionalEncoding, MhaParams, DebugFutureLeak]

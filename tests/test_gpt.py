"""course_lib.gpt: the Keras GPT's causality and size, and the NumPy generation loops (cached and not) against it."""

import keras
import numpy as np
import pytest

from course_lib.gpt import NumpyDecoder, bits_per_char, gpt_model

VOCAB, CONTEXT, D, HEADS, BLOCKS = 50, 32, 32, 4, 2


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    model = gpt_model(VOCAB, CONTEXT, D, HEADS, BLOCKS)
    # non-zero biases and norms, so that copying every weight is tested
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(scale=0.3, size=weight.shape).astype("float32"))
    return model


def test_size_follows_from_the_architecture(model):
    per_block = 4 * (D * D + D) + 2 * 2 * D + (D * 4 * D + 4 * D) + (4 * D * D + D)
    expected = VOCAB * D + CONTEXT * D + BLOCKS * per_block + 2 * D + D * VOCAB + VOCAB
    assert model.count_params() == expected
    assert model(np.zeros((3, 7), "int32")).shape == (3, 7, VOCAB)


def test_the_model_cannot_see_the_future(model):
    ids = np.random.default_rng(1).integers(0, VOCAB, (1, CONTEXT))
    changed = ids.copy()
    changed[0, 20:] = (changed[0, 20:] + 1) % VOCAB
    before, after = model.predict(ids, verbose=0)[0], model.predict(changed, verbose=0)[0]
    np.testing.assert_allclose(before[:20], after[:20], atol=1e-6)
    assert np.abs(before[20:] - after[20:]).max() > 1e-3


def test_cached_steps_equal_the_keras_model(model):
    ids = np.random.default_rng(2).integers(0, VOCAB, CONTEXT)
    decoder = NumpyDecoder(model)
    cached = np.stack([decoder.step(int(token)) for token in ids])
    np.testing.assert_allclose(cached, model.predict(ids[None], verbose=0)[0], atol=1e-5)
    n = len(ids)
    assert decoder.scores == BLOCKS * HEADS * n * (n + 1) // 2          # token t attends to t + 1 keys


def test_recomputing_equals_the_cache_and_costs_more(model):
    ids = np.random.default_rng(3).integers(0, VOCAB, 12)
    cached, uncached = NumpyDecoder(model), NumpyDecoder(model)
    for t, token in enumerate(ids):
        np.testing.assert_allclose(uncached.recompute(ids[:t + 1]), cached.step(int(token)), atol=1e-9)
    n = len(ids)
    assert uncached.scores == BLOCKS * HEADS * n * (n + 1) * (2 * n + 1) // 6   # t + 1 queries by t + 1 keys
    cached.reset()
    assert cached.scores == 0 and cached.cache[0]["keys"] == []


def test_errors_say_what_to_do(model):
    decoder = NumpyDecoder(model)
    for token in range(CONTEXT):
        decoder.step(token % VOCAB)
    with pytest.raises(ValueError, match="32 positions; reset"):
        decoder.step(0)
    with pytest.raises(ValueError, match="expected 1 to 32 tokens, got 0"):
        decoder.recompute([])
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="a model made by course_lib.gpt.gpt_model"):
        NumpyDecoder(other)
    with pytest.raises(ValueError, match=r"d_model \(30\) must be a multiple of num_heads \(4\)"):
        gpt_model(VOCAB, CONTEXT, 30, 4)


def _log2_probs_with_full_context(model, ids):
    logits = model.predict(ids[None, :-1], verbose=0)[0].astype("float64")
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return log_probs[np.arange(len(ids) - 1), ids[1:]] / np.log(2)


def test_bits_per_char_with_one_window_is_the_cross_entropy(model):
    ids = np.random.default_rng(4).integers(0, VOCAB, 20)
    chars = np.arange(VOCAB) % 3 + 1                       # tokens spelling 1 to 3 characters
    expected = -_log2_probs_with_full_context(model, ids).sum() / chars[ids[1:]].sum()
    assert bits_per_char(model, ids, chars, context=CONTEXT) == pytest.approx(expected, rel=1e-6)


def test_bits_per_char_scores_every_token_once_with_half_overlapping_windows(model):
    ids = np.random.default_rng(5).integers(0, VOCAB, 157)
    ones = np.ones(VOCAB, dtype=int)
    # one character a token: the denominator is the number of scored tokens, len(ids) - 1, if each counts once
    bits = bits_per_char(model, ids, ones, context=16)
    by_hand, scored = 0.0, set()
    for start in [*range(0, 157 - 17 + 1, 8), 157 - 17]:
        log2 = _log2_probs_with_full_context(model, ids[start:start + 17])
        for offset, value in enumerate(log2):
            if start + 1 + offset not in scored:
                scored.add(start + 1 + offset)
                by_hand -= value
    assert scored == set(range(1, 157))
    assert bits == pytest.approx(by_hand / 156, rel=1e-6)
    with pytest.raises(ValueError, match="at least 2 ids"):
        bits_per_char(model, ids[:1], ones, context=16)

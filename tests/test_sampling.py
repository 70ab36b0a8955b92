"""The reference samplers' filters (course_lib.reference) against keras_hub.samplers on fixed logits."""

import keras
import keras_hub
import numpy as np
import pytest

from course_lib.reference import softmax, top_k_filter, top_p_filter

LOGITS = np.array([2.0, 0.5, 1.2, -1.0, 0.9, 3.1, -0.3, 0.0], dtype="float32")  # no ties, no p on a boundary
DRAWS = 20_000


def _frequencies(sampler, probs):
    batch = np.tile(probs.astype("float32"), (DRAWS, 1))
    tokens = keras.ops.convert_to_numpy(sampler.get_next_token(keras.ops.convert_to_tensor(batch)))
    return np.bincount(tokens, minlength=probs.size) / DRAWS


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_temperature_is_softmax_of_scaled_logits(temperature):
    sampler = keras_hub.samplers.RandomSampler(temperature=temperature)
    theirs = keras.ops.convert_to_numpy(sampler.compute_probabilities(LOGITS[None]))[0]
    np.testing.assert_allclose(theirs, softmax(LOGITS.astype("float64") / temperature), atol=1e-6)


def test_greedy_is_the_argmax():
    probs = softmax(np.random.default_rng(0).normal(size=(16, 50)))
    chosen = keras.ops.convert_to_numpy(keras_hub.samplers.GreedySampler().get_next_token(probs.astype("float32")))
    np.testing.assert_array_equal(chosen, probs.argmax(axis=-1))


@pytest.mark.parametrize("k", [1, 3, 6])
def test_top_k_filter_is_what_keras_hub_samples_from(k):
    probs = softmax(LOGITS.astype("float64"))
    expected = top_k_filter(probs, k)
    assert np.count_nonzero(expected) == k
    observed = _frequencies(keras_hub.samplers.TopKSampler(k=k, seed=0), probs)
    assert set(np.flatnonzero(observed)) <= set(np.flatnonzero(expected)), "a token outside the top k was drawn"
    np.testing.assert_allclose(observed, expected, atol=0.02)


@pytest.mark.parametrize("p", [0.3, 0.6, 0.9, 1.0])
def test_top_p_filter_is_what_keras_hub_samples_from(p):
    probs = softmax(LOGITS.astype("float64"))
    expected = top_p_filter(probs, p)
    observed = _frequencies(keras_hub.samplers.TopPSampler(p=p, seed=0), probs)
    assert set(np.flatnonzero(observed)) <= set(np.flatnonzero(expected)), "a token outside the nucleus was drawn"
    np.testing.assert_allclose(observed, expected, atol=0.02)


def test_filters_on_a_batch_and_their_errors():
    probs = softmax(np.random.default_rng(1).normal(size=(4, 10)))
    for filtered in (top_k_filter(probs, 3), top_p_filter(probs, 0.5)):
        assert filtered.shape == (4, 10)
        np.testing.assert_allclose(filtered.sum(axis=-1), 1.0)
        # what is kept keeps its proportions; the most likely token is always kept
        assert np.all(filtered[np.arange(4), probs.argmax(-1)] > 0)
    kept = top_p_filter(probs, 0.5) > 0
    assert np.all((probs * kept).sum(-1) >= 0.5)
    assert np.all((probs * kept).sum(-1) - np.where(kept, probs, np.inf).min(-1) < 0.5), "not the smallest set"
    with pytest.raises(ValueError, match="apply softmax"):
        top_k_filter(LOGITS, 2)
    with pytest.raises(ValueError, match="k must be an int between 1 and the vocabulary size 8"):
        top_k_filter(softmax(LOGITS), 9)
    with pytest.raises(ValueError, match=r"p must be in \(0, 1\]"):
        top_p_filter(softmax(LOGITS), 0.0)

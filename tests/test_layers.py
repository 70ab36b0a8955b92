"""course_lib.layers against the Keras layers they explain, with the same weights."""

import keras
import numpy as np
import pytest

from course_lib import layers


@pytest.fixture(autouse=True)
def seeded():
    keras.utils.set_random_seed(0)


def _keras_mha(num_heads, key_dim, query, value=None, **kwargs):
    mha = keras.layers.MultiHeadAttention(num_heads=num_heads, key_dim=key_dim)
    mha(query, value if value is not None else query, **kwargs)  # builds it
    # random biases too, so that copying them is tested
    mha.set_weights([np.random.default_rng(i).normal(size=w.shape).astype("float32") * 0.3
                     for i, w in enumerate(mha.get_weights())])
    return mha


def test_lstm_numpy_equals_keras_lstm_over_a_sequence():
    x = np.random.default_rng(0).normal(size=(3, 12, 5)).astype("float32")
    lstm = keras.layers.LSTM(7, return_sequences=True, return_state=True)
    keras_h, keras_last_h, keras_last_c = (t.numpy() for t in lstm(x))
    h, c = layers.lstm_numpy(x, *lstm.get_weights())
    np.testing.assert_allclose(h, keras_h, atol=1e-5)
    np.testing.assert_allclose(h[:, -1], keras_last_h, atol=1e-5)
    np.testing.assert_allclose(c, keras_last_c, atol=1e-5)


def test_lstm_numpy_rejects_wrong_weights():
    x = np.zeros((1, 4, 5))
    with pytest.raises(ValueError, match=r"kernel must have shape \(5, 28\)"):
        layers.lstm_numpy(x, np.zeros((4, 28)), np.zeros((7, 28)), np.zeros(28))
    with pytest.raises(ValueError, match="batch, time, features"):
        layers.lstm_numpy(np.zeros((4, 5)), np.zeros((5, 28)), np.zeros((7, 28)), np.zeros(28))


def test_scaled_dot_product_attention_by_hand():
    rng = np.random.default_rng(1)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 6))
    out, weights = (np.asarray(t) for t in layers.scaled_dot_product_attention(q, k, v))
    scores = q @ k.transpose(0, 2, 1) / 2.0  # sqrt(d_k) = sqrt(4)
    expected = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, expected, atol=1e-6)
    np.testing.assert_allclose(out, expected @ v, atol=1e-6)


def test_masked_keys_get_zero_weight():
    rng = np.random.default_rng(2)
    q, k, v = rng.normal(size=(1, 4, 8)), rng.normal(size=(1, 4, 8)), rng.normal(size=(1, 4, 8))
    _, weights = layers.scaled_dot_product_attention(q, k, v, mask=np.asarray(layers.causal_mask(4))[None])
    weights = np.asarray(weights)
    assert np.allclose(np.triu(weights[0], 1), 0.0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)


def test_self_attention_equals_keras():
    x = np.random.default_rng(3).normal(size=(2, 6, 16)).astype("float32")
    keras_mha = _keras_mha(4, 4, x)
    ours = layers.MultiHeadAttention(d_model=16, num_heads=4)
    ours(x)
    ours.load_keras_weights(keras_mha)
    keras_out, keras_scores = keras_mha(x, x, return_attention_scores=True)
    out, scores = ours(x, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(out), keras_out.numpy(), atol=1e-5)
    np.testing.assert_allclose(np.asarray(scores), keras_scores.numpy(), atol=1e-5)


def test_cross_attention_with_a_padding_mask_equals_keras():
    rng = np.random.default_rng(4)
    query = rng.normal(size=(2, 3, 8)).astype("float32")       # e.g. decoder states
    memory = rng.normal(size=(2, 5, 8)).astype("float32")      # e.g. encoder outputs
    lengths = np.array([5, 2])                                   # the second memory is padded after 2 steps
    mask = np.arange(5)[None, None, :] < lengths[:, None, None]  # (2, 1, 5) -> broadcast over 3 queries
    mask = np.broadcast_to(mask, (2, 3, 5))
    keras_mha = _keras_mha(2, 4, query, memory)
    ours = layers.MultiHeadAttention(d_model=8, num_heads=2)
    ours(query, memory)
    ours.load_keras_weights(keras_mha)
    keras_out = keras_mha(query, memory, attention_mask=mask).numpy()
    out, scores = ours(query, memory, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(out), keras_out, atol=1e-5)
    assert np.allclose(np.asarray(scores)[1, :, :, 2:], 0.0), "padded positions must get no attention"


def test_a_padding_mask_of_shape_b_1_s_is_broadcast_over_the_queries():
    # Chapter 05's encoder passes (batch, 1, time): one padding mask for every query.
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 4, 8)).astype("float32")
    valid = np.array([[True, True, True, True], [True, True, False, False]])
    ours = layers.MultiHeadAttention(d_model=8, num_heads=2)
    short, short_scores = ours(x, attention_mask=valid[:, None, :], return_attention_scores=True)
    full, full_scores = ours(x, attention_mask=np.repeat(valid[:, None, :], 4, axis=1), return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(short), np.asarray(full), atol=1e-6)
    np.testing.assert_allclose(np.asarray(short_scores), np.asarray(full_scores), atol=1e-6)
    assert np.allclose(np.asarray(short_scores)[1, :, :, 2:], 0.0)


def test_causal_self_attention_equals_keras():
    x = np.random.default_rng(5).normal(size=(2, 7, 12)).astype("float32")
    keras_mha = _keras_mha(3, 4, x)
    ours = layers.MultiHeadAttention(d_model=12, num_heads=3)
    ours(x)
    ours.load_keras_weights(keras_mha)
    keras_out = keras_mha(x, x, use_causal_mask=True).numpy()
    np.testing.assert_allclose(np.asarray(ours(x, use_causal_mask=True)), keras_out, atol=1e-5)
    # changing the last step must not change earlier outputs
    changed = x.copy()
    changed[:, -1] += 5.0
    np.testing.assert_allclose(np.asarray(ours(changed, use_causal_mask=True))[:, :-1],
                               np.asarray(ours(x, use_causal_mask=True))[:, :-1], atol=1e-5)


def test_multi_head_attention_rejects_bad_sizes():
    with pytest.raises(ValueError, match=r"d_model=10 is not divisible by num_heads=4.*num_heads=5"):
        layers.MultiHeadAttention(d_model=10, num_heads=4)
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        layers.MultiHeadAttention(d_model=8, num_heads=0)
    ours = layers.MultiHeadAttention(d_model=8, num_heads=2)
    with pytest.raises(ValueError, match="no weights yet"):
        ours.load_keras_weights(keras.layers.MultiHeadAttention(num_heads=2, key_dim=4))
    x = np.zeros((1, 3, 8), "float32")
    ours(x)
    with pytest.raises(ValueError, match="sizes differ"):
        ours.load_keras_weights(_keras_mha(4, 2, x))


def test_multi_head_attention_trains_inside_a_model():
    inputs = keras.Input(shape=(5, 8))
    x = layers.MultiHeadAttention(d_model=8, num_heads=2)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x)))
    model.compile("adam", "mse")
    data = np.random.default_rng(6).normal(size=(32, 5, 8)).astype("float32")
    target = data.mean(axis=(1, 2))[:, None]
    history = model.fit(data, target, epochs=20, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert layers.MultiHeadAttention.from_config(model.layers[1].get_config()).num_heads == 2


def test_positional_encoding_formula():
    pe = layers.positional_encoding(50, 16)
    assert pe.shape == (50, 16) and pe.dtype == np.float32
    pos, i = 7, 3
    np.testing.assert_allclose(pe[pos, 2 * i], np.sin(pos / 10000 ** (2 * i / 16)), atol=1e-6)
    np.testing.assert_allclose(pe[pos, 2 * i + 1], np.cos(pos / 10000 ** (2 * i / 16)), atol=1e-6)
    np.testing.assert_allclose(pe[0], np.tile([0.0, 1.0], 8))
    with pytest.raises(ValueError, match="even"):
        layers.positional_encoding(10, 7)
    with pytest.raises(ValueError, match="length"):
        layers.positional_encoding(0, 8)


def test_lstm_step_is_one_step_of_lstm_numpy():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 1, 3))
    kernel, recurrent, bias = rng.normal(size=(3, 8)), rng.normal(size=(2, 8)), rng.normal(size=8)
    h, c = layers.lstm_step(x[:, 0], np.zeros((2, 2)), np.zeros((2, 2)), kernel, recurrent, bias)
    h_all, c_last = layers.lstm_numpy(x, kernel, recurrent, bias)
    np.testing.assert_allclose(h, h_all[:, 0])
    np.testing.assert_allclose(c, c_last)
    np.testing.assert_allclose(layers.sigmoid(np.array([0.0, 50.0])), [0.5, 1.0])


def test_the_numpy_reference_attention_matches_the_keras_ops_one():
    from course_lib import reference

    rng = np.random.default_rng(3)
    q, k, v = rng.normal(size=(2, 4, 8)), rng.normal(size=(2, 6, 8)), rng.normal(size=(2, 6, 5))
    mask = rng.random(size=(2, 4, 6)) > 0.3
    mask[..., 0] = True  # every query sees at least one key
    for m in (None, mask):
        by_numpy = reference.attention(q, k, v, m)
        by_ops = layers.scaled_dot_product_attention(q, k, v, mask=m)
        for ours, theirs in zip(by_numpy, by_ops, strict=True):
            np.testing.assert_allclose(ours, np.asarray(theirs), atol=1e-6)
    np.testing.assert_allclose(reference.softmax(np.array([[1000.0, 1000.0]])), [[0.5, 0.5]])


def test_the_reference_maths_import_no_keras():
    import subprocess
    import sys

    code = "import sys, course_lib.reference, course_lib.exercises.ch03, course_lib.exercises.ch04, " \
           "course_lib.exercises.ch05; " \
           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_the_reference_cross_correlation_equals_keras_conv2d():
    """What chapter 03's conv2d exercise is checked against: Keras' Conv2D ('valid', stride 1, no flip)."""
    from course_lib.reference import cross_correlate_2d

    image = np.random.default_rng(2).normal(size=(7, 6)).astype("float32")
    kernel = np.random.default_rng(3).normal(size=(3, 2)).astype("float32")
    conv = keras.layers.Conv2D(1, kernel.shape, use_bias=False)
    conv.build((None, 7, 6, 1))
    conv.set_weights([kernel[:, :, None, None]])
    expected = np.asarray(conv(image[None, :, :, None]))[0, :, :, 0]
    np.testing.assert_allclose(cross_correlate_2d(image, kernel), expected, atol=1e-5)
    assert cross_correlate_2d(image, kernel).shape == (5, 5)

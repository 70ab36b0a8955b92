"""course_lib.compression: LiteRT conversion and inference, gzip sizes, the sparsity schedule and magnitude pruning."""

import gzip

import numpy as np
import pytest

from course_lib import compression


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


@pytest.fixture(scope="module")
def small_cnn(keras, tmp_path_factory):
    """A small CNN on 12x12x1 images with random weights (seed 0), exported; and 64 random images."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(5), keras.layers.Softmax()])
    folder = tmp_path_factory.mktemp("cnn")
    model.export(str(folder), verbose=False)
    images = np.random.default_rng(0).random((64, 12, 12, 1), dtype=np.float32)
    return model, folder, images


def test_float32_litert_equals_keras_and_quantised_files_are_smaller(small_cnn, capfd):
    model, folder, images = small_cnn
    expected = model.predict(images, verbose=0)
    float32 = compression.LiteRTModel(compression.convert_litert(folder))
    np.testing.assert_allclose(float32.predict(images, batch_size=10), expected, atol=1e-5)
    calibration = [images[i:i + 1] for i in range(32)]
    sizes = {}
    for quantization in ("dynamic", "float16", "int8"):
        model_file = compression.LiteRTModel(compression.convert_litert(folder, quantization, calibration))
        sizes[quantization] = model_file.size
        got = model_file.predict(images)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert np.abs(got - expected).max() < 0.1, quantization     # probabilities, dequantised for int8
    assert sizes["dynamic"] < 0.5 * float32.size and sizes["float16"] < 0.7 * float32.size
    assert sizes["int8"] < 0.5 * float32.size
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == "", "the converter's and interpreter's log lines are kept out"


def test_a_fixed_batch_model_predicts_any_number_of_examples(small_cnn):
    import tensorflow as tf

    model, folder, images = small_cnn
    four = tf.function(lambda x: model(x, training=False), input_signature=[tf.TensorSpec((4, 12, 12, 1))])
    model_file = compression.LiteRTModel(compression.convert_litert(concrete_function=four.get_concrete_function()))
    np.testing.assert_allclose(model_file.predict(images[:10]), model.predict(images[:10], verbose=0), atol=1e-5)
    assert model_file.predict(images[:0]).shape == (0, 5)
    versions = folder.parent / "versions"
    model.export(str(versions / "2"), verbose=False)                  # a parent of numbered versions works too
    assert len(compression.convert_litert(versions)) > 1000


def test_full_int8_takes_and_gives_int8_with_the_files_scales(small_cnn):
    _, folder, images = small_cnn
    model_file = compression.LiteRTModel(
        compression.convert_litert(folder, "int8", representative=[images[i:i + 1] for i in range(32)]))
    assert model_file.input["dtype"] == np.int8 and model_file.output["dtype"] == np.int8
    scale, zero_point = model_file.input["quantization"]
    assert scale == pytest.approx(1 / 255, rel=0.05) and zero_point == -128     # inputs in [0, 1]


def test_conversion_refuses_what_it_cannot_do(small_cnn, keras, capfd):
    _, folder, _ = small_cnn
    with pytest.raises(ValueError, match="representative"):
        compression.convert_litert(folder, "int8")
    with pytest.raises(ValueError, match="one of"):
        compression.convert_litert(folder, "int4")
    with pytest.raises(ValueError, match="either"):
        compression.convert_litert()
    lstm = keras.Sequential([keras.Input((None, 3)), keras.layers.LSTM(4)])     # a dynamic batch and length
    export = folder.parent / "lstm"
    lstm.export(str(export), verbose=False)
    with pytest.raises(Exception, match="TensorListReserve"):
        compression.convert_litert(export)
    assert capfd.readouterr().out == ""


def test_a_fixed_shape_lstm_converts_to_builtin_operations(keras, capfd):
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    lstm = keras.Sequential([keras.Input((7,), dtype="int64"), keras.layers.Embedding(20, 4, mask_zero=True),
                             keras.layers.LSTM(5), keras.layers.Dense(1, activation="sigmoid")])
    one = tf.function(lambda ids: lstm(ids, training=False), input_signature=[tf.TensorSpec((1, 7), tf.int64)])
    model_file = compression.LiteRTModel(
        compression.convert_litert(concrete_function=one.get_concrete_function()))
    ids = np.random.default_rng(1).integers(0, 20, (9, 7))
    ids[:, 5:] = 0                                                                # padding at the end
    np.testing.assert_allclose(model_file.predict(ids), lstm.predict(ids, verbose=0), atol=1e-5)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == "", "the converter's deprecation warning is kept out"


def test_gzipped_size_is_the_size_of_gzip_output(tmp_path):
    zeros, noise = bytes(100_000), np.random.default_rng(0).bytes(100_000)
    assert compression.gzipped_size(zeros) < 1_000 < 99_000 < compression.gzipped_size(noise)
    path = tmp_path / "f.bin"
    path.write_bytes(noise)
    assert compression.gzipped_size(path) == compression.gzipped_size(noise)
    assert gzip.decompress(gzip.compress(noise, 9, mtime=0)) == noise


def test_the_schedule_rises_to_the_final_sparsity_and_stays():
    values = [compression.polynomial_sparsity(step, 0.8, 10, 110) for step in range(0, 200)]
    assert values[:11] == [0.0] * 11
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))
    assert values[110] == pytest.approx(0.8) and values[-1] == pytest.approx(0.8)
    assert values[60] == pytest.approx(0.8 * (1 - 0.5 ** 3))                       # half-way: 7/8 of the way up
    assert compression.polynomial_sparsity(0, 0.5, 0, 0) == 0.5                   # one-shot


def test_magnitude_mask_keeps_the_largest_absolute_values():
    weights = np.array([[0.1, -3.0, 0.5], [-0.2, 2.0, 0.05]])
    mask = compression.magnitude_mask(weights, 0.5)
    np.testing.assert_array_equal(mask, [[0, 1, 1], [0, 1, 0]])
    assert compression.magnitude_mask(weights, 0.0).all() and not compression.magnitude_mask(weights, 1.0).any()
    big = np.random.default_rng(0).normal(size=(50, 40))
    assert (compression.magnitude_mask(big, 0.8) == 0).sum() == 1600
    with pytest.raises(ValueError, match="fraction"):
        compression.magnitude_mask(weights, 80)


def test_pruning_reaches_its_sparsity_keeps_small_kernels_and_holds_the_zeros(keras):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(200, activation="relu"),
                              keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(256, 10)).astype(np.float32), rng.integers(0, 3, 256)
    pruning = compression.MagnitudePruning(0.75, begin_step=0, end_step=20, frequency=5, min_size=1000)
    model.fit(x, y, epochs=5, batch_size=32, verbose=0, callbacks=[pruning])        # 40 steps: 20 at 75%
    first, last = (np.asarray(layer.kernel) for layer in model.layers)
    assert (first == 0).mean() == pytest.approx(0.75, abs=1e-3)                    # 2,000 weights: pruned
    assert (last == 0).mean() == 0                                                 # 600 weights: kept whole
    assert compression.kernel_sparsity(model, min_size=1000) == pytest.approx(0.75, abs=1e-3)
    assert [k.shape for k in compression.prunable_kernels(model)] == [(10, 200), (200, 3)]
    with pytest.raises(ValueError, match="fraction"):
        compression.MagnitudePruning(1.0)
    with pytest.raises(ValueError, match="no Conv1D, Conv2D or Dense kernel"):
        compression.kernel_sparsity(model, min_size=10**6)

"""Chapter 03 exercises: convolution and pooling by hand, shapes and parameter counts, a small CNN to build."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import asserts, keras_checks
from course_lib.exercises.core import Incorrect, Problem, call
from course_lib.reference import cross_correlate_2d


class Conv2D(Problem):
    title = "2-D convolution (cross-correlation), 'valid' padding, stride 1"
    answer_name = "conv2d"
    hints = (
        "The output has shape (H - kh + 1, W - kw + 1). Output pixel (i, j) is the sum of the kernel times the "
        "image patch whose top-left corner is (i, j).",
        "Two loops over i and j: `out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)`. Deep-learning "
        "'convolution' does not flip the kernel.",
    )
    solution_code = """
import numpy as np

def conv2d(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out
"""

    wrong_answers = (
        (lambda im, k: cross_correlate_2d(im, k[::-1, ::-1]), "flipped"),
        (lambda im, k: np.zeros_like(im), "'same' padding"),
        (lambda im, k: cross_correlate_2d(im, k)[:-1], "gives shape"),
        (lambda im, k: cross_correlate_2d(im, k) + 1.0, "output pixel (0, 0)"),
        (lambda im, k: cross_correlate_2d(im, k.T), "gives shape"),
        (lambda im, k: None, "returned None"),
    )

    def check_answer(self, answer):
        rng = np.random.default_rng(3)
        image, kernel = rng.normal(size=(7, 6)), rng.normal(size=(3, 2))
        expected = cross_correlate_2d(image, kernel)
        result = asserts.array(asserts.call_with(answer, image, kernel, names=("image", "kernel")),
                               "conv2d(image, kernel)", dtype="float")
        if result.shape == image.shape:
            raise Incorrect(f"the output has the input's shape {image.shape}: that is 'same' padding. With 'valid' "
                            f"padding a (3, 2) kernel on a (7, 6) image gives {expected.shape}")
        if result.shape != expected.shape:
            raise Incorrect(f"a (3, 2) kernel on a (7, 6) image gives shape {expected.shape} (H - kh + 1, "
                            f"W - kw + 1), got {result.shape}")
        if np.allclose(result, cross_correlate_2d(image, kernel[::-1, ::-1])):
            raise Incorrect("you flipped the kernel (the textbook convolution); deep-learning layers compute the "
                            "cross-correlation: no flip")
        if not np.allclose(result, expected):
            wrong = np.argwhere(~np.isclose(result, expected))[0]
            raise Incorrect(f"output pixel {tuple(int(v) for v in wrong)} is {result[tuple(wrong)]:.4f}, expected "
                            f"{expected[tuple(wrong)]:.4f}: it should be sum(image[i:i+kh, j:j+kw] * kernel)")
        return None


def _stack(size_of):
    def stack_output_size(n, layers):
        for k, padding, stride in layers:
            n = size_of(n, k, padding, stride)
        return n
    return stack_output_size


# Plausible single-layer formulas, each with what it gets wrong.
_SIZE_MISTAKES = (
    (lambda n, k, p, s: (n + p - k) // s + 1,
     "the padding counts on one side only; p pixels are added on EACH side: n + 2p - k"),
    (lambda n, k, p, s: (n + 2 * p - k) // s,
     "the +1 is missing: a kernel that fits exactly once (n + 2p = k) gives one output, not zero"),
    (lambda n, k, p, s: n + 2 * p - k + 1,
     "the stride is ignored: a stride of s keeps one position in s, so divide (n + 2p - k) by s"),
    (lambda n, k, p, s: (n - k) // s + 1,
     "the padding is ignored: add 2p to n before subtracting the kernel size"),
)


class StackOutputSize(Problem):
    title = "The output size after a stack of convolution and pooling layers"
    answer_name = "stack_output_size"
    hints = (
        "Apply section 2's output-size formula once per layer, feeding each layer's output size to the next: "
        "n <- floor((n + 2p - k) / s) + 1 for each (k, p, s) in `layers`.",
        "`for k, p, s in layers: n = (n + 2 * p - k) // s + 1`, then `return n`.",
    )
    solution_code = """
def stack_output_size(n, layers):
    for k, padding, stride in layers:          # (kernel size, padding on each side, stride)
        n = (n + 2 * padding - k) // stride + 1
    return n
"""
    wrong_answers = tuple((_stack(formula), message[:30]) for formula, message in _SIZE_MISTAKES) + (
        (_stack(lambda n, k, p, s: (n + 2 * p - k) / s + 1), "whole number"),
        (lambda n, layers: [n] + [_stack(lambda n, k, p, s: (n + 2 * p - k) // s + 1)(n, layers[:i + 1])
                                  for i in range(len(layers))], "whole number"),
        (lambda n, layers: (n + 2 * layers[0][1] - layers[0][0]) // layers[0][2] + 1, "first layer only"),
        (_stack(lambda n, k, p, s: (n + 2 * p - k + 1) // s), "expected 5, got 4"),
    )

    def check_answer(self, answer):
        # (kernel, padding, stride): a 'same' 5x5 conv, 2x2 pooling, a padded 3x3 conv of stride 2, a 'valid' 3x3
        layers = [(5, 2, 1), (2, 0, 2), (3, 1, 2), (3, 0, 1)]
        right = _stack(lambda n, k, p, s: (n + 2 * p - k) // s + 1)
        sizes = (28, 32)
        results = {n: asserts.whole_number(call(answer, n, list(layers)), "stack_output_size(n, layers)")
                   for n in sizes}
        wrong = [n for n in sizes if results[n] != right(n, layers)]
        if wrong:
            n, result = wrong[0], results[wrong[0]]
            # a mistake is named only when it explains every answer, also on two single layers that tell the
            # mistakes apart (on this stack, padding on one side and n + 2p - k + 1 over s give the same sizes)
            probes = [(10, [(3, 2, 1)]), (10, [(2, 0, 2)])]
            probed = [call(answer, m, list(probe)) for m, probe in probes]
            for formula, message in _SIZE_MISTAKES:
                if all(results[m] == _stack(formula)(m, layers) for m in sizes) and \
                        all(got == _stack(formula)(m, probe) for got, (m, probe) in zip(probed, probes, strict=True)):
                    raise Incorrect(f"for n={n} and layers {layers} you gave {result}: {message}")
            if all(results[m] == right(m, layers[:1]) for m in sizes):
                raise Incorrect(f"{result} is the size after the first layer only; feed each layer's output to the "
                                "next one")
            raise Incorrect(f"for n={n} and layers {layers} expected {right(n, layers)}, got {result}")
        if call(answer, 28, []) != 28:
            raise Incorrect("with no layers the size stays n (28)")
        return "Keras agrees: model.output_shape of the same stack of layers gives these sizes."


class SameCnnParams(Problem):
    title = "Count the parameters of the source's CNN with 'same' padding"
    answer_name = "same_padding_cnn_params"
    hints = (
        "Only the Dense layer after Flatten changes: with padding='same' the 3x3 convolutions keep the size, so "
        "the maps are 28 -> 28 -> pool 14 -> 14 -> pool 7 -> 7. A Conv2D has k*k*c_in*c_out weights + c_out "
        "biases, whatever the image size.",
        "Flatten gives 7 * 7 * 64 = 3,136 inputs to Dense(64): 3136 * 64 + 64. Add 320 + 18,496 + 36,928 for the "
        "convolutions and 650 for the last Dense layer.",
    )
    solution_code = """
conv1 = 3 * 3 * 1 * 32 + 32          # 320: a convolution's count does not depend on the image size
conv2 = 3 * 3 * 32 * 64 + 64         # 18,496
conv3 = 3 * 3 * 64 * 64 + 64         # 36,928
dense1 = 7 * 7 * 64 * 64 + 64        # 'same' keeps 28 -> 28 -> 14 -> 14 -> 7 -> 7: Flatten gives 3,136 inputs
dense2 = 64 * 10 + 10                # 650
same_padding_cnn_params = conv1 + conv2 + conv3 + dense1 + dense2   # 257,162
"""
    wrong_answers = (
        (93322, "'valid' padding"), (257162 - (32 + 64 + 64 + 64 + 10), "biases"),
        (320 + 18496 + 36928 + (14 * 14 * 64 * 64 + 64) + 650, "7x7"),
        (320 + 640 + 640 + 200768 + 650, "ALL input channels"), (257162.0, "whole number"),
        (250000, "follow the shapes"),
    )

    def check_answer(self, answer):
        answer = asserts.whole_number(answer, "same_padding_cnn_params")
        if answer == 93322:
            raise Incorrect("93,322 is the count with 'valid' padding (section 4's model); with 'same' padding the "
                            "maps stay larger, so Flatten hands more inputs to Dense(64)")
        if answer == 257162 - (32 + 64 + 64 + 64 + 10):
            raise Incorrect("you left out the biases: one per filter or unit")
        if answer == 320 + 18496 + 36928 + (14 * 14 * 64 * 64 + 64) + 650:
            raise Incorrect("the last convolution's maps are 7x7: the second pooling halves 14 to 7")
        if answer == 320 + 640 + 640 + 200768 + 650:
            raise Incorrect("each filter of a later conv layer spans ALL input channels: k*k*c_in*c_out weights")
        if answer != 257162:
            raise Incorrect(f"{answer:,} is not it; follow the shapes 28 -> 28 -> 14 -> 14 -> 7 -> 7 and add each "
                            "layer's weights and biases")
        return "257,162: 'same' padding almost triples the model, all of it in the first Dense layer."


def _cnn(filters=(32, 64), softmax=True, input_shape=(28, 28, 1), pool=2, dense_only=False):
    def build_small_cnn():
        import keras
        from keras import layers

        stack = [keras.Input(shape=input_shape)]
        if dense_only:
            stack += [layers.Flatten(), layers.Dense(32, activation="relu")]
        else:
            for f in filters:
                stack += [layers.Conv2D(f, 3, activation="relu"), layers.MaxPooling2D(pool)]
            stack.append(layers.Flatten())
        stack.append(layers.Dense(10, activation="softmax" if softmax else None))
        return keras.Sequential(stack)
    return build_small_cnn


class BuildSmallCnn(Problem):
    title = "Build a CNN under 50,000 parameters that reaches 0.94 in 5 epochs"
    kind = "build"
    answer_name = "build_small_cnn"
    hints = (
        "The published model spends 37,000 of its 93,322 parameters in Dense(64) after Flatten. Two Conv2D + "
        "MaxPooling2D pairs shrink 28x28 to 5x5; Flatten then feeds Dense(10, activation='softmax') directly.",
        "keras.Sequential([keras.Input((28, 28, 1)), Conv2D(32, 3, relu), MaxPooling2D(2), Conv2D(64, 3, relu), "
        "MaxPooling2D(2), Flatten(), Dense(10, softmax)]) has 34,826 parameters.",
    )
    solution_code = """
import keras
from keras import layers

def build_small_cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),     # 28 -> 26
        layers.MaxPooling2D(2),                      # -> 13
        layers.Conv2D(64, 3, activation="relu"),     # -> 11
        layers.MaxPooling2D(2),                      # -> 5
        layers.Flatten(),                            # 5 * 5 * 64 = 1,600 inputs
        layers.Dense(10, activation="softmax"),      # 34,826 parameters in all
    ])
"""
    wrong_answers = (
        (_cnn(filters=(32, 64, 64), pool=1), "at most 50,000"),
        (_cnn(softmax=False), "softmax"),
        (_cnn(dense_only=True), "Conv2D"),
        (_cnn(input_shape=(28, 28)), "expected min_ndim=4"),
        (_cnn(filters=(2,), pool=4), "reached"),
        (lambda: None, "returned None"),
    )

    def check_answer(self, answer):
        import keras

        from course_lib.data import load_mnist

        model = keras_checks.built_model(answer)
        (x_all, y_all), _ = load_mnist()
        x_all = x_all[..., np.newaxis].astype("float32") / 255.0
        x_train, y_train = x_all[:3500], y_all[:3500]     # the chapter's training digits
        x_val, y_val = x_all[-500:], y_all[-500:]         # and its validation digits: the test digits stay out
        output = keras_checks.output_shape(model, x_val[:4], (4, 10))
        count = keras_checks.parameters_at_most(model, 50_000)
        if not any(isinstance(layer, keras.layers.Conv2D) for layer in keras_checks.layers_of(model)):
            raise Incorrect("the contract asks for a CNN: use at least one Conv2D layer")
        if not (np.all(output >= 0) and np.allclose(output.sum(axis=1), 1.0, atol=1e-4)):
            raise Incorrect("the outputs are not probabilities (rows of 10 that sum to 1): end with "
                            "Dense(10, activation='softmax')")
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
        keras_checks.fit_briefly(model, x_train, y_train, epochs=5, batch_size=32)
        accuracy = float(np.mean(np.argmax(model.predict(x_val, verbose=0), axis=1) == y_val))
        if accuracy < 0.94:
            raise Incorrect(f"{count:,} parameters, but after 5 epochs (Adam, learning rate 0.003, batches of 32) it "
                            f"reached {accuracy:.3f} accuracy on the validation digits, below 0.94; more filters or a "
                            "second Conv2D block help")
        return (f"{count:,} parameters, {accuracy:.3f} accuracy on the chapter's {len(y_val):,} validation digits "
                "after 5 epochs. The test digits stay out of the check, so retrying until it passes does not tune "
                "your model on them.")


def _pool(size=3, stride=2, reduce=np.max, pad=0):
    def max_pool_3x3_stride2(x):
        x = np.pad(x, pad, constant_values=-np.inf) if pad else x
        rows, cols = (x.shape[0] - size) // stride + 1, (x.shape[1] - size) // stride + 1
        return np.array([[reduce(x[i * stride:i * stride + size, j * stride:j * stride + size])
                          for j in range(cols)] for i in range(rows)])
    return max_pool_3x3_stride2


class OverlappingMaxPool(Problem):
    title = "Overlapping max pooling: 3x3 windows, stride 2"
    answer_name = "max_pool_3x3_stride2"
    hints = (
        "The windows are 3x3 but move by 2, so neighbouring windows share a row or a column. With 'valid' padding "
        "the output has (H - 3) // 2 + 1 rows (section 2's output-size formula) and likewise columns; output "
        "(i, j) is the maximum of x[2i:2i+3, 2j:2j+3].",
        "Two loops: `out[i, j] = x[2 * i:2 * i + 3, 2 * j:2 * j + 3].max()`, with out of shape "
        "((H - 3) // 2 + 1, (W - 3) // 2 + 1).",
    )
    solution_code = """
import numpy as np

def max_pool_3x3_stride2(x):
    rows, cols = (x.shape[0] - 3) // 2 + 1, (x.shape[1] - 3) // 2 + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = x[2 * i:2 * i + 3, 2 * j:2 * j + 3].max()   # windows overlap by one row/column
    return out
"""
    wrong_answers = (
        (_pool(size=2), "2x2 windows"),
        (_pool(stride=1), "stride 1"),
        (_pool(reduce=np.mean), "average pooling"),
        (_pool(pad=1), "padded"),
        (lambda x: None, "returned None"),
    )

    def check_answer(self, answer):
        x = np.random.default_rng(5).normal(size=(9, 8))
        expected = _pool()(x)                                  # (4, 3)
        result = asserts.array(asserts.call_with(answer, x, names=("x",)), "max_pool_3x3_stride2(x)", dtype="float")
        if result.shape == _pool(size=2)(x).shape and np.allclose(result, _pool(size=2)(x)):
            raise Incorrect("those are 2x2 windows; here each window is 3x3 (and they overlap, moving by 2)")
        if result.shape == (7, 6):
            raise Incorrect("you moved the window one pixel at a time (stride 1); it moves by 2: (9, 8) -> (4, 3)")
        if result.shape == (5, 4):
            raise Incorrect("you padded the input ('same'); with 'valid' pooling (9, 8) gives (4, 3)")
        if result.shape != expected.shape:
            raise Incorrect(f"a (9, 8) input gives ((9 - 3) // 2 + 1, (8 - 3) // 2 + 1) = (4, 3), got {result.shape}")
        if np.allclose(result, _pool(reduce=np.mean)(x)):
            raise Incorrect("that is average pooling; take the maximum of each window")
        asserts.close(result, expected, "max_pool_3x3_stride2(x)")
        return "keras.layers.MaxPooling2D(pool_size=3, strides=2) computes the same (AlexNet's pooling)."


PROBLEMS = [Conv2D, StackOutputSize, SameCnnParams, OverlappingMaxPool, BuildSmallCnn]

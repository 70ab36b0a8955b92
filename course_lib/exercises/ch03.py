"""Chapter 03 exercises: convolution and pooling by hand, shapes and parameter counts."""

from __future__ import annotations

import numpy as np

from course_lib.exercises.core import Incorrect, Problem, call, is_whole_number


def _cross_correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    k_h, k_w = kernel.shape
    out = np.empty((image.shape[0] - k_h + 1, image.shape[1] - k_w + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + k_h, j:j + k_w] * kernel)
    return out


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

    def check_answer(self, answer):
        rng = np.random.default_rng(3)
        image, kernel = rng.normal(size=(7, 6)), rng.normal(size=(3, 2))
        expected = _cross_correlate(image, kernel)
        result = np.asarray(call(answer, image, kernel), dtype=float)
        if result.shape == image.shape:
            raise Incorrect(f"the output has the input's shape {image.shape}: that is 'same' padding. With 'valid' "
                            f"padding a (3, 2) kernel on a (7, 6) image gives {expected.shape}")
        if result.shape != expected.shape:
            raise Incorrect(f"a (3, 2) kernel on a (7, 6) image gives shape {expected.shape} (H - kh + 1, "
                            f"W - kw + 1), got {result.shape}")
        if np.allclose(result, _cross_correlate(image, kernel[::-1, ::-1])):
            raise Incorrect("you flipped the kernel (the textbook convolution); deep-learning layers compute the "
                            "cross-correlation: no flip")
        if not np.allclose(result, expected):
            wrong = np.argwhere(~np.isclose(result, expected))[0]
            raise Incorrect(f"output pixel {tuple(int(v) for v in wrong)} is {result[tuple(wrong)]:.4f}, expected "
                            f"{expected[tuple(wrong)]:.4f}: it should be sum(image[i:i+kh, j:j+kw] * kernel)")
        return None


class OutputSize(Problem):
    title = "The output size of a convolution or pooling layer"
    answer_name = "conv_output_size"
    hints = (
        "With input size n, kernel k, padding p on each side and stride s: floor((n + 2p - k) / s) + 1.",
        "'valid' means p = 0; 'same' (stride 1, odd k) means p = (k - 1) // 2. Use integer division `//`.",
    )
    solution_code = """
def conv_output_size(n, k, padding=0, stride=1):
    return (n + 2 * padding - k) // stride + 1
"""

    def check_answer(self, answer):
        cases = [((28, 3, 0, 1), 26), ((26, 2, 0, 2), 13), ((28, 3, 1, 1), 28), ((28, 5, 2, 2), 14),
                 ((7, 3, 0, 2), 3), ((13, 2, 0, 2), 6)]
        for (n, k, p, s), expected in cases:
            result = call(answer, n, k, padding=p, stride=s)
            if not is_whole_number(result):
                raise Incorrect(f"return a whole number (use //), got {result!r} for n={n}, k={k}, p={p}, s={s}")
            if result == expected - 1 and (n + 2 * p - k) % s == 0:
                raise Incorrect(f"for n={n}, k={k}, p={p}, s={s} you gave {result}: add 1, the first position counts")
            if result == n - k + 1 and p + s > 1:
                raise Incorrect(f"for n={n}, k={k}, padding={p}, stride={s} you ignored the padding or the stride")
            if result != expected:
                raise Incorrect(f"for n={n}, k={k}, padding={p}, stride={s} expected {expected}, got {result}")
        return None


class SeedModelParams(Problem):
    title = "Count the parameters of the source 002 §4.1 CNN"
    answer_name = "published_cnn_params"
    hints = (
        "A Conv2D with a k x k kernel, c_in input channels and c_out filters has k*k*c_in*c_out weights plus "
        "c_out biases. Pooling and Flatten have none.",
        "Shapes: 28 -> conv 26 -> pool 13 -> conv 11 -> pool 5 -> conv 3, so Flatten gives 3*3*64 = 576 inputs "
        "to Dense(64). Add: 320 + 18,496 + 36,928 + 36,928 + 650.",
    )
    solution_code = """
conv1 = 3 * 3 * 1 * 32 + 32        # 320
conv2 = 3 * 3 * 32 * 64 + 64       # 18,496
conv3 = 3 * 3 * 64 * 64 + 64       # 36,928
dense1 = 3 * 3 * 64 * 64 + 64      # Flatten gives 3*3*64 = 576 inputs: 36,928
dense2 = 64 * 10 + 10              # 650
published_cnn_params = conv1 + conv2 + conv3 + dense1 + dense2   # 93,322
"""

    def check_answer(self, answer):
        if not is_whole_number(answer):
            raise Incorrect(f"expected a whole number, got {type(answer).__name__}")
        if answer == 93322 - (32 + 64 + 64 + 64 + 10):
            raise Incorrect("you left out the biases: one per filter or unit")
        if answer == 320 + 640 + 640 + 36928 + 650:
            raise Incorrect("each filter of a later conv layer spans ALL input channels: k*k*c_in*c_out weights")
        if answer == 320 + 18496 + 36928 + (5 * 5 * 64 * 64 + 64) + 650:
            raise Incorrect("the last conv layer outputs 3x3 maps, not 5x5: (5 - 3) + 1 = 3")
        if answer != 93322:
            raise Incorrect(f"{answer:,} is not it; build the model and compare with model.count_params()")
        return "93,322, as model.count_params() says."


class MaxPool(Problem):
    title = "2x2 max pooling with stride 2"
    answer_name = "max_pool2d"
    hints = (
        "The output has shape (H // 2, W // 2); output (i, j) is the maximum of the 2x2 block at rows 2i, 2i+1 "
        "and columns 2j, 2j+1. An odd last row or column is dropped, as in Keras' 'valid' pooling.",
        "Crop to even size, reshape to (H//2, 2, W//2, 2) and take .max(axis=(1, 3)).",
    )
    solution_code = """
def max_pool2d(x):
    h, w = x.shape[0] // 2, x.shape[1] // 2
    return x[:2 * h, :2 * w].reshape(h, 2, w, 2).max(axis=(1, 3))
"""

    def check_answer(self, answer):
        x = np.random.default_rng(5).normal(size=(7, 6))
        crop = x[:6, :6].reshape(3, 2, 3, 2)
        expected = crop.max(axis=(1, 3))
        result = np.asarray(call(answer, x), dtype=float)
        if result.shape == (6, 5):
            raise Incorrect("you slid the window one pixel at a time (stride 1); pooling here moves by 2")
        if result.shape == (4, 3):
            raise Incorrect("you padded the odd row; Keras' default 'valid' pooling drops it: (7, 6) -> (3, 3)")
        if result.shape != expected.shape:
            raise Incorrect(f"a (7, 6) input gives (3, 3), got {result.shape}")
        if np.allclose(result, crop.mean(axis=(1, 3))):
            raise Incorrect("that is average pooling; take the maximum of each block")
        if not np.allclose(result, expected):
            raise Incorrect("values differ from the maximum of each 2x2 block")
        return None


PROBLEMS = [Conv2D, OutputSize, SeedModelParams, MaxPool]

"""Chapter 00 exercises: a first taste of the exercise engine, on MNIST-shaped data."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import asserts
from course_lib.exercises.core import Incorrect, Problem, call


class PixelCount(Problem):
    title = "How many numbers describe one 28x28 MNIST image?"
    worked_example = True  # the chapter answers it in front of the learner
    answer_name = "num_pixels"
    hints = (
        "An MNIST image is a grid of 28 rows and 28 columns, one grey level per cell.",
        "Rows times columns: 28 * 28.",
    )
    solution_code = """
num_pixels = 28 * 28   # 784: the length of the vector a dense layer sees after Flatten()
"""

    wrong_answers = ((56, "rows TIMES columns"), (28, "one side"), (2352, "greyscale"), ("784", "whole number"),
                     (700, "not the number of cells"), (784.0, "whole number"))

    def check_answer(self, answer):
        answer = asserts.whole_number(answer, "num_pixels")
        if answer == 28 + 28:
            raise Incorrect("56 is 28 + 28: a grid has rows TIMES columns cells")
        if answer == 28:
            raise Incorrect("28 is one side of the image; count every cell of the 28x28 grid")
        if answer == 28 * 28 * 3:
            raise Incorrect("MNIST images are greyscale: one number per pixel, not three (RGB)")
        if answer != 784:
            raise Incorrect(f"{answer} is not the number of cells in a 28x28 grid")
        return "784 numbers; Flatten() turns each image into a vector of this length."


class ToUnitRange(Problem):
    title = "Scale uint8 images (0..255) to float32 values in [0, 1]"
    answer_name = "to_unit_range"
    hints = (
        "Divide by the largest possible pixel value, 255, with true division `/`.",
        "Keras works in float32: `images.astype('float32') / 255.0`.",
    )
    solution_code = """
import numpy as np

def to_unit_range(images):
    return images.astype(np.float32) / 255.0
"""

    wrong_answers = (
        (lambda im: im // 255, "true division"), (lambda im: im / 255.0, "float32"),
        (lambda im: im, "divide by 255"), (lambda im: im.astype("float32") / 256, "differ"),
        (lambda im: (im / 255.0).astype("float32").ravel(), "shape changed"),
        (lambda im: None, "returned None"),
        (lambda im: (im.__setitem__(..., 0), im.astype("float32") / 255)[1], "changed its input"),
        (lambda im: im.astype("float32") / im.max(), "darker batch"),
        (lambda im: (im.astype("float32") - im.min()) / (im.max() - im.min()), "darker batch"),
        (lambda im: im.astype("float16") / 255, "dtype is float16"),
    )

    def check_answer(self, answer):
        images = np.array([[[0, 51, 255], [128, 7, 200]]], dtype=np.uint8)
        result = asserts.array(asserts.call_with(answer, images, names=("images",)), "to_unit_range(images)",
                               numpy_only=True)
        if result.shape != images.shape:
            raise Incorrect(f"the shape changed from {images.shape} to {result.shape}; scale every pixel in place")
        if not np.issubdtype(result.dtype, np.floating):
            if result.max() <= 1:
                raise Incorrect("the result holds whole numbers only (0 or 1): use true division `/`, not `//`")
            raise Incorrect(f"values still run up to {result.max()}: divide by 255, and return float32")
        if result.max() > 1.0 + 1e-6:
            raise Incorrect(f"the largest value is {result.max():g}; divide by 255 so that 255 becomes 1.0")
        close = np.allclose(result, images / 255.0, atol=1e-6)
        if result.dtype != np.float32 and (close or np.allclose(result, images / 255.0, atol=1e-3)):
            raise Incorrect(f"values are right but the dtype is {result.dtype}: Keras works in float32, "
                            "so use .astype('float32')")
        if not close:
            raise Incorrect("values differ from pixel / 255 (is 0 still 0 and 255 exactly 1.0?)")
        dark = np.array([[[10, 60, 90], [120, 200, 35]]], dtype=np.uint8)  # no pixel at 0 or 255
        darker = asserts.array(asserts.call_with(answer, dark, names=("images",)), "to_unit_range(images)",
                               numpy_only=True)
        if darker.shape != dark.shape or not np.allclose(darker, dark / 255.0, atol=1e-6):
            raise Incorrect("right on a batch that holds a 0 and a 255, but wrong on a darker batch (pixels 10 to "
                            "200): a grey level of 200 must give the same number whatever else the batch holds, "
                            "so the scale cannot depend on the batch's own smallest or largest pixel")
        return None


class CountPerClass(Problem):
    title = "Count how many images each digit 0..9 has"
    answer_name = "count_per_class"
    hints = (
        "Return 10 numbers: position d holds how many labels equal d, even when a digit never occurs.",
        "`np.bincount(labels, minlength=10)` does it in one call.",
    )
    solution_code = """
import numpy as np

def count_per_class(labels):
    return np.bincount(labels, minlength=10)
"""

    wrong_answers = (
        (lambda y: np.bincount(y), "always return 10"), (lambda y: np.unique(y), "distinct labels"),
        (lambda y: dict(zip(*np.unique(y, return_counts=True), strict=True)), "dict"),
        (lambda y: np.bincount(y, minlength=10) / len(y), "counts should be"),
        (lambda y: print(np.bincount(y, minlength=10)), "returned None"),
    )

    def check_answer(self, answer):
        labels = np.array([3, 1, 3, 0, 7, 3, 1, 8, 8, 0], dtype=np.uint8)  # no 9: the length trap
        result = asserts.returned(call(answer, labels), "count_per_class(labels)")
        if isinstance(result, dict):
            raise Incorrect("you returned a dict; return a list or array of 10 counts, index = digit")
        counts = asserts.array(result, "count_per_class(labels)")
        if counts.ndim != 1:
            raise Incorrect(f"expected a flat sequence of 10 counts, got shape {counts.shape}")
        if np.array_equal(np.sort(counts), np.unique(labels)):
            raise Incorrect("you returned the distinct labels, not how often each occurs")
        if len(counts) != 10:
            raise Incorrect(f"you returned {len(counts)} counts for labels without a 9; always return 10 "
                            "(hint: minlength)")
        asserts.equal(counts, np.bincount(labels, minlength=10), f"for labels {labels.tolist()} the counts")
        return None


class FlattenImages(Problem):
    title = "Flatten a batch of 28x28 images into rows of 784 numbers"
    answer_name = "flatten_images"
    hints = (
        "The result has one row per image and one column per pixel: shape (number of images, 28 * 28).",
        "`images.reshape(len(images), -1)` keeps the first axis and lets NumPy work out the other (784).",
    )
    solution_code = """
def flatten_images(images):
    return images.reshape(len(images), -1)
"""

    wrong_answers = (
        (lambda im: im.ravel(), "one long vector"), (lambda im: im.reshape(len(im), -1).T, "swapped"),
        (lambda im: im.transpose(0, 2, 1).reshape(len(im), -1), "column by column"),
        (lambda im: im.reshape(len(im), 28, 28), "should be (3, 784)"),
        (lambda im: im.reshape(len(im), -1).tolist(), "NumPy array"),
        (lambda im: im.reshape(len(im), -1)[:, ::-1], "reading order"),
        (lambda im: (im.fill(0), im.reshape(len(im), -1))[1], "changed its input"),
        (lambda im: im.reshape(len(im), -1) / 255, "values changed"),
    )

    def check_answer(self, answer):
        images = np.arange(3 * 28 * 28, dtype=np.int64).reshape(3, 28, 28) % 256
        result = asserts.array(asserts.call_with(answer, images, names=("images",)), "flatten_images(images)",
                               numpy_only=True)
        if result.shape == (3 * 28 * 28,):
            raise Incorrect("everything ended up in one long vector; keep one row per image: shape (3, 784)")
        if result.shape == (784, 3):
            raise Incorrect("the axes are swapped: one ROW per image, shape (3, 784), not (784, 3)")
        if result.shape != (3, 784):
            raise Incorrect(f"for 3 images of 28x28 the shape should be (3, 784), got {result.shape}")
        if not np.array_equal(np.sort(result, axis=None), np.sort(images, axis=None)):
            raise Incorrect("the values changed: flattening only rearranges each image's pixels, every grey level "
                            "stays as it was")
        if np.array_equal(result, images.transpose(0, 2, 1).reshape(3, -1)):
            raise Incorrect("each image was read column by column; reshape reads it row by row, as Keras' "
                            "Flatten() does")
        if not np.array_equal(result, images.reshape(3, -1)):
            raise Incorrect("the pixels are not in reading order: row 0 of the image first, then row 1, ...")
        return "Keras' Flatten() layer does the same to each image of a batch."


PROBLEMS = [PixelCount, ToUnitRange, CountPerClass, FlattenImages]

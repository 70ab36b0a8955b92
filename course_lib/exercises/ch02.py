"""Chapter 02 exercises: neural networks from scratch, and a Keras classifier to debug."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import asserts, keras_checks
from course_lib.exercises.core import Incorrect, Problem, call


def _naive_bce(z, y):
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _clipped_bce(z, y):
    p = np.clip(1 / (1 + np.exp(-np.clip(z, -500, 500))), 1e-7, 1 - 1e-7)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def _clipping_in_place(z, y):
    np.clip(z, -50, 50, out=z)   # 'keeps exp from overflowing', and changes the caller's logits
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


def _stable_bce(z, y):
    """Mean binary cross-entropy of sigmoid(z) against 0/1 labels y, without overflow."""
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))


class BinaryCrossEntropyFromLogits(Problem):
    title = "Binary cross-entropy from logits, without overflow"
    answer_name = "binary_cross_entropy"
    hints = (
        "With p = sigmoid(z), the loss of one example is -[y log p + (1 - y) log(1 - p)]; average it over the "
        "batch. Computed that way, log(1 - p) is log(0) = -inf once z is above about 37.",
        "Rewrite it without p: loss = max(z, 0) - z * y + log(1 + exp(-|z|)). `np.log1p(np.exp(-np.abs(z)))` "
        "never overflows, because -|z| <= 0.",
    )
    solution_code = """
import numpy as np

def binary_cross_entropy(logits, labels):
    z, y = np.asarray(logits, dtype=float), np.asarray(labels, dtype=float)
    # -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], rearranged so that exp only sees -|z|
    return np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
"""
    wrong_answers = (
        (_naive_bce, "overflows"),
        (lambda z, y: _stable_bce(z, y) * len(y), "SUM"),
        (lambda z, y: _clipped_bce(z, y), "clipping"),
        (lambda z, y: -_stable_bce(z, y), "sign is flipped"),
        (lambda z, y: _stable_bce(z, 1 - y), "labels are swapped"),
        (lambda z, y: np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), "one number"),
        (lambda z, y: print(_stable_bce(z, y)), "returned None"),
        (_clipping_in_place, "changed its input logits"),
    )

    def check_answer(self, answer):
        logits = np.array([2.0, -1.0, 0.5, -3.0, 0.0, 4.0])
        labels = np.array([1, 0, 0, 1, 1, 1])
        expected = float(_stable_bce(logits, labels))
        with np.errstate(all="ignore"):
            value = asserts.number(asserts.call_with(answer, logits.copy(), labels.copy(), names=("logits", "labels")),
                                   "binary_cross_entropy(logits, labels)")
        if np.isclose(value, expected * len(labels)):
            raise Incorrect(f"you returned the SUM over the batch ({value:.4f}); return the mean ({expected:.4f})")
        if np.isclose(value, -expected):
            raise Incorrect("the sign is flipped: the loss is MINUS the log-probability, so it is >= 0")
        if np.isclose(value, _stable_bce(logits, 1 - labels)):
            raise Incorrect("the labels are swapped: y = 1 goes with log sigmoid(z), y = 0 with log(1 - sigmoid(z))")
        asserts.close(value, expected, "for a small example the loss")
        big = logits * 400.0
        with np.errstate(all="ignore"):
            value = asserts.number(asserts.call_with(answer, big.copy(), labels.copy(), names=("logits", "labels")),
                                   "binary_cross_entropy(logits, labels)")
        if not np.isfinite(value):
            raise Incorrect(f"with logits in the hundreds the loss is {value}: exp overflows and log(1 - p) is "
                            "log(0). Use max(z, 0) - z * y + log1p(exp(-|z|))")
        clipped = np.clip(1 / (1 + np.exp(-np.clip(big, -500, 500))), 1e-7, 1 - 1e-7)
        if np.isclose(value, -np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped)), rtol=1e-3):
            raise Incorrect("clipping p to [1e-7, 1 - 1e-7] keeps the loss finite but caps each confident mistake "
                            "at -log(1e-7), about 16; rewrite the loss without p: max(z, 0) - z * y + "
                            "log1p(exp(-|z|))")
        asserts.close(value, _stable_bce(big, labels), "with logits in the hundreds the loss", rtol=1e-6)
        return "keras.losses.BinaryCrossentropy(from_logits=True) computes the same, just as stably."


def _tanh_backward(X, W, b, dA, derivative=lambda A: 1 - A ** 2, bias=np.sum):
    A = np.tanh(X @ W + b)
    dZ = dA * derivative(A)
    return X.T @ dZ, bias(dZ, axis=0), dZ @ W.T


class TanhDenseBackward(Problem):
    title = "The backward pass of a dense layer with a tanh activation"
    answer_name = "tanh_dense_backward"
    hints = (
        "Forward: Z = X W + b, A = tanh(Z). You get dA (the gradient of the loss with respect to A). First pass "
        "it through the tanh: dZ = dA * tanh'(Z), and tanh'(Z) = 1 - tanh(Z)^2 = 1 - A^2. Then the dense layer, "
        "as in section 4.",
        "`A = np.tanh(X @ W + b)`; `dZ = dA * (1 - A ** 2)`; return `X.T @ dZ, dZ.sum(axis=0), dZ @ W.T`.",
    )
    solution_code = """
import numpy as np

def tanh_dense_backward(X, W, b, dA):
    A = np.tanh(X @ W + b)          # the forward pass again: (n, k)
    dZ = dA * (1 - A ** 2)          # tanh'(Z) = 1 - tanh(Z)^2
    return X.T @ dZ, dZ.sum(axis=0), dZ @ W.T   # dW (d, k), db (k,), dX (n, d)
"""
    wrong_answers = (
        (lambda X, W, b, dA: (X.T @ dA, dA.sum(0), dA @ W.T), "through the tanh"),
        (lambda X, W, b, dA: _tanh_backward(X, W, b, dA, derivative=lambda A: 1 - A), "1 - A ** 2"),
        (lambda X, W, b, dA: _tanh_backward(X, W, b, dA, derivative=lambda A: A > 0), "ReLU"),
        (lambda X, W, b, dA: _tanh_backward(X, W, b, dA, bias=np.mean), "SUM"),
        (lambda X, W, b, dA: _tanh_backward(X, W, b, dA)[::-1][1:], "3 things"),
        (lambda X, W, b, dA: (W.T @ X, dA.sum(0), dA @ W.T), "matrix product A @ B failed"),
    )

    def check_answer(self, answer):
        rng = np.random.default_rng(1)
        X, W, b, dA = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(5, 4))
        result = asserts.parts(asserts.call_with(answer, X, W, b, dA, names=("X", "W", "b", "dA")),
                               "tanh_dense_backward(X, W, b, dA)", ("dW", "db", "dX"))
        dW, db, dX = (asserts.array(r, name) for r, name in zip(result, ("dW", "db", "dX"), strict=True))
        A = np.tanh(X @ W + b)
        dZ = dA * (1 - A ** 2)
        if dW.shape == W.shape and np.allclose(dW, X.T @ dA):
            raise Incorrect("the gradient did not go through the tanh: dZ = dA * (1 - A ** 2) comes first, then "
                            "dW = X.T @ dZ")
        if dW.shape == W.shape and np.allclose(dW, X.T @ (dA * (1 - A))):
            raise Incorrect("tanh'(Z) is 1 - tanh(Z)^2, that is 1 - A ** 2, not 1 - A")
        if dW.shape == W.shape and np.allclose(dW, X.T @ (dA * (A > 0))):
            raise Incorrect("that is the ReLU's derivative (section 4); this layer uses tanh: 1 - A ** 2")
        asserts.close(dW, X.T @ dZ, "dW")
        if db.shape == (4,) and np.allclose(db, dZ.mean(axis=0)):
            raise Incorrect("db is the mean of dZ; the bias is added to every example, so its gradient is the SUM")
        asserts.close(db, dZ.sum(axis=0), "db")
        asserts.close(dX, dZ @ W.T, "dX")
        return "the same gradients TensorFlow's autodiff gives (a test compares them with tf.GradientTape)."


class DenseParameterCount(Problem):
    title = "Count the parameters of a stack of dense layers"
    answer_name = "count_dense_params"
    hints = (
        "A dense layer from n_in to n_out units has a weight matrix (n_in x n_out) and one bias per output.",
        "Sum n_in * n_out + n_out over consecutive pairs: zip(sizes[:-1], sizes[1:]).",
    )
    solution_code = """
def count_dense_params(layer_sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]))
"""

    wrong_answers = (
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:], strict=True)), "only the weights"),
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:], strict=True)) + sum(s), "input layer"),
        (lambda s: int(np.prod(s)), "expected 2410"), (lambda s: float(2410), "whole number"),
        (lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:], strict=True)) / 1, "whole number"),
    )

    def check_answer(self, answer):
        for sizes, expected in (([64, 32, 10], 2410), ([784, 128, 64, 10], 109386), ([3, 1], 4)):
            result = asserts.whole_number(call(answer, list(sizes)), "count_dense_params(layer_sizes)")
            weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
            if result == weights:
                raise Incorrect(f"for {sizes} you counted only the weights ({weights}); add one bias per unit")
            if result == weights + sum(sizes):
                raise Incorrect(f"for {sizes} you gave the input layer biases too; only layers that compute "
                                "(all but the first) have biases")
            if result != expected:
                raise Incorrect(f"for layer sizes {sizes} expected {expected}, got {result}")
        return "the same number as model.count_params() for these Dense stacks."



_BROKEN_CLASSIFIER = """
def make_digit_classifier():
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
"""


def _classifier(loss="sparse_categorical_crossentropy", softmax=True, hidden="relu", lr=0.01, from_logits=False):
    """A variant of the digit classifier, for the wrong answers."""
    def make_digit_classifier():
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(64,)), layers.Dense(32, activation=hidden),
                                  layers.Dense(10, activation="softmax" if softmax else None)])
        if from_logits:
            loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        else:
            loss_fn = loss
        model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss_fn, metrics=["accuracy"])
        return model
    return make_digit_classifier


class DebugDigitClassifier(Problem):
    title = "Debug a Keras digit classifier that will not train"
    kind = "debug"
    answer_name = "make_digit_classifier"
    given_code = _BROKEN_CLASSIFIER
    hints = (
        "Run the check on the listing as it is and read the message. The labels y_train are integers 0..9, one "
        "per image, not one-hot rows: which loss expects that?",
        "Two faults, both in the last lines. Keras has a second categorical cross-entropy, for labels given as "
        "class numbers (its name says so). And that loss reads the model's outputs as probabilities, while a "
        "Dense layer without an activation gives raw scores: either the layer or the loss has to know which "
        "one it is.",
    )
    solution_code = """
import keras

def make_digit_classifier():
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),       # probabilities, as the loss below expects
    ])
    model.compile(optimizer="adam",
                  loss="sparse_categorical_crossentropy",   # integer labels 0..9, not one-hot rows
                  metrics=["accuracy"])
    return model
"""
    wrong_answers = (
        (lambda: keras_checks.define_with_keras(_BROKEN_CLASSIFIER, "make_digit_classifier")(), "integer labels"),
        (_classifier(loss="categorical_crossentropy"), "integer labels"),
        (_classifier(softmax=False), "raw scores"),
        (_classifier(from_logits=True), "a second time"),
        (_classifier(loss="mse"), "sparse_categorical_crossentropy"),
        (_classifier(hidden="relu", lr=1e-6), "reached only"),
        (lambda: None, "returned None"),
    )

    def check_answer(self, answer):

        from course_lib.data import load_digits

        model = keras_checks.built_model(answer)
        (images_train, labels), _ = load_digits()
        X = images_train.reshape(len(images_train), -1) / 16.0
        n_fit = int(len(X) * 0.8)   # the chapter's split: validation_split=0.2 holds out the last 20%
        X_train, y_train, X_val, y_val = X[:n_fit], labels[:n_fit], X[n_fit:], labels[n_fit:]
        output = keras_checks.output_shape(model, X_val[:4], (4, 10))
        loss = keras_checks.loss_name(model)
        if not loss:
            raise Incorrect("the model is not compiled: call model.compile(optimizer=..., loss=..., "
                            "metrics=['accuracy']) before returning it")
        if loss in ("categorical_crossentropy", "categorical_focal_crossentropy"):
            raise Incorrect("fit() stops with 'Arguments target and output must have the same rank': "
                            "categorical_crossentropy expects one-hot label rows of shape (n, 10), but y_train holds "
                            "integer labels 0..9, shape (n,). Look at the loss in model.compile: which one reads "
                            "integer labels?")
        if loss != "sparse_categorical_crossentropy":
            raise Incorrect(f"the loss is {loss!r}; a 10-class classifier with integer labels trains on "
                            "'sparse_categorical_crossentropy'")
        from_logits = bool(getattr(model.loss, "from_logits", False))
        probabilities = np.all(output >= 0) and np.allclose(output.sum(axis=1), 1.0, atol=1e-4)
        if not from_logits and not probabilities:
            raise Incorrect("the last layer gives raw scores (logits: rows with negative values that do not sum to "
                            "1), but the loss reads its outputs as probabilities over the 10 classes. Look at the "
                            "last Dense layer and the loss: one of them has to know which of the two it is")
        if from_logits and probabilities:
            raise Incorrect("the last layer already outputs probabilities (softmax), and the loss, told "
                            "from_logits=True, applies a softmax to them a second time: keep one of the two")
        keras_checks.fit_briefly(model, X_train, y_train, epochs=20, batch_size=32)
        accuracy = float(np.mean(np.argmax(model.predict(X_val, verbose=0), axis=1) == y_val))
        if accuracy < 0.9:
            raise Incorrect(f"it trains now, but after 20 epochs it reached only {accuracy:.2f} accuracy on the "
                            "validation digits (the fixed listing reaches 0.9); keep the rest of the listing as it "
                            "was (32 ReLU units, Adam's defaults)")
        return (f"it trains: {accuracy:.2f} accuracy on the validation digits after 20 epochs. The listing as given "
                "stops in fit() with 'Arguments target and output must have the same rank'; given one-hot labels "
                "instead, it runs, but its loss treats the raw logits as probabilities.")


def _f_beta(formula):
    def f_beta(y_true, y_pred, beta):
        tp = np.sum((y_pred == 1) & (y_true == 1))
        return formula(tp / np.sum(y_pred == 1), tp / np.sum(y_true == 1), beta)
    return f_beta


class FBeta(Problem):
    title = "The F-beta score: when recall matters more than precision"
    answer_name = "f_beta"
    hints = (
        "Section 8's precision TP / (TP + FP) and recall TP / (TP + FN), with class 1 as the positive class. "
        "F-beta = (1 + beta^2) P R / (beta^2 P + R): beta = 1 gives F1, beta = 2 weighs recall more.",
        "`(1 + beta ** 2) * p * r / (beta ** 2 * p + r)`; the beta^2 multiplies the PRECISION in the denominator.",
    )
    solution_code = """
import numpy as np

def f_beta(y_true, y_pred, beta):
    tp = np.sum((y_pred == 1) & (y_true == 1))
    precision = tp / np.sum(y_pred == 1)
    recall = tp / np.sum(y_true == 1)
    return (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall)
"""
    wrong_answers = (
        (_f_beta(lambda p, r, b: (1 + b ** 2) * p * r / (b ** 2 * r + p)), "swapped"),
        (_f_beta(lambda p, r, b: (1 + b) * p * r / (b * p + r)), "beta SQUARED"),
        (_f_beta(lambda p, r, b: 2 * p * r / (p + r)), "ignores beta"),
        (_f_beta(lambda p, r, b: (p + r) / 2), "expected 0.682"),
        (lambda y, p, b: print("F", b), "returned None"),
    )

    def check_answer(self, answer):
        y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        y_pred = np.array([1, 1, 1, 0, 1, 1, 1, 0, 0, 0])  # TP 3, FP 3, FN 1: precision 0.5, recall 0.75
        p, r = 0.5, 0.75
        for beta in (2.0, 0.5, 1.0):
            value = asserts.number(asserts.call_with(answer, y_true, y_pred, beta, names=("y_true", "y_pred")),
                                   "f_beta(y_true, y_pred, beta)")
            expected = (1 + beta ** 2) * p * r / (beta ** 2 * p + r)
            if beta != 1 and np.isclose(value, (1 + beta ** 2) * p * r / (beta ** 2 * r + p)):
                raise Incorrect(f"for beta={beta} you gave {value:.3f}: precision and recall are swapped in the "
                                "denominator; it is beta^2 * precision + recall, so a large beta favours recall")
            if beta != 1 and np.isclose(value, (1 + beta) * p * r / (beta * p + r)):
                raise Incorrect("use beta SQUARED: (1 + beta^2) P R / (beta^2 P + R)")
            if beta != 1 and np.isclose(value, 0.6):
                raise Incorrect(f"for beta={beta} you gave 0.6, the F1 score: your formula ignores beta")
            if not np.isclose(value, expected):
                raise Incorrect(f"with precision 0.5 and recall 0.75, beta={beta}: expected {expected:.3f}, got "
                                f"{value:.3f}")
        return "sklearn.metrics.fbeta_score(y_true, y_pred, beta=2) gives the same."


PROBLEMS = [BinaryCrossEntropyFromLogits, TanhDenseBackward, DenseParameterCount, DebugDigitClassifier,
            FBeta]

"""Chapter 02 exercises: neural networks from scratch."""

from __future__ import annotations

import numbers

import numpy as np

from course_lib.exercises.core import Incorrect, Problem, call, is_whole_number


def _reference_ce(logits: np.ndarray, labels: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def _number(result, what: str) -> float:
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.item()
    if isinstance(result, bool) or not isinstance(result, numbers.Real):
        raise Incorrect(f"{what} should be one number, got {type(result).__name__}")
    return float(result)


class SoftmaxCrossEntropy(Problem):
    title = "A numerically stable softmax cross-entropy"
    answer_name = "softmax_cross_entropy"
    hints = (
        "Loss = mean over examples of -log softmax(logits)[label]. Compute log-softmax directly: "
        "log p_k = z_k - log(sum_j exp(z_j)).",
        "Subtract each row's maximum logit first (softmax does not change), so exp never overflows: "
        "`z = logits - logits.max(axis=1, keepdims=True)`.",
    )
    solution_code = """
import numpy as np

def softmax_cross_entropy(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)          # stable: the largest logit becomes 0
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(labels)), labels].mean()
"""

    def check_answer(self, answer):
        logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 3.0], [1.0, 1.0, 1.0]])
        labels = np.array([0, 1, 0, 2])
        expected = _reference_ce(logits, labels)
        with np.errstate(all="ignore"):
            value = _number(call(answer, logits, labels), "the loss")
        if np.isclose(value, expected * len(labels)):
            raise Incorrect(f"you returned the SUM over the batch ({value:.4f}); return the mean ({expected:.4f})")
        if np.isclose(value, -expected):
            raise Incorrect("the sign is flipped: the loss is MINUS the log-probability, so it is >= 0")
        if not np.isclose(value, expected, atol=1e-6):
            raise Incorrect(f"for a small example expected {expected:.6f}, got {value:.6f}. Take -log p of the "
                            "label's class only, averaged over examples")
        big = logits * 500.0
        with np.errstate(all="ignore"):
            value = _number(call(answer, big, labels), "the loss")
        if not np.isfinite(value):
            raise Incorrect(f"with logits around 1000 the loss is {value}: exp overflows. Subtract each row's "
                            "maximum before exponentiating")
        if not np.isclose(value, _reference_ce(big, labels), rtol=1e-6):
            raise Incorrect(f"with large logits expected {_reference_ce(big, labels):.4f}, got {value:.4f}")
        return "stable even for logits in the thousands; keras.losses.SparseCategoricalCrossentropy" \
               "(from_logits=True) does the same."


class DenseBackward(Problem):
    title = "One backward step through a dense layer Z = X W + b"
    answer_name = "dense_backward"
    hints = (
        "Chain rule with shapes: X (n, d), W (d, k), dZ (n, k). dW must be (d, k), db (k,), dX (n, d).",
        "dW = X.T @ dZ, db = dZ.sum(axis=0), dX = dZ @ W.T.",
    )
    solution_code = """
def dense_backward(X, W, dZ):
    dW = X.T @ dZ          # (d, n) @ (n, k) -> (d, k)
    db = dZ.sum(axis=0)    # each example adds its share of the bias gradient
    dX = dZ @ W.T          # (n, k) @ (k, d) -> (n, d), passed on to the layer below
    return dW, db, dX
"""

    def check_answer(self, answer):
        rng = np.random.default_rng(1)
        X, W, dZ = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
        result = call(answer, X, W, dZ)
        if not isinstance(result, tuple | list) or len(result) != 3:
            raise Incorrect("return three arrays: (dW, db, dX)")
        dW, db, dX = (np.asarray(r) for r in result)
        if dW.shape == (4, 3):
            raise Incorrect("dW has shape (4, 3), the transpose of W's (3, 4): use X.T @ dZ")
        if dW.shape != W.shape:
            raise Incorrect(f"dW must have W's shape {W.shape}, got {dW.shape}")
        if not np.allclose(dW, X.T @ dZ):
            raise Incorrect("dW is wrong: each weight W[i, j] gets sum over examples of X[:, i] * dZ[:, j]")
        if db.shape != (4,):
            raise Incorrect(f"db must have shape (4,), one entry per output unit, got {db.shape}")
        if np.allclose(db, dZ.mean(axis=0)):
            raise Incorrect("db is the mean of dZ; the bias is added to every example, so its gradient is the SUM")
        if not np.allclose(db, dZ.sum(axis=0)):
            raise Incorrect("db is wrong: sum dZ over the batch axis (axis=0)")
        if dX.shape != X.shape:
            raise Incorrect(f"dX must have X's shape {X.shape}, got {dX.shape}: use dZ @ W.T")
        if not np.allclose(dX, dZ @ W.T):
            raise Incorrect("dX is wrong: dX = dZ @ W.T")
        return None


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

    def check_answer(self, answer):
        for sizes, expected in (([64, 32, 10], 2410), ([784, 128, 64, 10], 109386), ([3, 1], 4)):
            result = call(answer, list(sizes))
            if not is_whole_number(result):
                raise Incorrect(f"return a whole number, got {type(result).__name__}")
            weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
            if result == weights:
                raise Incorrect(f"for {sizes} you counted only the weights ({weights}); add one bias per unit")
            if result == weights + sum(sizes):
                raise Incorrect(f"for {sizes} you gave the input layer biases too; only layers that compute "
                                "(all but the first) have biases")
            if result != expected:
                raise Incorrect(f"for layer sizes {sizes} expected {expected}, got {result}")
        return "the same number as model.count_params() for these Dense stacks."


class AdamStep(Problem):
    title = "One Adam update, written out"
    answer_name = "adam_step"
    hints = (
        "m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g**2; correct both for their zero start: "
        "m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t).",
        "w_new = w - lr * m_hat / (sqrt(v_hat) + eps); return (w_new, m, v) with the UNcorrected m and v.",
    )
    solution_code = """
import numpy as np

def adam_step(w, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
"""

    @staticmethod
    def _reference(w, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, correct=True):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat, v_hat = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if correct else (m, v)
        return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

    def check_answer(self, answer):
        w, g = np.array([0.5, -1.0, 2.0]), np.array([0.1, -0.3, 0.02])
        m, v = np.zeros(3), np.zeros(3)
        result = call(answer, w.copy(), g, m.copy(), v.copy(), 1, lr=0.01)
        if not isinstance(result, tuple | list) or len(result) != 3:
            raise Incorrect("return three arrays: (w_new, m, v)")
        w_new, m_new, v_new = (np.asarray(r, dtype=float) for r in result)
        exp_w, exp_m, exp_v = self._reference(w, g, m, v, 1, lr=0.01)
        if np.allclose(v_new, 0.001 * g):
            raise Incorrect("v averages the SQUARED gradient: (1 - beta2) * g ** 2")
        if not np.allclose(m_new, exp_m) or not np.allclose(v_new, exp_v):
            raise Incorrect("m or v is wrong: m = beta1*m + (1-beta1)*g, v = beta2*v + (1-beta2)*g**2 "
                            "(return them before bias correction)")
        if np.allclose(w_new, 2 * w - exp_w):
            raise Incorrect("w moved uphill: subtract the step (w - lr * ...), do not add it")
        if np.allclose(w_new, self._reference(w, g, m, v, 1, lr=0.01, correct=False)[0]):
            raise Incorrect("no bias correction: at t=1, m and v are tiny because they start at 0; divide by "
                            "(1 - beta1**t) and (1 - beta2**t)")
        if not np.allclose(w_new, exp_w):
            raise Incorrect(f"at t=1 with lr=0.01 expected w_new = {np.round(exp_w, 6).tolist()}, "
                            f"got {np.round(w_new, 6).tolist()}")
        # a later step, with state carried over
        state = (np.array([0.01, 0.02, -0.03]), np.array([1e-4, 2e-4, 3e-4]))
        got = np.asarray(call(answer, w.copy(), g, state[0].copy(), state[1].copy(), 7)[0], dtype=float)
        if not np.allclose(got, self._reference(w, g, *state, 7)[0]):
            raise Incorrect("right at t=1 but wrong at t=7: the bias correction uses beta ** t with the given t")
        return "each weight moves by about lr at first, whatever the gradient's scale: Adam's appeal."


class PrecisionRecallF1(Problem):
    title = "Precision, recall and F1 by hand"
    answer_name = "precision_recall_f1"
    hints = (
        "Count TP (predicted 1, truly 1), FP (predicted 1, truly 0) and FN (predicted 0, truly 1). "
        "Precision = TP / (TP + FP); recall = TP / (TP + FN).",
        "F1 is the harmonic mean: 2 * precision * recall / (precision + recall).",
    )
    solution_code = """
import numpy as np

def precision_recall_f1(y_true, y_pred):
    tp = np.sum((y_pred == 1) & (y_true == 1))
    fp = np.sum((y_pred == 1) & (y_true == 0))
    fn = np.sum((y_pred == 0) & (y_true == 1))
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    return precision, recall, 2 * precision * recall / (precision + recall)
"""

    def check_answer(self, answer):
        y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        y_pred = np.array([1, 1, 1, 0, 1, 1, 1, 0, 0, 0])  # TP 3, FP 3, FN 1
        result = call(answer, y_true, y_pred)
        if not isinstance(result, tuple | list) or len(result) != 3:
            raise Incorrect("return three numbers: (precision, recall, f1)")
        precision, recall, f1 = (_number(r, name) for r, name in zip(result, ("precision", "recall", "f1"),
                                                                       strict=True))
        if np.isclose(precision, 0.75) and np.isclose(recall, 0.5):
            raise Incorrect("precision and recall are swapped: precision asks 'of the predicted positives, how "
                            "many are right?' = TP / (TP + FP)")
        if not np.isclose(precision, 0.5):
            raise Incorrect(f"precision should be TP / (TP + FP) = 3 / 6 = 0.5, got {precision:.4f}")
        if not np.isclose(recall, 0.75):
            raise Incorrect(f"recall should be TP / (TP + FN) = 3 / 4 = 0.75, got {recall:.4f}")
        if np.isclose(f1, 0.625):
            raise Incorrect("that is the arithmetic mean; F1 is the HARMONIC mean, 2PR / (P + R)")
        if not np.isclose(f1, 0.6):
            raise Incorrect(f"F1 = 2 * 0.5 * 0.75 / (0.5 + 0.75) = 0.6, got {f1:.4f}")
        return None


PROBLEMS = [SoftmaxCrossEntropy, DenseBackward, DenseParameterCount, AdamStep, PrecisionRecallF1]

"""Every exercise checker, both ways: the reference solution passes, plausible wrong answers fail with a
useful message; plus the engine itself (placeholders, crashes, hints, progress file)."""

import json

import numpy as np
import pytest

from course_lib.exercises import (
    CORRECT,
    INCORRECT,
    NOT_ATTEMPTED,
    available_chapters,
    chapter,
)
from course_lib.exercises.ch03 import _cross_correlate
from course_lib.progress import load, progress_path


@pytest.fixture(autouse=True)
def private_progress(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS", str(path))
    return path


def reference(problem):
    """The learner-facing solution code, executed: the object it defines."""
    namespace = {}
    exec(problem.solution_code, namespace)
    return namespace[problem.answer_name]


ALL_PROBLEMS = [(c, p.question) for c in available_chapters() for p in chapter(c).problems]


@pytest.mark.parametrize("chapter_id, question", ALL_PROBLEMS)
def test_reference_solution_passes(chapter_id, question):
    problem = getattr(chapter(chapter_id), question)
    outcome = problem.evaluate(reference(problem))
    assert outcome.status == CORRECT, outcome.message


@pytest.mark.parametrize("chapter_id, question", ALL_PROBLEMS)
def test_every_problem_is_documented(chapter_id, question):
    problem = getattr(chapter(chapter_id), question)
    assert problem.title and problem.answer_name and problem.hints and problem.solution_code.strip()


# ------------------------------------------------------------------------------ plausible wrong answers
class SharedRunningMean:  # state as a class attribute: every object shares it
    values = []

    def update(self, value):
        self.values.append(value)

    @property
    def mean(self):
        return sum(self.values) / len(self.values) if self.values else 0.0


class HalvingRunningMean:  # mean = (mean + value) / 2
    def __init__(self):
        self.mean = 0.0

    def update(self, value):
        self.mean = (self.mean + value) / 2


class MethodRunningMean:  # mean() as a method
    def __init__(self):
        self.values = []

    def update(self, value):
        self.values.append(value)

    def mean(self):
        return float(np.mean(self.values))


class CrashingRunningMean:  # mean divides by zero before the first update
    def __init__(self):
        self.total, self.count = 0.0, 0

    def update(self, value):
        self.total += value
        self.count += 1

    @property
    def mean(self):
        return self.total / self.count


def _naive_ce(logits, labels):
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.log(probs[np.arange(len(labels)), labels]).mean()


def _adam(correct=True, square=True, sign=-1):
    def step(w, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * (g ** 2 if square else g)
        m_hat, v_hat = (m / (1 - beta1 ** t), v / (1 - beta2 ** t)) if correct else (m, v)
        return w + sign * lr * m_hat / (np.sqrt(np.abs(v_hat)) + eps), m, v
    return step


def _prf(swap=False, arithmetic=False):
    def metric(y_true, y_pred):
        tp = np.sum((y_pred == 1) & (y_true == 1))
        fp = np.sum((y_pred == 1) & (y_true == 0))
        fn = np.sum((y_pred == 0) & (y_true == 1))
        p, r = tp / (tp + fp), tp / (tp + fn)
        if swap:
            p, r = r, p
        return p, r, (p + r) / 2 if arithmetic else 2 * p * r / (p + r)
    return metric


def _conv_flipped(image, kernel):  # the textbook convolution: the kernel flipped
    return _cross_correlate(image, kernel[::-1, ::-1])


def _lstm_variant(x_t, h_prev, c_prev, W, U, b, swap_gates=False, no_tanh_c=False):
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    u = h_prev.shape[-1]
    z = x_t @ W + h_prev @ U + b
    i, f = sig(z[:, :u]), sig(z[:, u:2 * u])
    if swap_gates:
        i, f = f, i
    c = f * c_prev + i * np.tanh(z[:, 2 * u:3 * u])
    return sig(z[:, 3 * u:]) * (c if no_tanh_c else np.tanh(c)), c


def _attention_variant(scale=None, mask_mode="use", axis=-1):
    def attention(q, k, v, mask=None):
        scores = q @ np.swapaxes(k, -1, -2) / (np.sqrt(q.shape[-1]) if scale is None else scale)
        if mask is not None and mask_mode != "ignore":
            scores = np.where(~mask if mask_mode == "invert" else mask, scores, -1e9)
        weights = np.exp(scores - scores.max(axis=axis, keepdims=True))
        weights = weights / weights.sum(axis=axis, keepdims=True)
        return weights @ v, weights
    return attention


def _pe_variant(swap=False, own_frequency=False):
    def pe(length, depth):
        columns = np.arange(depth) if own_frequency else np.repeat(np.arange(0, depth, 2), 2)
        angles = np.arange(length)[:, None] / 10000 ** (columns[None, :] / depth)
        out = np.where(np.arange(depth) % 2 == (1 if swap else 0), np.sin(angles), np.cos(angles))
        return out
    return pe


def _relu_in_place(x):
    x[x < 0] = 0
    return x


NEGATIONS = {"no", "nor", "not", "never", "n't"}


def _keep(tokens, stop, negations=True):
    return [t for t in tokens if t not in stop or (negations and (t in NEGATIONS or t.endswith("n't")))]


def _analogy(target_of):
    """An analogy solver that builds the target with ``target_of(vectors, a, b, c)`` and may keep a, b, c."""
    def analogy(vectors, a, b, c, exclude=True):
        target = target_of(vectors, a, b, c)
        scores = {w: v @ target / (np.linalg.norm(v) * np.linalg.norm(target)) for w, v in vectors.items()
                  if not (exclude and w in (a, b, c))}
        return max(scores, key=scores.get)
    return analogy


def _known_sum(tokens, vectors):
    return np.sum([vectors[t] for t in tokens if t in vectors], axis=0)


def _mistakes(order):
    def most_confident_mistakes(y_true, p, k):
        wrong = np.flatnonzero((p >= 0.5).astype(int) != y_true)
        return wrong[order(p[wrong])][:k]
    return most_confident_mistakes


def _matrix(offset=0, reserved=2):
    def embedding_matrix(vocabulary, vectors, dim):
        matrix = np.zeros((len(vocabulary) - offset, dim))
        for i, word in enumerate(vocabulary):
            if i >= reserved and word in vectors:
                matrix[i - offset] = vectors[word]
        return matrix
    return embedding_matrix


def _kernel(f):
    return lambda d, width: f(np.asarray(d, dtype=float), width)


def _perturb(first_only=False, invert=False):
    def perturb(tokens, words, mask):
        deleted = {w for w, keep in zip(words, mask, strict=True) if bool(keep) == invert}
        if first_only:
            kept, seen = [], set()
            for t in tokens:
                if t in deleted and t not in seen:
                    seen.add(t)
                    continue
                kept.append(t)
            return " ".join(kept)
        return " ".join(t for t in tokens if t not in deleted)
    return perturb


def _surrogate(row_weight=np.sqrt, intercept=True):
    def fit_surrogate(masks, targets, weights):
        X = np.column_stack([np.ones(len(masks)), masks]) if intercept else masks
        r = row_weight(weights)
        solution = np.linalg.lstsq(X * r[:, None], targets * r, rcond=None)[0]
        return (solution[1:], solution[0]) if intercept else (solution, 0.0)
    return fit_surrogate


def _overlap(key, jaccard=False, share=True):
    def top_k_overlap(a, b, k):
        top_a = {w for w, _ in sorted(a.items(), key=lambda item: key(item[1]))[:k]}
        top_b = {w for w, _ in sorted(b.items(), key=lambda item: key(item[1]))[:k]}
        common = len(top_a & top_b)
        return common / len(top_a | top_b) if jaccard else (common / k if share else common)
    return top_k_overlap


WRONG = {
    ("00", "q1"): [(56, "rows TIMES columns"), (28, "one side"), (2352, "greyscale"), ("784", "whole number"),
                   (700, "not the number of cells")],
    ("00", "q2"): [(lambda im: im // 255, "true division"), (lambda im: im / 255.0, "float32"),
                   (lambda im: im, "divide by 255"), (lambda im: im.astype("float32") / 256, "differ"),
                   (lambda im: (im / 255.0).astype("float32").ravel(), "shape changed")],
    ("00", "q3"): [(lambda y: np.bincount(y), "always return 10"), (lambda y: np.unique(y), "distinct labels"),
                   (lambda y: dict(zip(*np.unique(y, return_counts=True), strict=True)), "dict"),
                   (lambda y: np.bincount(y, minlength=10) / len(y), "counts should be")],
    ("00", "q4"): [(lambda im: im.ravel(), "one long vector"), (lambda im: im.reshape(len(im), -1).T, "swapped"),
                   (lambda im: im.transpose(0, 2, 1).reshape(len(im), -1), "column by column"),
                   (lambda im: im.reshape(len(im), 28, 28), "should be (3, 784)"),
                   (lambda im: im.reshape(len(im), -1).tolist(), "NumPy array"),
                   (lambda im: im.reshape(len(im), -1)[:, ::-1], "reading order"),
                   (lambda im: (im.fill(0), im.reshape(len(im), -1))[1], "changed the input array")],
    ("02", "q1"): [(_naive_ce, "exp overflows"),
                   (lambda z, y: _naive_ce(z - z.max(1, keepdims=True), y) * len(y), "SUM"),
                   (lambda z, y: -_naive_ce(z - z.max(1, keepdims=True), y), "sign is flipped"),
                   (lambda z, y: -np.log(np.exp(z) / np.exp(z).sum(1, keepdims=True)).mean(), "label's class")],
    ("02", "q2"): [(lambda X, W, dZ: (dZ.T @ X, dZ.sum(0), dZ @ W.T), "transpose"),
                   (lambda X, W, dZ: (X.T @ dZ, dZ.mean(0), dZ @ W.T), "SUM"),
                   (lambda X, W, dZ: (X.T @ dZ, dZ.sum(0), dZ @ W), "raised ValueError"),
                   (lambda X, W, dZ: (X.T @ dZ, dZ.sum(0)), "three arrays")],
    ("02", "q3"): [(lambda s: sum(a * b for a, b in zip(s[:-1], s[1:], strict=True)), "only the weights"),
                   (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:], strict=True)) + sum(s), "input layer"),
                   (lambda s: int(np.prod(s)), "expected 2410"), (lambda s: float(2410), "whole number")],
    ("02", "q4"): [(_adam(correct=False), "bias correction"), (_adam(square=False), "SQUARED"),
                   (_adam(sign=+1), "uphill"), (lambda w, g, m, v, t, **k: w - 0.01 * g, "three arrays")],
    ("02", "q5"): [(_prf(swap=True), "swapped"), (_prf(arithmetic=True), "HARMONIC"),
                   (lambda y, p: (np.mean(y == p),) * 3, "precision should be")],
    ("03", "q1"): [(lambda im, k: _conv_flipped(im, k), "flipped"),
                   (lambda im, k: np.zeros_like(im), "'same' padding"),
                   (lambda im, k: _conv_flipped(im, k[::-1, ::-1])[:-1], "gives shape"),
                   (lambda im, k: _conv_flipped(im, k[::-1, ::-1]) + 1.0, "output pixel (0, 0)")],
    ("03", "q2"): [(lambda n, k, padding=0, stride=1: (n + 2 * padding - k) // stride, "add 1"),
                   (lambda n, k, padding=0, stride=1: (n + 2 * padding - k) / stride + 1, "whole number"),
                   (lambda n, k, padding=0, stride=1: n - k + 1, "ignored the padding or the stride")],
    ("03", "q3"): [(93322 - 234, "biases"), (320 + 640 + 640 + 36928 + 650, "ALL input channels"),
                   (320 + 18496 + 36928 + 102464 + 650, "3x3 maps"), (93322.0, "whole number"),
                   (1_000_000, "count_params")],
    ("03", "q4"): [(lambda x: x[:6, :6].reshape(3, 2, 3, 2).mean(axis=(1, 3)), "average pooling"),
                   (lambda x: np.maximum(np.maximum(x[:-1, :-1], x[1:, :-1]), np.maximum(x[:-1, 1:], x[1:, 1:])),
                    "stride 1"),
                   (lambda x: np.pad(x, ((0, 1), (0, 0)))[:8, :6].reshape(4, 2, 3, 2).max(axis=(1, 3)), "padded"),
                   (lambda x: x[:6, :6].reshape(3, 2, 3, 2).min(axis=(1, 3)), "maximum of each")],
    ("04", "q1"): [(lambda x, h, Wx, Wh, b: x @ Wx + h @ Wh + b, "no activation"),
                   (lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + b), "previous hidden state"),
                   (lambda x, h, Wx, Wh, b: 1 / (1 + np.exp(-(x @ Wx + h @ Wh + b))), "tanh, not the sigmoid")],
    ("04", "q2"): [(lambda *a: _lstm_variant(*a, swap_gates=True), "swapped: Keras' order"),
                   (lambda *a: _lstm_variant(*a, no_tanh_c=True), "squash the cell state"),
                   (lambda *a: _lstm_variant(*a)[::-1], "h and c are swapped"),
                   (lambda *a: _lstm_variant(*a)[0], "two arrays")],
    ("04", "q3"): [(lambda d, u: d * u + u * u + u, "one gate"), (lambda d, u: 4 * (d * u + u), "recurrent"),
                   (lambda d, u: 4 * (d * u + u * u), "biases"), (lambda d, u: float(4 * (d * u + u * u + u)),
                                                                   "whole number")],
    ("04", "q4"): [(lambda seqs, n: np.array([[0] * (n - len(s[:n])) + s[:n] for s in seqs]), "front"),
                   (lambda seqs, n: np.array([(s[-n:] if s else []) + [0] * (n - len(s[-n:] if s else []))
                                              for s in seqs]), "first maxlen"),
                   (lambda seqs, n: np.array([s[:n] + [0.0] * (n - len(s[:n])) for s in seqs]), "integers")],
    ("05", "q1"): [(_attention_variant(scale=1.0), "not scaled"), (_attention_variant(scale=16.0), "square root"),
                   (_attention_variant(mask_mode="ignore"), "mask is ignored"),
                   (_attention_variant(mask_mode="invert"), "inverted"), (_attention_variant(axis=-2), "wrong axis"),
                   (lambda q, k, v, mask=None: _attention_variant()(q, k, v, mask)[0], "two arrays"),
                   (lambda q, k, v, mask=None: (_attention_variant()(q, k, v, mask)[1] @ v[..., :1],
                                                _attention_variant()(q, k, v, mask)[1]), "the output")],
    ("05", "q2"): [(lambda n: np.triu(np.ones((n, n), dtype=bool)), "upper triangle"),
                   (lambda n: np.tril(np.ones((n, n), dtype=bool), k=-1), "diagonal"),
                   (lambda n: np.tril(np.ones((n, n))), "booleans"), (lambda n: np.ones((n, n + 1), bool), "shape")],
    ("05", "q3"): [(_pe_variant(swap=True), "swapped"), (_pe_variant(own_frequency=True), "shares one frequency"),
                   (lambda length, depth: _pe_variant()(length, depth).T, "shape"),
                   (lambda length, depth: _pe_variant()(length + 1, depth)[1:], "row 0")],
    ("05", "q4"): [(lambda d, h: 3 * (d * d + d), "output projection"), (lambda d, h: 4 * d * d, "biases"),
                   (lambda d, h: 4 * (d * d + d) * h, "does not depend on num_heads"),
                   (lambda d, h: 4 * (d * d + d) // h, "does not depend"), (lambda d, h: 4.0 * (d * d + d), "whole")],
    ("06", "q1"): [(lambda words, vocab: np.eye(len(vocab))[[vocab.index(w) for w in words]].T, "(3, 5), not (5, 3)"),
                   (lambda words, vocab: np.ones((len(words), len(vocab))), "exactly one 1"),
                   (lambda words, vocab: np.eye(len(vocab))[[vocab.index(w) - 1 for w in words]], "expected [[")],
    ("06", "q2"): [(lambda u, v: np.dot(u, v), "dot product"),
                   (lambda u, v: np.dot(u, v) / np.dot(u, u), "squared norm"),
                   (lambda u, v: np.linalg.norm(u - v), "Euclidean"),
                   (lambda u, v: [np.dot(u, v)], "one number")],
    ("06", "q3"): [(lambda vectors, a, b, c: _analogy(lambda V, a, b, c: V[b] - V[a] + V[c])(vectors, a, b, c, False),
                    "question's words"),
                   (_analogy(lambda V, a, b, c: V[b] - V[c] + V[a]), "'prince'"),
                   (lambda vectors, a, b, c: vectors[b] - vectors[a] + vectors[c], "one word")],
    ("06", "q4"): [(lambda tokens, vectors, dim: _known_sum(tokens, vectors) / len(tokens), "3 known ones"),
                   (lambda tokens, vectors, dim: _known_sum(tokens, vectors), "the sum"),
                   (lambda tokens, vectors, dim: np.mean([vectors[t] for t in tokens if t in vectors], axis=0),
                    "np.zeros(dim)"),
                   (lambda tokens, vectors, dim: np.mean([vectors[t] for t in tokens], axis=0), "KeyError")],
    ("07", "q1"): [(lambda tokens, stop: _keep(tokens, stop, negations=False), "source's filter"),
                   (lambda tokens, stop: list(tokens), "nothing was removed"),
                   (lambda tokens, stop: sorted(_keep(tokens, stop)), "wrong order"),
                   (lambda tokens, stop: [t for t in tokens if t not in stop or t in ("no", "not")], "negations kept")],
    ("07", "q2"): [(lambda vocab, known: sum(w in known for w in vocab[2:]), "the count"),
                   (lambda vocab, known: sum(w in known for w in vocab) / len(vocab), "reserved entries"),
                   (lambda vocab, known: sum(w not in known for w in vocab[2:]) / len(vocab[2:]), "WITHOUT"),
                   (lambda vocab, known: 100 * sum(w in known for w in vocab[2:]) / len(vocab[2:]), "percentage")],
    ("07", "q3"): [(_matrix(offset=2), "including '' and '[UNK]'"), (_matrix(reserved=0), "must stay zero"),
                   (lambda vocab, vectors, dim: np.array([vectors[w] for w in vocab[2:]]), "KeyError"),
                   (lambda vocab, vectors, dim: np.roll(_matrix()(vocab, vectors, dim), 1, axis=0), "shifted")],
    ("07", "q4"): [(lambda y, p, k: np.argsort(-np.abs(p - 0.5), kind="stable")[:k], "right or wrong"),
                   (_mistakes(lambda p: np.argsort(-p, kind="stable")), "distance |p - 0.5|"),
                   (_mistakes(lambda p: np.argsort(np.abs(p - 0.5), kind="stable")), "least confident first"),
                   (lambda y, p, k: ["a"] * k, "indices")],
    ("08", "q1"): [(_kernel(lambda d, w: np.exp(-d ** 2 / w ** 2)), "square root is missing"),
                   (_kernel(lambda d, w: np.exp(-d / w)), "square the distance"),
                   (_kernel(lambda d, w: np.sqrt(np.exp(d ** 2 / w ** 2))), "sign of the exponent"),
                   (_kernel(lambda d, w: np.sqrt(np.exp(-d ** 2 / 25.0 ** 2))), "width you are given"),
                   (_kernel(lambda d, w: 1 - d / 100), "expected")],
    ("08", "q2"): [(_perturb(invert=True), "KEEPS the word"), (_perturb(first_only=True), "EVERY occurrence"),
                   (lambda tokens, words, mask: " ".join(t for t, keep in zip(tokens, list(mask) + [1, 1],
                                                                              strict=True) if keep),
                    "one entry per distinct word"),
                   (lambda tokens, words, mask: _perturb()(tokens, words, mask).split(), "one string"),
                   (lambda tokens, words, mask: "  ".join(_perturb()(tokens, words, mask).split()), "single spaces")],
    ("08", "q3"): [(_surrogate(row_weight=np.ones_like), "unweighted"),
                   (_surrogate(row_weight=lambda w: w), "weighted twice"),
                   (_surrogate(intercept=False), "intercept is missing"),
                   (lambda masks, targets, weights: _surrogate()(masks, targets, weights)[0], "return two things")],
    ("08", "q4"): [(_overlap(lambda w: -w), "not by the weight itself"),
                   (_overlap(lambda w: -abs(w), share=False), "divided by k"),
                   (_overlap(lambda w: -abs(w), jaccard=True), "Jaccard")],
    ("01", "q1"): [(lambda t: {w: t.split().count(w) for w in t.split()}, "lower-case"),
                   (lambda t: {c: t.count(c) for c in t}, "single characters"),
                   (lambda t: list(t.lower().split()), "expected a dict")],
    ("01", "q2"): [(SharedRunningMean, "share their data"), (HalvingRunningMean, "(mean + value) / 2"),
                   (MethodRunningMean, "@property"), (CrashingRunningMean, "ZeroDivisionError"),
                   (HalvingRunningMean(), "expected a class")],
    ("01", "q3"): [(_relu_in_place, "changed its input"), (np.abs, "abs"),
                   (lambda x: max(0, x), "raised ValueError"), (lambda x: np.maximum(x, 0).ravel(), "keep the shape")],
    ("01", "q4"): [(lambda X: (X - X.mean()) / X.std(), "axis=0"),
                   (lambda X: (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True), "each row"),
                   (lambda X: X - X.mean(axis=0), "std 1"), (lambda X: X / X.std(axis=0), "expected 0 and 1")],
    ("01", "q5"): [(lambda y, n: np.eye(n)[y].T, "transposed"), (lambda y, n: np.eye(y.max() + 1)[y], "num_classes"),
                   (lambda y, n: np.eye(n)[y - 1], "expected [[0")],
    ("01", "q6"): [(lambda A, B: np.sqrt(((A[:, None] - B[None]) ** 2).sum(-1)), "SQUARED"),
                   (lambda A, B: ((B[:, None] - A[None]) ** 2).sum(-1), "(m, n)"),
                   (lambda A, B: ((A - B) ** 2).sum(-1), "raised ValueError"),
                   (lambda A, B: (A[:, None] - B[None]).sum(-1) ** 2, "expected")],
}


@pytest.mark.parametrize("chapter_id, question", ALL_PROBLEMS)
def test_every_checker_has_at_least_two_wrong_answers_here(chapter_id, question):
    assert len(WRONG.get((chapter_id, question), [])) >= 2


@pytest.mark.parametrize("key, answer, message", [(k, a, m) for k, cases in WRONG.items() for a, m in cases])
def test_wrong_answer_is_rejected_with_a_specific_message(key, answer, message):
    outcome = getattr(chapter(key[0]), key[1]).evaluate(answer)
    assert outcome.status == INCORRECT
    assert message in outcome.message, outcome.message


# ------------------------------------------------------------------------------ the engine
def _stub(x):
    ...


def _pass_stub(x, y):
    """Docstring only."""


def _not_implemented(x):
    raise NotImplementedError


class EmptyClass:
    ...


@pytest.mark.parametrize("answer", [..., None, _stub, _pass_stub, _not_implemented, EmptyClass])
def test_placeholders_are_not_attempted(answer):
    problem = chapter("01").q3 if answer is not EmptyClass else chapter("01").q2
    outcome = problem.evaluate(answer)
    assert outcome.status == NOT_ATTEMPTED
    assert "replacing the `...`" in outcome.message


def test_check_prints_a_verdict_without_traceback(capsys):
    ex = chapter("01")
    ex.q3.check(lambda x: 1 / 0)
    out = capsys.readouterr().out
    assert "Incorrect: your function raised ZeroDivisionError" in out and "Traceback" not in out
    ex.q3.check(...)
    assert "01.q3 Not attempted yet" in capsys.readouterr().out
    ex.q3.check(lambda x: np.maximum(x, 0))
    assert "01.q3 Correct" in capsys.readouterr().out


def test_passing_a_call_result_instead_of_the_function():
    outcome = chapter("00").q2.evaluate(np.zeros(3))
    assert outcome.status == INCORRECT and "without calling it" in outcome.message


def test_progress_is_recorded_outside_the_repository_under_the_problem_id(private_progress):
    ex = chapter("00")
    ex.q3.check(...)
    ex.q3.check(lambda y: np.bincount(y))
    ex.q3.check(lambda y: np.bincount(y, minlength=10))
    ex.q3.check(lambda y: np.unique(y))  # once correct, stays correct
    assert progress_path() == private_progress
    entry = load()["chapters"]["00"]["CountPerClass"]
    assert (entry["status"], entry["attempts"], entry["last_status"]) == (CORRECT, 3, INCORRECT)
    assert "distinct labels" in entry["last_message"]


def test_a_worked_example_prints_its_verdict_but_is_not_recorded(private_progress, capsys):
    ex = chapter("00")
    assert ex.q1.worked_example and not ex.q2.worked_example
    ex.q1.check(784)
    assert "00.q1 Correct" in capsys.readouterr().out
    assert not private_progress.exists()
    assert "(worked example)" in repr(ex)


def test_a_corrupt_progress_file_is_kept_as_a_backup_and_a_fresh_one_started(private_progress, capsys):
    private_progress.write_text("{not json")
    chapter("00").q2.check(lambda im: im.astype("float32") / 255)
    out = capsys.readouterr().out
    assert "Correct" in out and "could not be read" in out
    backups = list(private_progress.parent.glob("progress.broken-*.json"))
    assert len(backups) == 1 and backups[0].read_text() == "{not json" and str(backups[0]) in out
    assert load()["chapters"]["00"]["ToUnitRange"]["status"] == CORRECT


def test_an_unwritable_progress_file_does_not_stop_a_check(private_progress, capsys):
    private_progress.mkdir()  # a folder where the file should be: writing fails
    chapter("00").q2.check(lambda im: im.astype("float32") / 255)
    out = capsys.readouterr().out
    assert "Correct" in out and "progress not saved" in out


def test_each_verdict_has_a_marker_and_a_colour(capsys):
    from course_lib.exercises.core import ANSI_COLOURS, MARKERS

    ex = chapter("01")
    for answer, status in ((..., NOT_ATTEMPTED), (lambda x: x, INCORRECT), (lambda x: np.maximum(x, 0), CORRECT)):
        ex.q3.check(answer)
        out = capsys.readouterr().out
        assert out.startswith(f"\x1b[{ANSI_COLOURS[status]}m{MARKERS[status]} 01.q3 ")
    assert len(set(MARKERS.values())) == 3 and len(set(ANSI_COLOURS.values())) == 3


def _relative_luminance(hex_colour):
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_verdict_colours_are_readable_on_jupyterlabs_white_background():
    """WCAG contrast of each verdict's colour as JupyterLab's stylesheet draws it, against white: at least 4.5."""
    import re
    from pathlib import Path

    import jupyterlab

    from course_lib.exercises.core import ANSI_COLOURS

    names = {"30": "black", "31": "red", "32": "green", "33": "yellow", "34": "blue", "35": "magenta", "36": "cyan"}
    bundles = list((Path(jupyterlab.__file__).parent / "static").glob("*.js"))
    css = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in bundles if "ansi-red" in
                  p.read_text(encoding="utf-8", errors="ignore"))
    for status, code in ANSI_COLOURS.items():
        intense = code.startswith("9")
        name = names["3" + code[1]] + ("-intense" if intense else "")
        match = re.search(r"\.ansi-" + name + r"-fg \{\s*color: (#[0-9a-fA-F]{6});", css)
        assert match, f"JupyterLab's stylesheet has no colour for .ansi-{name}-fg"
        contrast = 1.05 / (_relative_luminance(match.group(1)) + 0.05)
        assert contrast >= 4.5, f"{status}: {match.group(1)} on white has contrast {contrast:.1f}:1"


def test_default_progress_path_is_in_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_PROGRESS")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress_path() == tmp_path / ".course" / "progress.json"


def test_hints_and_solution(capsys):
    q = chapter("01").q3
    q.hint()
    assert capsys.readouterr().out.startswith("Hint 1/2: ")
    q.hint(2)
    assert "np.maximum" in capsys.readouterr().out
    with pytest.raises(ValueError, match="from 1 to 2"):
        q.hint(3)
    q.solution()
    out = capsys.readouterr().out
    assert "def relu(x):" in out and "return np.maximum(x, 0)" in out


def test_chapter_lookup():
    assert [p.question for p in chapter(1).problems] == [p.question for p in chapter("01").problems]
    assert len(chapter("1").problems) >= 5 and len(chapter("00").problems) >= 4
    with pytest.raises(ValueError, match="chapters with exercises: 00, 01, 02, 03, 04, 05, 06, 07, 08"):
        chapter("99")
    with pytest.raises(ValueError, match="chapter number"):
        chapter("one")
    with pytest.raises(AttributeError, match="q1 to q4, not q9"):
        _ = chapter("00").q9
    assert "q2: Scale uint8 images" in repr(chapter("00"))


def test_progress_file_is_json_a_learner_can_read(private_progress):
    chapter("01").q1.check(lambda t: {})
    saved = json.loads(private_progress.read_text())
    assert saved["format"] == 2 and saved["chapters"]["01"]["WordCounts"]["status"] == INCORRECT


def test_progress_file_must_hold_an_object(private_progress):
    from course_lib.progress import ProgressFileError

    private_progress.write_text("[1, 2]")
    with pytest.raises(ProgressFileError, match="JSON object"):
        load()


def test_exercise_ids_are_unique_within_each_chapter():
    for chapter_id in available_chapters():
        keys = [p.key for p in chapter(chapter_id).problems]
        assert len(set(keys)) == len(keys), chapter_id


def test_a_repeated_exercise_id_is_refused():
    from course_lib.exercises import Chapter, Problem

    class First(Problem):
        key = "same"

    class Second(Problem):
        key = "same"

    with pytest.raises(ValueError, match="unique"):
        Chapter("42", [First, Second])


@pytest.mark.parametrize("value, expected", [(784, True), (np.int64(3), True), (784.0, False), (True, False),
                                             ("784", False), (None, False)])
def test_is_whole_number(value, expected):
    from course_lib.exercises.core import is_whole_number

    assert is_whole_number(value) is expected

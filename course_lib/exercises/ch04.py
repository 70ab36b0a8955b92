"""Chapter 04 exercises: recurrent networks, the LSTM over a masked batch, and a BiGRU classifier to build."""

from __future__ import annotations

import numpy as np

from course_lib.exercises import asserts, keras_checks
from course_lib.exercises.core import Incorrect, Problem, call
from course_lib.reference import sigmoid


def _rnn(backwards=True, realign=True, activation=np.tanh):
    def reverse_rnn(x, W_x, W_h, b):
        steps = range(x.shape[1] - 1, -1, -1) if backwards else range(x.shape[1])
        h = np.zeros((x.shape[0], W_h.shape[0]))
        states = []
        for t in steps:
            h = activation(x[:, t] @ W_x + h @ W_h + b)
            states.append(h)
        if backwards and realign:
            states = states[::-1]
        return np.stack(states, axis=1)
    return reverse_rnn


class ReverseRnn(Problem):
    title = "A simple RNN that reads the sequence backwards"
    answer_name = "reverse_rnn"
    hints = (
        "Start from h = zeros (batch, units) and apply h = tanh(x_t W_x + h W_h + b) for t = T-1, T-2, ..., 0. "
        "Store each state at the position of the input it has just read, so that out[:, t] is the state after "
        "reading x[:, t] (and everything after it).",
        "`for t in reversed(range(T)): h = np.tanh(x[:, t] @ W_x + h @ W_h + b); out[:, t] = h` with "
        "out = np.zeros((batch, T, units)).",
    )
    solution_code = """
import numpy as np

def reverse_rnn(x, W_x, W_h, b):
    batch, steps, _ = x.shape
    h = np.zeros((batch, W_h.shape[0]))
    out = np.zeros((batch, steps, W_h.shape[0]))
    for t in reversed(range(steps)):                 # read the last step first
        h = np.tanh(x[:, t] @ W_x + h @ W_h + b)
        out[:, t] = h                                # aligned with the input: out[:, t] has read x[:, t:]
    return out
"""
    wrong_answers = (
        (_rnn(backwards=False), "forwards"),
        (_rnn(realign=False), "reading order"),
        (_rnn(activation=lambda v: v), "no activation"),
        (lambda x, W_x, W_h, b: _rnn()(x, W_x, W_h, b)[:, 0], "should have shape (2, 5, 4)"),
        (lambda x, W_x, W_h, b: np.tanh(W_x @ x[:, 0] + b), "matrix product A @ B failed"),
        (lambda x, W_x, W_h, b: None, "returned None"),
    )

    def check_answer(self, answer):
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, 5, 3))
        W_x, W_h, b = rng.normal(size=(3, 4)) / 2, rng.normal(size=(4, 4)) / 2, rng.normal(size=4) / 2
        result = asserts.array(asserts.call_with(answer, x, W_x, W_h, b, names=("x", "W_x", "W_h", "b")),
                               "reverse_rnn(x, W_x, W_h, b)", shape=(2, 5, 4))
        if np.allclose(result, _rnn(backwards=False)(x, W_x, W_h, b)):
            raise Incorrect("that RNN reads forwards (t = 0 first); read the sequence from its last step back")
        if np.allclose(result, _rnn(realign=False)(x, W_x, W_h, b)):
            raise Incorrect("the states are in reading order (out[:, 0] is the state after the LAST input); put each "
                            "one at the position of the input it has just read, so out[:, t] pairs with x[:, t]")
        if np.allclose(result, _rnn(activation=lambda v: v)(x, W_x, W_h, b)):
            raise Incorrect("no activation: squash each new state with np.tanh")
        asserts.close(result, _rnn()(x, W_x, W_h, b), "reverse_rnn(x, W_x, W_h, b)")
        return ("the backward half of a bidirectional RNN; keras.layers.Bidirectional realigns its states the same "
                "way before concatenating them with the forward ones.")


def _masked_lstm(x, mask, W, U, b, order="ifco", candidate=np.tanh, masked="carry", squash=np.tanh):
    """An LSTM over ``x (batch, time, features)`` that skips the steps where ``mask (batch, time)`` is False.
    ``order`` names the four slices of W, U and b; the other options make the wrong answers."""
    units = U.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        z = x[:, t] @ W + h @ U + b
        gate = {name: z[:, j * units:(j + 1) * units] for j, name in enumerate(order)}
        i, f, o = sigmoid(gate["i"]), sigmoid(gate["f"]), sigmoid(gate["o"])
        c_new = f * c + i * candidate(gate["c"])
        h_new = o * squash(c_new)
        keep = mask[:, t:t + 1]
        if masked == "carry":
            h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
        elif masked == "reset":
            h, c = np.where(keep, h_new, 0.0), np.where(keep, c_new, 0.0)
        else:  # "ignore"
            h, c = h_new, c_new
    return h, c


class MaskedLstm(Problem):
    title = "An LSTM over a padded batch: skip the masked steps"
    answer_name = "masked_lstm"
    hints = (
        "Loop over the time steps with h and c starting at zeros (batch, units). At each step compute the new h and "
        "c with the six equations (Keras' slices: i, f, c~, o). Where mask[:, t] is False, the sequence is padding "
        "there: keep the OLD h and c for that row, as Keras does.",
        "`keep = mask[:, t:t + 1]` has shape (batch, 1); `h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)`. "
        "Return (h, c) after the last step.",
    )
    solution_code = """
import numpy as np

def masked_lstm(x, mask, W, U, b):
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    units = U.shape[0]
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    for t in range(x.shape[1]):
        z = x[:, t] @ W + h @ U + b                            # (batch, 4 * units): i, f, c~, o
        i, f = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units])
        c_tilde, o = np.tanh(z[:, 2 * units:3 * units]), sigmoid(z[:, 3 * units:])
        c_new = f * c + i * c_tilde
        h_new = o * np.tanh(c_new)
        keep = mask[:, t:t + 1]                                # (batch, 1): False where the row is padding
        h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
    return h, c
"""
    wrong_answers = (
        (lambda *a: _masked_lstm(*a, order="ifoc"), "source's order"),
        (lambda *a: _masked_lstm(*a, candidate=sigmoid), "candidate"),
        (lambda *a: _masked_lstm(*a, order="fico"), "input and forget gates are swapped"),
        (lambda *a: _masked_lstm(*a, masked="ignore"), "mask is ignored"),
        (lambda *a: _masked_lstm(*a, masked="reset"), "KEEP the previous"),
        (lambda *a: _masked_lstm(*a, squash=lambda c: c), "tanh(c)"),
        (lambda *a: _masked_lstm(*a)[::-1], "h and c are swapped"),
        (lambda *a: _masked_lstm(*a)[0], "2 things"),
    )

    def check_answer(self, answer):
        rng = np.random.default_rng(1)
        units = 3
        x = rng.normal(size=(3, 5, 4))
        mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 0]], dtype=bool)
        W, U, b = rng.normal(size=(4, 4 * units)), rng.normal(size=(units, 4 * units)), rng.normal(size=4 * units)
        result = asserts.parts(asserts.call_with(answer, x, mask, W, U, b, names=("x", "mask", "W", "U", "b")),
                               "masked_lstm(x, mask, W, U, b)", ("h", "c"))
        h, c = (asserts.array(r, name, shape=(3, units)) for r, name in zip(result, ("h", "c"), strict=True))
        exp_h, exp_c = _masked_lstm(x, mask, W, U, b)
        if np.allclose(h, exp_c) and np.allclose(c, exp_h):
            raise Incorrect("h and c are swapped: return (h, c)")
        mistakes = (
            (dict(order="ifoc"), "you read the slices in the source's order (i, f, o, c~); Keras stores them as "
                                 "i, f, c~, o: the candidate is the THIRD slice"),
            (dict(order="fico"), "input and forget gates are swapped: Keras' order is i, f, c~, o"),
            (dict(candidate=sigmoid), "the candidate c~ uses tanh, not the sigmoid: it proposes values in (-1, 1), "
                                      "while the gates (sigmoid, in (0, 1)) decide how much of it to let in"),
            (dict(squash=lambda v: v), "h = o * tanh(c): squash the cell state before the output gate"),
            (dict(masked="ignore"), "the mask is ignored: rows 0 and 2 end (or start) with padding, and their "
                                    "states must not change on those steps"),
            (dict(masked="reset"), "at a masked step the state was set to zero; KEEP the previous h and c "
                                   "(np.where(keep, h_new, h)), so a padded row ends with its last real state"),
        )
        for options, message in mistakes:
            wrong_h, wrong_c = _masked_lstm(x, mask, W, U, b, **options)
            if np.allclose(h, wrong_h) and np.allclose(c, wrong_c):
                raise Incorrect(message)
        asserts.close(c, exp_c, "c")
        asserts.close(h, exp_h, "h")
        return "keras.layers.LSTM with a mask (Embedding(mask_zero=True)) carries the state over padding the same way."


class LstmParams(Problem):
    title = "Count the parameters of an LSTM layer"
    answer_name = "lstm_param_count"
    hints = (
        "Each of the 4 gates has its own input weights (input_dim x units), recurrent weights (units x units) "
        "and bias (units).",
        "4 * (input_dim * units + units * units + units).",
    )
    solution_code = """
def lstm_param_count(input_dim, units):
    return 4 * (input_dim * units + units * units + units)
"""

    wrong_answers = (
        (lambda d, u: d * u + u * u + u, "one gate"), (lambda d, u: 4 * (d * u + u), "recurrent"),
        (lambda d, u: 4 * (d * u + u * u), "biases"), (lambda d, u: float(4 * (d * u + u * u + u)), "whole number"),
        (lambda d, u: 4 * (d * u + u * u + u) * 2, "expected 33024"),
    )

    def check_answer(self, answer):
        for (input_dim, units), expected in (((64, 64), 33024), ((64, 32), 12416), ((5, 7), 364)):
            result = asserts.whole_number(call(answer, input_dim, units), "lstm_param_count(input_dim, units)")
            if result == expected // 4:
                raise Incorrect("that is one gate: an LSTM has four (input, forget, candidate, output)")
            if result == 4 * (input_dim * units + units):
                raise Incorrect("the recurrent weights (units x units, from h_{t-1}) are missing")
            if result == 4 * (input_dim * units + units * units):
                raise Incorrect("the biases (4 * units) are missing")
            if result != expected:
                raise Incorrect(f"for input_dim={input_dim}, units={units} expected {expected}, got {result}")
        return "33,024 for the seed model's first LSTM(64) on 64-d embeddings."


class PadBatch(Problem):
    title = "Pad and truncate token-id sequences to one length"
    answer_name = "pad_batch"
    hints = (
        "Make an int array of zeros (n, maxlen); copy each sequence's first maxlen ids to the start of its row. "
        "0 is the padding id, so a mask is simply `padded != 0`.",
        "`out[row, :len(seq[:maxlen])] = seq[:maxlen]` in a loop over enumerate(sequences).",
    )
    solution_code = """
import numpy as np

def pad_batch(sequences, maxlen):
    out = np.zeros((len(sequences), maxlen), dtype=np.int64)
    for row, seq in enumerate(sequences):
        seq = seq[:maxlen]
        out[row, :len(seq)] = seq
    return out
"""

    wrong_answers = (
        (lambda seqs, n: np.array([[0] * (n - len(s[:n])) + s[:n] for s in seqs]), "front"),
        (lambda seqs, n: np.array([(s[-n:] if s else []) + [0] * (n - len(s[-n:] if s else [])) for s in seqs]),
         "first maxlen"),
        (lambda seqs, n: np.array([s[:n] + [0.0] * (n - len(s[:n])) for s in seqs]), "integers"),
        (lambda seqs, n: [s.extend([0] * (n - len(s))) for s in seqs] and np.array([s[:n] for s in seqs]),
         "changed its input"),
    )

    def check_answer(self, answer):
        sequences = [[5, 8, 2], [7], [3, 9, 4, 6, 1, 2], []]
        expected = np.array([[5, 8, 2, 0], [7, 0, 0, 0], [3, 9, 4, 6], [0, 0, 0, 0]])
        result = asserts.array(asserts.call_with(answer, [list(s) for s in sequences], 4, names=("sequences",)),
                               "pad_batch(sequences, maxlen)", shape=expected.shape, dtype="int")
        if np.array_equal(result[0], [0, 5, 8, 2]):
            raise Incorrect("you padded at the front; pad at the end (post), like TextVectorization")
        if np.array_equal(result[2], [4, 6, 1, 2]):
            raise Incorrect("you kept the last maxlen ids of a long sequence; keep the first maxlen")
        if not np.array_equal(result, expected):
            raise Incorrect(f"expected {expected.tolist()}, got {result.tolist()}")
        return None


def _bigru(mask_zero=True, cell="GRU", bidirectional=True, return_sequences=False, outputs=1):
    def build_bigru_classifier(vocab_size, units):
        import keras
        from keras import layers

        recurrent = getattr(layers, cell)(units, return_sequences=return_sequences)
        return keras.Sequential([
            keras.Input(shape=(None,), dtype="int32"),
            layers.Embedding(vocab_size, 16, mask_zero=mask_zero),
            layers.Bidirectional(recurrent) if bidirectional else recurrent,
            layers.Dense(max(outputs, 1), activation={0: None, 1: "sigmoid"}.get(outputs, "softmax")),
        ])
    return build_bigru_classifier


class BuildMaskedBiGru(Problem):
    title = "Build a masked bidirectional GRU classifier"
    kind = "build"
    answer_name = "build_bigru_classifier"
    hints = (
        "Input: token ids of any length, keras.Input(shape=(None,), dtype='int32'). Then Embedding with "
        "mask_zero=True (id 0 is padding), a GRU read in both directions (layers.Bidirectional), and one sigmoid "
        "unit for P(positive).",
        "keras.Sequential([keras.Input((None,), dtype='int32'), layers.Embedding(vocab_size, 16, mask_zero=True), "
        "layers.Bidirectional(layers.GRU(units)), layers.Dense(1, activation='sigmoid')])",
    )
    solution_code = """
import keras
from keras import layers

def build_bigru_classifier(vocab_size, units):
    return keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),               # token ids, any length
        layers.Embedding(vocab_size, 16, mask_zero=True),        # id 0 is padding: masked from here on
        layers.Bidirectional(layers.GRU(units)),                 # last state of each direction, concatenated
        layers.Dense(1, activation="sigmoid"),                   # P(positive)
    ])
"""
    wrong_answers = (
        (_bigru(mask_zero=False), "mask_zero=True"),
        (_bigru(cell="LSTM"), "GRU"),
        (_bigru(bidirectional=False), "Bidirectional"),
        (_bigru(return_sequences=True), "return_sequences"),
        (_bigru(outputs=2), "one sigmoid unit"),
        (_bigru(outputs=0), "probability between 0 and 1"),
        (lambda vocab_size, units: None, "returned None"),
    )

    def check_answer(self, answer):
        import keras

        model = keras_checks.built_model(answer, 50, 8)
        short = np.array([[5, 3, 9, 12, 0, 0], [7, 7, 2, 0, 0, 0]], dtype="int32")
        long = np.pad(short, ((0, 0), (0, 10)))                 # the same reviews with more padding
        out_short = np.asarray(call(model, short, training=False))
        out_long = np.asarray(call(model, long, training=False))
        if out_short.ndim == 3:
            raise Incorrect(f"the output has shape {out_short.shape}, one prediction per time step: the GRU returns "
                            "its whole sequence (return_sequences=True); leave it False so Dense sees the last state")
        if out_short.shape != (2, 1):
            raise Incorrect(f"the output should be one sigmoid unit per review, shape (2, 1), got {out_short.shape}")
        found = keras_checks.layers_of(model)
        wrappers = [layer for layer in found if isinstance(layer, keras.layers.Bidirectional)]
        if not wrappers:
            raise Incorrect("read the sequence in both directions: wrap the GRU in layers.Bidirectional(...)")
        if not isinstance(wrappers[0].forward_layer, keras.layers.GRU):
            raise Incorrect(f"the recurrent layer is a {type(wrappers[0].forward_layer).__name__}; the contract asks "
                            "for a GRU")
        if not np.allclose(out_short, out_long, atol=1e-5):
            raise Incorrect("more padding changes the prediction (both directions read the zeros as if they were "
                            "words): give the Embedding mask_zero=True so the GRU skips the padding")
        if not np.all((out_short >= 0) & (out_short <= 1)):
            raise Incorrect("the output is not a probability between 0 and 1: give the last Dense(1) "
                            "activation='sigmoid'")
        rng = np.random.default_rng(0)                          # 32 reviews: positive when token 7 occurs
        ids = rng.integers(1, 50, size=(32, 10)).astype("int32")
        ids[rng.random((32, 10)) < 0.2] = 0
        ids[ids == 7] = 8
        labels = (np.arange(32) % 2).astype("float32")
        ids[labels == 1, rng.integers(0, 10, size=16)] = 7
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
        keras_checks.fit_briefly(model, ids, labels, epochs=30, batch_size=32)
        accuracy = float(np.mean((np.asarray(model.predict(ids, verbose=0)).ravel() >= 0.5) == labels))
        if accuracy < 1.0:
            raise Incorrect(f"after 30 epochs on 32 fixed reviews it fits only {accuracy:.0%} of them; a working "
                            "BiGRU learns 'positive when token 7 occurs' perfectly")
        return "masked, bidirectional, and it learns a rule from 32 short reviews."


PROBLEMS = [ReverseRnn, MaskedLstm, LstmParams, PadBatch, BuildMaskedBiGru]

"""Chapter 04 exercises: recurrent networks and the LSTM."""

from __future__ import annotations

import numpy as np

from course_lib.exercises.core import Incorrect, Problem, call, is_whole_number
from course_lib.reference import lstm_step, sigmoid


class RnnStep(Problem):
    title = "One step of a simple RNN"
    answer_name = "rnn_step"
    hints = (
        "The new hidden state mixes the current input and the previous hidden state, then squashes: "
        "h_t = tanh(x_t W_x + h_{t-1} W_h + b).",
        "`np.tanh(x_t @ W_x + h_prev @ W_h + b)`; shapes (batch, features) @ (features, units) and "
        "(batch, units) @ (units, units).",
    )
    solution_code = """
import numpy as np

def rnn_step(x_t, h_prev, W_x, W_h, b):
    return np.tanh(x_t @ W_x + h_prev @ W_h + b)
"""

    def check_answer(self, answer):
        rng = np.random.default_rng(0)
        x_t, h_prev = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
        W_x, W_h, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
        result = np.asarray(call(answer, x_t, h_prev, W_x, W_h, b), dtype=float)
        expected = np.tanh(x_t @ W_x + h_prev @ W_h + b)
        if result.shape != expected.shape:
            raise Incorrect(f"the new hidden state has shape (batch, units) = {expected.shape}, got {result.shape}")
        if np.allclose(result, x_t @ W_x + h_prev @ W_h + b):
            raise Incorrect("no activation: squash the sum with np.tanh")
        if np.allclose(result, np.tanh(x_t @ W_x + b)):
            raise Incorrect("the previous hidden state is missing: add h_prev @ W_h, that is the recurrence")
        if np.allclose(result, sigmoid(x_t @ W_x + h_prev @ W_h + b)):
            raise Incorrect("a simple RNN uses tanh, not the sigmoid")
        if not np.allclose(result, expected):
            raise Incorrect("values differ from tanh(x_t @ W_x + h_prev @ W_h + b)")
        return None


class LstmStep(Problem):
    title = "One LSTM step: the six equations, in Keras' gate order"
    answer_name = "my_lstm_step"
    hints = (
        "z = x_t @ W + h_prev @ U + b has 4 * units columns: input gate, forget gate, candidate, output gate, "
        "in that order (Keras' layout). Gates use the sigmoid, the candidate c~ uses tanh.",
        "c = f * c_prev + i * c~ ; h = o * tanh(c). Return (h, c).",
    )
    solution_code = """
import numpy as np

def my_lstm_step(x_t, h_prev, c_prev, W, U, b):
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    units = h_prev.shape[-1]
    z = x_t @ W + h_prev @ U + b
    i = sigmoid(z[:, :units])                 # input gate
    f = sigmoid(z[:, units:2 * units])        # forget gate
    c_tilde = np.tanh(z[:, 2 * units:3 * units])  # candidate cell state
    o = sigmoid(z[:, 3 * units:])             # output gate
    c = f * c_prev + i * c_tilde
    h = o * np.tanh(c)
    return h, c
"""

    def check_answer(self, answer):
        rng = np.random.default_rng(1)
        units = 3
        x_t, h_prev, c_prev = rng.normal(size=(2, 5)), rng.normal(size=(2, units)), rng.normal(size=(2, units))
        W, U, b = rng.normal(size=(5, 4 * units)), rng.normal(size=(units, 4 * units)), rng.normal(size=4 * units)
        result = call(answer, x_t, h_prev, c_prev, W, U, b)
        if not isinstance(result, tuple | list) or len(result) != 2:
            raise Incorrect("return two arrays: (h, c)")
        h, c = (np.asarray(r, dtype=float) for r in result)
        exp_h, exp_c = lstm_step(x_t, h_prev, c_prev, W, U, b)
        if h.shape != exp_h.shape or c.shape != exp_c.shape:
            raise Incorrect(f"h and c have shape (batch, units) = {exp_h.shape}; got {h.shape} and {c.shape}")
        if np.allclose(h, exp_c) and np.allclose(c, exp_h):
            raise Incorrect("h and c are swapped: return (h, c)")
        z = x_t @ W + h_prev @ U + b
        i, f = sigmoid(z[:, :units]), sigmoid(z[:, units:2 * units])
        if np.allclose(c, i * np.tanh(z[:, 2 * units:3 * units]) + f * 0):
            raise Incorrect("the forget gate never sees the old cell state: c = f * c_prev + i * c~")
        swapped_c = i * c_prev + f * np.tanh(z[:, 2 * units:3 * units])
        if np.allclose(c, swapped_c):
            raise Incorrect("input and forget gates are swapped: Keras' order is i, f, c~, o")
        if not np.allclose(c, exp_c):
            raise Incorrect("c is wrong: c = f * c_prev + i * c~ with i, f = sigmoid, c~ = tanh of their slices")
        if np.allclose(h, sigmoid(z[:, 3 * units:]) * c):
            raise Incorrect("h = o * tanh(c): squash the cell state before the output gate")
        if not np.allclose(h, exp_h):
            raise Incorrect("c is right but h is not: h = o * tanh(c), o = sigmoid of the last slice")
        return "the same step keras.layers.LSTM takes, with the same weight layout."


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

    def check_answer(self, answer):
        for (input_dim, units), expected in (((64, 64), 33024), ((64, 32), 12416), ((5, 7), 364)):
            result = call(answer, input_dim, units)
            if not is_whole_number(result):
                raise Incorrect(f"return a whole number, got {result!r}")
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

    def check_answer(self, answer):
        sequences = [[5, 8, 2], [7], [3, 9, 4, 6, 1, 2], []]
        expected = np.array([[5, 8, 2, 0], [7, 0, 0, 0], [3, 9, 4, 6], [0, 0, 0, 0]])
        result = call(answer, [list(s) for s in sequences], 4)
        result = np.asarray(result)
        if result.shape != expected.shape:
            raise Incorrect(f"4 sequences padded to length 4 give shape (4, 4), got {result.shape}")
        if not np.issubdtype(result.dtype, np.integer):
            raise Incorrect(f"token ids are integers; got dtype {result.dtype} (an Embedding layer needs ints)")
        if np.array_equal(result[0], [0, 5, 8, 2]):
            raise Incorrect("you padded at the front; pad at the end (post), like TextVectorization")
        if np.array_equal(result[2], [4, 6, 1, 2]):
            raise Incorrect("you kept the last maxlen ids of a long sequence; keep the first maxlen")
        if not np.array_equal(result, expected):
            raise Incorrect(f"expected {expected.tolist()}, got {result.tolist()}")
        return None


PROBLEMS = [RnnStep, LstmStep, LstmParams, PadBatch]

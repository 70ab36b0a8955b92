"""Smaller models: LiteRT (TensorFlow Lite) conversion and inference, and magnitude pruning as a Keras callback.

``convert_litert`` turns a SavedModel into a LiteRT flatbuffer (float32, dynamic-range int8, float16 or full int8);
``LiteRTModel`` runs one with ``ai_edge_litert``'s interpreter; ``MagnitudePruning`` zeroes the smallest weights of
every kernel during ``fit`` on a sparsity schedule (what ``tensorflow-model-optimization`` does for tf-keras models:
it refuses Keras 3 models).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import os
import sys
from pathlib import Path

import numpy as np

from course_lib.environment import import_tensorflow, silenced_stderr_fd

tf = import_tensorflow()
import keras  # noqa: E402 - after TensorFlow's quiet import

QUANTIZATIONS = ("none", "dynamic", "float16", "int8")


def convert_litert(saved_model: str | os.PathLike | None = None, quantization: str = "none",
                   representative=None, concrete_function=None) -> bytes:
    """A SavedModel folder (or one ``tf.function``'s concrete function) as a LiteRT flatbuffer.

    Args:
        saved_model: the folder ``model.export()`` wrote (or its parent holding numbered versions: the highest).
        quantization: ``"none"`` (float32), ``"dynamic"`` (int8 weights, float activations), ``"float16"``
            (float16 weights) or ``"int8"`` (int8 weights and activations, int8 input and output: needs
            ``representative``).
        representative: for ``"int8"``, an iterable of float32 input batches, e.g. 100 training images
            ``(1, 28, 28, 1)`` each, from which the converter measures every activation's range.
        concrete_function: instead of ``saved_model``, ``fn.get_concrete_function()`` of a ``tf.function``
            with a fixed input signature (its variables are frozen into the file as constants).

    Only TensorFlow Lite's built-in operations are allowed: a model that needs TensorFlow operations (an LSTM
    with a dynamic batch size, ``TextVectorization``) fails here with the converter's message, rather than
    converting to a file that only an interpreter with TensorFlow's kernels (the Flex delegate) runs, which the
    ``ai-edge-litert`` interpreter is not.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    if quantization == "int8" and representative is None:
        raise ValueError("full int8 quantization needs representative=..., e.g. 100 input batches of one example")
    if (saved_model is None) == (concrete_function is None):
        raise ValueError("give either saved_model (a folder) or concrete_function")
    with _quiet():                             # the converter's log lines, C++ and Python
        if saved_model is not None:
            from course_lib.serving import find_version

            _, folder = find_version(saved_model)       # the folder itself, or its highest version
            converter = tf.lite.TFLiteConverter.from_saved_model(str(folder))
        else:
            # Without the model object (trackable_obj) the converter freezes the variables into constants, which
            # the interpreter runs; with it, an LSTM's loop reads them as resource variables and fails to run.
            # It logs a deprecation warning for this path, which _quiet keeps out.
            converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete_function])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantization != "none":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "float16":
            converter.target_spec.supported_types = [tf.float16]
        if quantization == "int8":
            batches = list(representative)
            converter.representative_dataset = lambda: ([np.asarray(batch, np.float32)] for batch in batches)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        return converter.convert()


@contextlib.contextmanager
def _quiet():
    """Nothing reaches stdout or stderr, from Python or from C++ (whose lines a notebook shows as output)."""
    absl = logging.getLogger("absl")          # its handler holds the stream it started with: lower its level
    level = absl.level
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        absl.setLevel(logging.ERROR)
        sys.stdout.flush()
        os.dup2(null, 1)
        with silenced_stderr_fd(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
        absl.setLevel(level)


class LiteRTModel:
    """A LiteRT flatbuffer in ``ai_edge_litert``'s interpreter, one input and one output.

    ``predict(x)`` takes float32 inputs ``(n, ...)`` and returns float32 outputs ``(n, ...)``; an int8 model's
    input is quantised and its output dequantised with the scales stored in the file.
    """

    def __init__(self, content: bytes, num_threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.content = content
        with silenced_stderr_fd():             # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
            self.interpreter = Interpreter(model_content=content, num_threads=num_threads)
            self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self._batch = int(self.input["shape"][0])

    @property
    def size(self) -> int:
        """Bytes of the flatbuffer."""
        return len(self.content)

    def _resize(self, batch: int) -> None:
        if batch != self._batch:
            shape = [batch, *self.input["shape"][1:]]
            self.interpreter.resize_tensor_input(self.input["index"], shape)
            self.interpreter.allocate_tensors()
            self.input = self.interpreter.get_input_details()[0]
            self.output = self.interpreter.get_output_details()[0]
            self._batch = batch

    def _quantize(self, x: np.ndarray) -> np.ndarray:
        dtype = self.input["dtype"]
        if np.issubdtype(dtype, np.integer) and self.input["quantization"][0]:
            scale, zero = self.input["quantization"]
            info = np.iinfo(dtype)
            return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)
        return np.asarray(x, dtype=dtype)

    def invoke(self, x: np.ndarray) -> np.ndarray:
        """One call on a batch the interpreter is already sized for (use for timing)."""
        self.interpreter.set_tensor(self.input["index"], self._quantize(x))
        self.interpreter.invoke()
        out = self.interpreter.get_tensor(self.output["index"])
        if np.issubdtype(out.dtype, np.integer) and self.output["quantization"][0]:
            scale, zero = self.output["quantization"]
            return (out.astype(np.float32) - zero) * scale
        return out.astype(np.float32)

    def predict(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Outputs for ``x`` ``(n, ...)``, in batches of ``batch_size``; a model exported with a fixed batch size
        runs batch by batch, the last one padded with zeros (whose outputs are dropped)."""
        x = np.asarray(x)
        fixed = not any(s == -1 for s in self.input.get("shape_signature", [-1]))
        step = self._batch if fixed else batch_size
        if len(x) == 0:
            return np.zeros((0, *self.output["shape"][1:]), dtype=np.float32)
        parts = []
        for start in range(0, len(x), step):
            chunk = x[start:start + step]
            if fixed and len(chunk) < step:
                chunk = np.concatenate([chunk, np.zeros((step - len(chunk), *chunk.shape[1:]), chunk.dtype)])
            elif not fixed:
                self._resize(len(chunk))
            parts.append(self.invoke(chunk))
        return np.concatenate(parts)[:len(x)]


def gzipped_size(content: bytes | str | os.PathLike) -> int:
    """Bytes after gzip (level 9) of ``content`` or of the file it names: what a download of it costs.

    Zeros compress; a pruned model's file is as large as before until it is compressed.
    """
    if not isinstance(content, bytes):
        content = Path(content).read_bytes()
    return len(gzip.compress(content, compresslevel=9, mtime=0))


# ---------------------------------------------------------------------------------------------------- pruning
def polynomial_sparsity(step: int, final_sparsity: float, begin_step: int, end_step: int,
                        power: float = 3.0) -> float:
    """The target sparsity at ``step``: 0 before ``begin_step``, rising fast then slowly to ``final_sparsity``
    at ``end_step`` (``final * (1 - (1 - t)**power)``, ``t`` the fraction of the way), constant after."""
    if end_step <= begin_step:
        return final_sparsity if step >= begin_step else 0.0
    t = min(max((step - begin_step) / (end_step - begin_step), 0.0), 1.0)
    return final_sparsity * (1.0 - (1.0 - t) ** power)


def magnitude_mask(weights: np.ndarray, sparsity: float) -> np.ndarray:
    """A 0/1 float32 mask of ``weights``' shape keeping the largest ``1 - sparsity`` share of ``|weights|``.

    Exactly ``round(sparsity * size)`` entries are 0 (ties broken by position).
    """
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity is a fraction in [0, 1], got {sparsity}")
    flat = np.abs(np.asarray(weights)).ravel()
    drop = int(round(sparsity * flat.size))
    mask = np.ones(flat.size, dtype=np.float32)
    if drop:
        mask[np.argsort(flat, kind="stable")[:drop]] = 0.0
    return mask.reshape(np.shape(weights))


def prunable_kernels(model, min_size: int = 0) -> list:
    """The kernels of ``model``'s ``Conv1D``, ``Conv2D`` and ``Dense`` layers with at least ``min_size`` weights
    (biases are few and stay)."""
    return [layer.kernel for layer in _layers(model)
            if isinstance(layer, (keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D))
            and int(np.prod(layer.kernel.shape)) >= min_size]


def _layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from _layers(layer)
        else:
            yield layer


def kernel_sparsity(model, min_size: int = 0) -> float:
    """The share of zeros among the weights of ``prunable_kernels(model, min_size)``."""
    kernels = [np.asarray(k) for k in prunable_kernels(model, min_size)]
    if not kernels:
        raise ValueError(f"the model has no Conv1D, Conv2D or Dense kernel of {min_size} weights or more")
    return float(sum((k == 0).sum() for k in kernels) / sum(k.size for k in kernels))


class MagnitudePruning(keras.callbacks.Callback):
    """Zero the smallest weights of every Conv/Dense kernel during ``fit``, on ``polynomial_sparsity``'s schedule.

    Every ``frequency`` steps the masks are recomputed at the schedule's sparsity; after every step the masks
    are applied again, so that the optimizer cannot bring a pruned weight back. ``end_step`` should come before
    the last step, so that the remaining weights train a while at the final sparsity.

    ``begin_step == end_step == 0`` is one-shot pruning: the final sparsity at once, from the first step.
    Kernels with fewer than ``min_size`` weights are left whole (a first convolution's few hundred weights
    carry much of what the rest sees). Each ``fit`` starts the schedule again from step 0.
    """

    def __init__(self, final_sparsity: float, begin_step: int = 0, end_step: int = 0, frequency: int = 10,
                 power: float = 3.0, min_size: int = 0):
        super().__init__()
        if not 0.0 <= final_sparsity < 1.0:
            raise ValueError(f"final_sparsity is a fraction in [0, 1), got {final_sparsity}")
        self.final_sparsity, self.begin_step, self.end_step = final_sparsity, begin_step, end_step
        self.frequency, self.power, self.min_size = max(1, frequency), power, min_size
        self.step = 0
        self.masks: list[np.ndarray] = []

    def target(self, step: int) -> float:
        return polynomial_sparsity(step, self.final_sparsity, self.begin_step, self.end_step, self.power)

    def _update_masks(self) -> None:
        sparsity = self.target(self.step)
        self.masks = [magnitude_mask(np.asarray(k), sparsity) for k in prunable_kernels(self.model, self.min_size)]

    def _apply(self) -> None:
        for kernel, mask in zip(prunable_kernels(self.model, self.min_size), self.masks, strict=True):
            kernel.assign(np.asarray(kernel) * mask)

    def on_train_begin(self, logs=None):
        self.step = 0
        self._update_masks()
        self._apply()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.frequency == 0 or self.step == self.end_step:
            self._update_masks()
        self._apply()

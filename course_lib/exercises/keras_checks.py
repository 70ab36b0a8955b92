"""The checkers' vocabulary for Keras models: build, inspect, train briefly, each failure a specific message.

Used by the *build* and *debug* exercises. Keras is imported inside the functions, so that loading a chapter's
exercises (and ``course progress``) stays free of TensorFlow.

- ``built_model``: call the learner's builder (seeded) and check a ``keras.Model`` came back.
- ``output_shape``, ``parameters_at_most``: the model's contract.
- ``layers_of``: every layer, wrappers (``Bidirectional``) and their inner layer included.
- ``loss_name``: the compiled loss as a lower-case name (``"sparse_categorical_crossentropy"``).
- ``fit_briefly``: a short, seeded, full-determinism fit; returns the Keras ``History``.
- ``define_with_keras``: the function a given listing defines, with ``keras`` and ``layers`` imported.
"""

from __future__ import annotations

from course_lib.exercises.asserts import returned
from course_lib.exercises.core import Incorrect, call, define


def built_model(builder, *args, seed: int = 0, **kwargs):
    """``builder(*args, **kwargs)`` after ``keras.utils.set_random_seed(seed)``; it must return a Keras model."""
    from course_lib.environment import import_tensorflow

    import_tensorflow()  # with its start-up lines silenced
    import keras

    keras.utils.set_random_seed(seed)
    if isinstance(builder, keras.Model):
        raise Incorrect("you passed a model; pass the function that builds it (check(make_model), not "
                        "check(make_model())), so that the check can build a fresh, seeded copy")
    name = getattr(builder, "__name__", "your function")
    model = returned(call(builder, *args, **kwargs), f"{name}()")
    if not isinstance(model, keras.Model):
        raise Incorrect(f"{name}() should return a Keras model (keras.Sequential or keras.Model), got a "
                        f"{type(model).__name__}")
    return model


def output_shape(model, inputs, expected: tuple, what: str = "the model's output"):
    """Run ``model`` on ``inputs`` (a NumPy batch) and check the output's shape; returns the output (NumPy)."""
    import numpy as np

    try:
        output = np.asarray(model(inputs, training=False))
    except Exception as error:  # noqa: BLE001 - a model that cannot take the contract's input
        raise Incorrect(f"the model cannot take a batch of shape {inputs.shape} ({inputs.dtype}): "
                        f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}") from None
    if output.shape != tuple(expected):
        raise Incorrect(f"{what} should have shape {tuple(expected)} for a batch of shape {inputs.shape}, got "
                        f"{output.shape}")
    return output


def parameters_at_most(model, limit: int) -> int:
    """The model's parameter count, which must be at most ``limit``."""
    count = model.count_params()
    if count > limit:
        raise Incorrect(f"the model has {count:,} parameters; the contract allows at most {limit:,}. Fewer filters "
                        "or units, or a pooling layer before Flatten, shrink it")
    return count


def layers_of(model) -> list:
    """All layers of ``model``, recursively: nested models' layers and the layers wrapped by ``Bidirectional``
    (``forward_layer``) and ``TimeDistributed`` (``layer``) are listed after their wrapper."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if hasattr(layer, "layers"):
            found.extend(layers_of(layer))
        for attribute in ("forward_layer", "layer"):
            inner = getattr(layer, attribute, None)
            if inner is not None and inner is not layer:
                found.append(inner)
    return found


def loss_name(model) -> str:
    """The compiled loss of ``model`` as a lower-case snake_case name; ``""`` when it is not compiled."""
    import re

    loss = getattr(model, "loss", None)
    if loss is None:
        return ""
    name = loss if isinstance(loss, str) else getattr(loss, "name", None) or getattr(loss, "__name__", "")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def fit_briefly(model, x, y, *, epochs: int, batch_size: int, seed: int = 0):
    """``model.fit`` silently, seeded, with TensorFlow's deterministic ops; a crash becomes ``Incorrect``."""
    import keras

    from course_lib.environment import import_tensorflow

    import_tensorflow().config.experimental.enable_op_determinism()  # as course_lib.setup() does
    keras.utils.set_random_seed(seed)
    try:
        return model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0)
    except Exception as error:  # noqa: BLE001 - the learner's model fails to train: say why, no traceback
        first = str(error).strip().splitlines()
        raise Incorrect(f"training the model failed: {type(error).__name__}: {first[0] if first else ''}") from None


def define_with_keras(code: str, name: str):
    """``define(code, name)`` with ``keras`` and ``keras.layers`` as ``layers`` in scope, as a debug exercise's
    cell imports them."""
    from course_lib.environment import import_tensorflow

    import_tensorflow()
    import keras
    from keras import layers

    return define(code, name, {"keras": keras, "layers": layers})

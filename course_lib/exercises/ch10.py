"""Chapter 10 exercises: a TensorFlow Serving REST client, int8 quantisation by hand, and an int8 LiteRT model
fed the wrong way."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np

from course_lib.exercises import asserts
from course_lib.exercises.core import Incorrect, Problem, call, define, read_only

# ------------------------------------------------------------------------------------------ q1 REST client

MODEL_NAME = "digits"


@functools.cache
def _digits() -> tuple:
    """The course's MNIST digits as float32 in [0, 1]: (4000, 28, 28, 1) training and (1000, 28, 28, 1) test
    images, and the test labels."""
    from course_lib.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist()
    scale = np.float32(255.0)
    return read_only((x_train[..., None].astype(np.float32) / scale, y_train,
                      x_test[..., None].astype(np.float32) / scale, y_test))


@functools.cache
def _served_model() -> tuple[Path, object]:
    """A small digit model (random weights, seed 0) exported to a temporary folder as version 1, and the model."""
    from course_lib.environment import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    folder = Path(tempfile.mkdtemp(prefix="course-ch10-")) / MODEL_NAME
    model.export(str(folder / "1"), verbose=False)
    return folder, model


def _client(method: str, suffix: str = ":predict", key: str = "instances", read: str = "predictions",
            raise_errors: bool = True, as_list: bool = True, as_array: bool = True):
    def rest_predict(base_url, model_name, images):
        import requests

        body = {key: images.tolist() if as_list else images}
        response = requests.request(method, f"{base_url}/v1/models/{model_name}{suffix}", json=body, timeout=30)
        if raise_errors:
            response.raise_for_status()
        return np.array(response.json()[read]) if as_array else response.json()

    return rest_predict


class RestClient(Problem):
    title = "Write a TensorFlow Serving REST client"
    kind = "function"
    answer_name = "rest_predict"
    expects = ("a function rest_predict(base_url, model_name, images) that POSTs the images in the row format and "
               "returns the predictions as a NumPy array (n, 10), raising requests.HTTPError on an error answer")
    hints = (
        "The URL is f\"{base_url}/v1/models/{model_name}:predict\", the method POST, the body JSON: "
        "requests.post(url, json={\"instances\": ...}). JSON knows lists, not NumPy arrays.",
        "requests does not raise for a 404 by itself: it hands you the response. One method of the response "
        "turns a 4xx or 5xx answer into requests.HTTPError. The predictions sit in the answer's JSON under the key "
        "section 3's table names for the row format.",
    )
    solution_code = """
import numpy as np
import requests

def rest_predict(base_url, model_name, images):
    url = f"{base_url}/v1/models/{model_name}:predict"
    response = requests.post(url, json={"instances": images.tolist()}, timeout=30)   # the row format
    response.raise_for_status()                    # 4xx/5xx: requests.HTTPError, with the server's answer
    return np.array(response.json()["predictions"])
"""
    wrong_answers = (
        (_client("GET"), "405"),
        (_client("POST", suffix=""), "405"),
        (_client("POST", as_list=False), "tolist()"),
        (_client("POST", as_array=False), "NumPy array"),
        (_client("POST", raise_errors=False), "raise_for_status"),
        (_client("POST", key="inputs"), "'predictions'"),
        (_client("POST", read="outputs"), "'outputs'"),
    )

    @staticmethod
    def _explain_http(error, base_url: str) -> str:
        if getattr(error, "response", None) is None:     # raised by the learner's own code, without the answer
            return (f"your function raised requests.HTTPError ({error}) on a request the server should answer; "
                    "print response.status_code and response.json() to see what it said")
        status = error.response.status_code
        detail = error.response.text[:200]
        if status == 405:
            return (f"the server answered 405 (method not allowed): {detail}. Predictions are asked with POST to "
                    f"{base_url}/v1/models/NAME:predict; GET is for the status and the metadata")
        if status == 404:
            return f"the server answered 404: {detail}. The URL is {base_url}/v1/models/NAME:predict"
        return f"the server answered {status}: {detail}"

    def _ask(self, answer, base_url: str, name: str, images):
        import requests

        try:
            return answer(base_url, name, images)
        except requests.HTTPError as error:
            raise Incorrect(self._explain_http(error, base_url)) from None
        except TypeError as error:
            if "JSON serializable" in str(error):
                raise Incorrect("the body must be JSON, which has lists but no NumPy arrays: send "
                                f"{{\"instances\": images.tolist()}} ({error})") from None
            return call(answer, base_url, name, images)
        except KeyError as error:
            raise Incorrect(f"the answer has no key {error}: with {{\"instances\": ...}} (the row format) the "
                            "server answers {\"predictions\": ...}; an error answer is {\"error\": ...}. Print "
                            "response.status_code and response.json()") from None
        except Exception:  # noqa: BLE001 - any other crash: the usual message
            return call(answer, base_url, name, images)

    def check_answer(self, answer):
        import requests

        from course_lib import serving

        folder, model = _served_model()
        images = _digits()[2][:5]
        expected = model.predict(images, verbose=0)
        with serving.serve(folder, MODEL_NAME) as base_url:
            result = self._ask(answer, base_url, MODEL_NAME, images)
            if isinstance(result, dict):
                raise Incorrect(f"rest_predict returned the whole JSON answer (keys {sorted(result)}); return the "
                                "predictions as a NumPy array: np.array(response.json()[\"predictions\"])")
            result = asserts.array(result, "rest_predict(base_url, 'digits', images)", shape=(5, 10))
            asserts.close(result, expected, "the prediction array for 5 test digits", atol=1e-5)
            try:
                answer(base_url, "no_such_model", images)
            except requests.HTTPError as error:
                response = getattr(error, "response", None)   # None when the learner raised it by hand
                if response is not None and response.status_code != 404:
                    raise Incorrect(f"for an unknown model the server answers 404, got {error}") from None
            except Exception as error:  # noqa: BLE001 - anything but HTTPError hides the server's answer
                raise Incorrect(f"for an unknown model your function raised {type(error).__name__}: {error}. The "
                                "server answered 404 with {\"error\": ...}: call response.raise_for_status() so "
                                "that the caller gets an HTTPError saying so") from None
            else:
                raise Incorrect("for an unknown model your function returned without an error; the server "
                                "answered 404. Call response.raise_for_status() before reading the answer")
        return ("your client gets the served model's predictions, and an HTTPError when the server refuses. It "
                "follows TensorFlow Serving's documented REST API, whose servers listen on port 8501.")


# ------------------------------------------------------------------------------------- q2 int8 by hand


def reference_quantize_int8(weights):
    """Symmetric per-tensor int8: ``scale = max|w| / 127`` (1.0 for all zeros), ``q = round(w / scale)``."""
    weights = np.asarray(weights, dtype=np.float32)
    largest = float(np.abs(weights).max()) if weights.size else 0.0
    scale = largest / 127.0 if largest > 0 else 1.0
    return np.clip(np.round(weights / scale), -127, 127).astype(np.int8), scale


def _in_place_quantizer(weights):
    largest = np.abs(weights).max()
    scale = largest / 127 if largest > 0 else 1.0
    weights /= scale
    return np.round(weights).astype(np.int8), scale


def _quantizer(scale_of, rounding=np.round, dtype=np.int8):
    def quantize_int8(weights):
        scale = scale_of(np.asarray(weights))
        return rounding(weights / scale).astype(dtype), scale

    return quantize_int8


class QuantizeInt8(Problem):
    title = "Quantise weights to int8 by hand"
    answer_name = "quantize_int8"
    hints = (
        "The largest |weight| must map to 127: scale = np.abs(weights).max() / 127. Then weights / scale lies in "
        "[-127, 127]; np.round it and .astype(np.int8).",
        "What happens to weights / scale when every weight is 0? The statement fixes a scale for that case. "
        "Return the pair (q, scale), q as np.int8.",
    )
    solution_code = """
import numpy as np

def quantize_int8(weights):
    largest = np.abs(weights).max()
    scale = largest / 127 if largest > 0 else 1.0          # the largest |weight| becomes +-127
    q = np.round(weights / scale).astype(np.int8)
    return q, scale
"""
    wrong_answers = (
        (_quantizer(lambda w: np.abs(w).max() / 127, rounding=np.floor), "round"),
        (_quantizer(lambda w: np.abs(w).max() / 127, dtype=np.float32), "int8"),
        (_quantizer(lambda w: w.max() / 127), "ABSOLUTE"),
        (_quantizer(lambda w: (w.max() - w.min()) / 255), "max|weights| / 127"),
        (_quantizer(lambda w: np.abs(w).max() / 127 if np.abs(w).max() > 0 else 0.0), "all-zero"),
        (lambda weights: reference_quantize_int8(weights)[0], "(q, scale)"),
        (_quantizer(lambda w: np.abs(w).max() / 127 + 1e-12), "all-zero weights the scale should be 1.0"),
        (lambda weights: reference_quantize_int8(weights)[::-1], "swapped"),
        (_in_place_quantizer, "in place"),
    )
    expects = "a function quantize_int8(weights) that returns (q, scale): q an int8 array of weights' shape"

    def check_answer(self, answer):
        rng = np.random.default_rng(0)
        cases = {"normal weights (64, 32)": rng.normal(0, 0.05, (64, 32)).astype(np.float32),
                 "weights whose largest |w| is negative": np.array([[0.5, -2.0], [1.0, 0.25]], np.float32),
                 "all-zero weights": np.zeros((3, 4), np.float32)}
        for what, weights in cases.items():
            with np.errstate(all="ignore"):
                result = asserts.call_with(answer, weights.copy(), names=("weights",))
                q, scale = asserts.parts(result, f"quantize_int8 on {what}", ("q", "scale"))
            if np.ndim(q) == 0 and np.ndim(scale) > 0:
                raise Incorrect("the pair is swapped: return (q, scale), the int8 array first and the scale second")
            q = asserts.array(q, f"q for {what}", shape=weights.shape)
            if q.dtype != np.int8:
                raise Incorrect(f"q for {what} has dtype {q.dtype}; store it as np.int8 (one byte a weight): "
                                ".astype(np.int8) after rounding")
            scale = asserts.number(scale, f"the scale for {what}")
            expected_q, expected_scale = reference_quantize_int8(weights)
            if not weights.any() and np.isfinite(scale) and scale > 0 and scale != 1.0:
                raise Incorrect(f"for all-zero weights the scale should be 1.0 (the statement's convention: any "
                                f"positive scale gives q = 0, and 1.0 keeps q * scale exact), got {scale:.3g}; "
                                "a small epsilon added to the scale changes every scale a little too")
            if not np.isfinite(scale) or scale <= 0:
                raise Incorrect(f"the scale for {what} is {scale}; for all-zero weights max|weights| is 0, so use "
                                "scale = 1.0 there (dividing by 0 gives NaN)")
            if not np.isclose(scale, expected_scale, rtol=1e-5):
                if weights.any() and np.isclose(scale, weights.max() / 127, rtol=1e-5):
                    raise Incorrect(f"the scale for {what} is max(weights) / 127; take the largest ABSOLUTE value, "
                                    "np.abs(weights).max(), or a large negative weight falls out of range")
                raise Incorrect(f"the scale for {what} should be max|weights| / 127 = {expected_scale:.6g}, "
                                f"got {scale:.6g}")
            if not np.array_equal(q, expected_q):
                wrong = int(np.sum(q != expected_q))
                raise Incorrect(f"{wrong} of q's {q.size} values for {what} differ from round(weights / scale): "
                                "round to the nearest integer (np.round), not down")
        weights = cases["normal weights (64, 32)"]
        q, scale = reference_quantize_int8(weights)
        error = float(np.abs(q * scale - weights).max())
        return (f"q * scale is within {error:.2e} of the weights (at most scale / 2 = {scale / 2:.2e}), and "
                f"{weights.size:,} weights take {weights.size:,} bytes plus one scale instead of {weights.size * 4:,}: "
                "as many parameters, a quarter of the bits.")


# ----------------------------------------------------------------------------------- q3 int8 input, debug

_BROKEN_INT8 = '''
from ai_edge_litert.interpreter import Interpreter


def int8_predict(content, images):
    interpreter = Interpreter(model_content=content)
    interpreter.allocate_tensors()
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    labels = []
    for image in images:
        interpreter.set_tensor(source["index"], image[None].astype("int8"))
        interpreter.invoke()
        labels.append(int(interpreter.get_tensor(target["index"]).argmax()))
    return labels
'''

N_IMAGES = 300


@functools.cache
def _int8_model() -> tuple[bytes, float]:
    """A small dense digit classifier trained for 3 epochs (seed 0), as full int8 LiteRT, and its Keras accuracy
    on the first 300 test digits."""
    from course_lib.environment import import_tensorflow

    tf = import_tensorflow()
    tf.config.experimental.enable_op_determinism()
    import keras

    from course_lib import compression

    x_train, y_train, x_test, y_test = _digits()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train, epochs=3, batch_size=64, verbose=0)
    accuracy = float(np.mean(model.predict(x_test[:N_IMAGES], verbose=0).argmax(1) == y_test[:N_IMAGES]))
    with tempfile.TemporaryDirectory() as folder:
        model.export(folder, verbose=False)
        content = compression.convert_litert(folder, "int8", representative=[x_train[i:i + 1] for i in range(100)])
    return content, accuracy


def _int8_client(quantize, as_labels: bool = True):
    def int8_predict(content, images):
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_content=content)
        interpreter.allocate_tensors()
        source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
        outputs = []
        for image in images:
            interpreter.set_tensor(source["index"], quantize(image[None], *source["quantization"]))
            interpreter.invoke()
            output = interpreter.get_tensor(target["index"])[0]
            outputs.append(int(output.argmax()) if as_labels else output)
        return np.array(outputs)

    return int8_predict


def _quantized(x, scale, zero_point):
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


class DebugInt8Input(Problem):
    title = "Debug an int8 LiteRT model that guesses"
    kind = "debug"
    answer_name = "int8_predict"
    given_code = _BROKEN_INT8
    expects = ("a function int8_predict(content, images) that returns one predicted digit per image, a list or "
               "an array of 300 labels")
    hints = (
        "Print source[\"dtype\"] and source[\"quantization\"]: the input is int8 with a (scale, zero point). What "
        "does image.astype(\"int8\") make of pixels between 0 and 1?",
        "astype truncates: every pixel below 1 becomes 0, so every image looks blank. The file says how an int8 "
        "value q stands for a float: x = scale x (q - zero_point) (section 4). Solve it for q, round, and keep "
        "the result inside int8's range before .astype(np.int8).",
    )
    solution_code = """
import numpy as np
from ai_edge_litert.interpreter import Interpreter


def int8_predict(content, images):
    interpreter = Interpreter(model_content=content)
    interpreter.allocate_tensors()
    source, target = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    scale, zero_point = source["quantization"]               # from the file: x = scale * (q - zero_point)
    labels = []
    for image in images:
        q = np.clip(np.round(image[None] / scale) + zero_point, -128, 127).astype(np.int8)
        interpreter.set_tensor(source["index"], q)
        interpreter.invoke()
        labels.append(int(interpreter.get_tensor(target["index"]).argmax()))
    return np.array(labels)
"""
    wrong_answers = (
        (lambda content, images: define(_BROKEN_INT8, "int8_predict")(content, images), "set_tensor"),
        (_int8_client(lambda x, scale, zero: np.round(x / scale).astype(np.int8)), "set_tensor"),
        (_int8_client(lambda x, scale, zero: x.astype(np.float32)), "INT8"),
        (_int8_client(_quantized, as_labels=False), "one label per image"),
        (_int8_client(lambda x, scale, zero: (x * 255).astype(np.int8)), "set_tensor"),
        # one too many, without clipping: white pixels overflow int8 and come back as black
        (_int8_client(lambda x, scale, zero: (np.round(x / scale) + zero + 1).astype(np.int8)), "set_tensor"),
    )

    def check_answer(self, answer):
        from course_lib.environment import silenced_stderr_fd

        content, keras_accuracy = _int8_model()
        _, _, x_test, y_test = _digits()
        with silenced_stderr_fd():            # the interpreter's "Created TensorFlow Lite XNNPACK delegate" line
            labels = call(answer, content, x_test[:N_IMAGES])
        labels = asserts.returned(labels, "int8_predict(content, images)")
        labels = np.asarray(labels)
        if labels.shape != (N_IMAGES,):
            raise Incorrect(f"int8_predict returned shape {labels.shape} for {N_IMAGES} images; return one label per "
                            "image (the argmax of the output), shape (300,)")
        accuracy = float(np.mean(labels == y_test[:N_IMAGES]))
        if accuracy < keras_accuracy - 0.01:
            raise Incorrect(f"accuracy {accuracy:.3f} on {N_IMAGES} test digits, where the same model in Keras reaches "
                            f"{keras_accuracy:.3f}: the int8 model is not seeing the images it was calibrated on. "
                            "Print what your code passes to set_tensor for one image, next to source[\"dtype\"] "
                            "and source[\"quantization\"]")
        return (f"accuracy {accuracy:.3f} on {N_IMAGES} test digits (Keras {keras_accuracy:.3f}). An int8 model "
                "takes integers that stand for floats: x = scale x (q - zero point), read from the file.")


# ------------------------------------------------------------------------ q4 accuracy for sparsity, experiment

SPARSITIES = (0.5, 0.8, 0.9)


@functools.cache
def _pruning_accuracies() -> dict[str, float]:
    """The statement's recipe: a 784-64-10 dense digit classifier (seed 0, 3 epochs), its test accuracy, and the
    accuracy after zeroing the smallest |w| of both kernels at each of ``SPARSITIES``, without retraining."""
    from course_lib.environment import import_tensorflow

    import_tensorflow().config.experimental.enable_op_determinism()
    import keras

    from course_lib.compression import magnitude_mask
    from course_lib.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_train, y_train, epochs=3, batch_size=64, verbose=0)
    trained = model.get_weights()
    accuracies = {"unpruned": float(np.mean(model.predict(x_test, verbose=0).argmax(1) == y_test))}
    for sparsity in SPARSITIES:
        model.set_weights([w * magnitude_mask(w, sparsity) if w.ndim == 2 else w for w in trained])
        accuracies[f"{sparsity:.0%}"] = float(np.mean(model.predict(x_test, verbose=0).argmax(1) == y_test))
    return accuracies


class PruningExperiment(Problem):
    title = "Experiment: how much accuracy does one-shot pruning cost a small dense network?"
    kind = "experiment"
    answer_name = "pruning_report"
    expects = ('a dict {"unpruned": accuracy, "50%": accuracy, "80%": accuracy, "90%": accuracy, '
               '"free_up_to": a sparsity or None, "conclusion": "one line"}')
    hints = (
        "Train as the statement says and keep `trained = model.get_weights()`: a list of kernels (2-D) and biases "
        "(1-D). For each sparsity, give the model a new list in which each kernel is multiplied by its "
        "compression.magnitude_mask and each bias is left as it is, then measure. Always start from `trained`.",
        "Compare with section 5, where the CNN lost little at 80% even before fine-tuning. The conclusion says "
        "what one-shot pruning does to THIS network's accuracy as the sparsity grows.",
    )
    solution_code = """
import keras
import numpy as np

from course_lib import compression
from course_lib.data import load_mnist

(x_train, y_train), (x_test, y_test) = load_mnist()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x_train, y_train, epochs=3, batch_size=64, verbose=0)
trained = model.get_weights()


def test_accuracy():
    return float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test))


pruning_report = {"unpruned": test_accuracy()}
for sparsity in (0.5, 0.8, 0.9):
    model.set_weights([w * compression.magnitude_mask(w, sparsity) if w.ndim == 2 else w for w in trained])
    pruning_report[f"{sparsity:.0%}"] = test_accuracy()
within = [s for s in (0.5, 0.8, 0.9) if pruning_report[f"{s:.0%}"] >= pruning_report["unpruned"] - 0.02]
pruning_report["free_up_to"] = max(within) if within else None
pruning_report["conclusion"] = ("without fine-tuning, the accuracy falls at every step, already at 50%: this small "
                                "dense network has little to spare, unlike section 5's CNN")
"""
    wrong_answers = (
        ({"unpruned": 0.9, "50%": 0.9, "80%": 0.9, "90%": 0.9, "free_up_to": 0.9,
          "conclusion": "pruning costs nothing here"}, "should be"),
        ({"unpruned": 90.0, "50%": 84.6, "80%": 67.2, "90%": 41.1, "free_up_to": None,
          "conclusion": "the accuracy falls with sparsity"}, "between 0 and 1"),
        ({"unpruned": 0.9, "50%": 0.846, "80%": 0.672}, "'90%'"),
        ({"unpruned": 0.9, "50%": 0.846, "80%": 0.672, "90%": 0.411, "free_up_to": None, "conclusion": "falls"},
         "one line"),
        # the measured numbers (the check's own recomputation gives them), read as if pruning were free
        ({"unpruned": 0.9, "50%": 0.846, "80%": 0.672, "90%": 0.411, "free_up_to": 0.8,
          "conclusion": "pruning is free for this network up to 80% of the weights"}, "within 0.02"),
        ({"unpruned": 0.9, "50%": 0.846, "80%": 0.672, "90%": 0.411,
          "conclusion": "the accuracy falls at every sparsity"}, "'free_up_to'"),
        ([0.9, 0.846, 0.672, 0.411], "as a dict"),
    )

    def check_answer(self, answer):
        names = ("unpruned", *(f"{s:.0%}" for s in SPARSITIES))
        report = asserts.findings(answer, "the four test accuracies", names)
        if any(report[name] > 1.0 for name in names):
            raise Incorrect("accuracies lie between 0 and 1 (a share of the 1,000 test digits); these look like "
                            "percentages")
        expected = _pruning_accuracies()
        for name in names:
            if not np.isclose(report[name], expected[name], atol=0.011):
                raise Incorrect(f"the accuracy {name} should be {expected[name]:.3f} with the statement's recipe "
                                f"(seed 0, 3 epochs, each cut made from the trained weights), got {report[name]:.3f}")
        drop = expected["unpruned"] - expected["50%"]
        within = [s for s in SPARSITIES if expected[f"{s:.0%}"] >= expected["unpruned"] - 0.02]
        free_up_to = max(within) if within else None
        if "free_up_to" not in answer:
            raise Incorrect("the numbers are right; add 'free_up_to': the largest sparsity whose accuracy is within "
                            "0.02 of the unpruned one (None if there is none)")
        said = answer["free_up_to"]
        if said is not None and not isinstance(said, int | float) or isinstance(said, bool):
            raise Incorrect(f"'free_up_to' should be a sparsity such as 0.5, or None; got {said!r}")
        if (said is None) != (free_up_to is None) or (said is not None and not np.isclose(said, free_up_to)):
            shown = "None: even 50% costs more than that" if free_up_to is None else f"{free_up_to}"
            raise Incorrect(f"the accuracies are right, but 'free_up_to' is {said!r}: the largest sparsity whose "
                            f"accuracy is within 0.02 of the unpruned {expected['unpruned']:.3f} is {shown}")
        return (f"one-shot magnitude pruning costs this network {drop:.3f} of accuracy at 50% and "
                f"{expected['unpruned'] - expected['90%']:.3f} at 90%, without retraining. Section 5's CNN kept its "
                "accuracy at 80%: how much a network has to spare depends on the network, so measure before "
                "choosing a sparsity, and fine-tune after cutting.")


PROBLEMS = [RestClient, QuantizeInt8, DebugInt8Input, PruningExperiment]

"""course_lib.serving: TensorFlow Serving's REST API, answered for SavedModels written by model.export()."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests

from course_lib import serving
from course_lib.environment import import_tensorflow


@pytest.fixture(scope="module")
def keras():
    import_tensorflow()
    import keras

    return keras


@pytest.fixture(scope="module")
def image_model(keras, tmp_path_factory):
    """A small CNN on 8x8x1 images (random weights: only the arithmetic matters), exported as version 3."""
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    base = tmp_path_factory.mktemp("image")
    model.export(str(base / "3"), verbose=False)
    return model, base


@pytest.fixture(scope="module")
def text_model(keras, tmp_path_factory):
    """Raw strings in, one probability out: a TextVectorization inside the model, as in chapter 07's pipeline."""
    keras.utils.set_random_seed(2)
    vectorize = keras.layers.TextVectorization(max_tokens=50, output_sequence_length=6)
    vectorize.adapt(["a good film", "a bad film", "not good at all", "great acting"])
    inputs = keras.Input(shape=(), dtype="string")
    hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 4)(vectorize(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    folder = tmp_path_factory.mktemp("text") / "pipeline"
    model.export(str(folder), verbose=False)                  # a SavedModel itself: served as version 1
    return model, folder


@pytest.fixture(scope="module")
def two_way_model(keras, tmp_path_factory):
    """Two named inputs and two named outputs."""
    keras.utils.set_random_seed(3)
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    joined = keras.layers.Concatenate()([a, b])
    model = keras.Model({"a": a, "b": b}, {"score": keras.layers.Dense(1, name="score")(joined),
                                           "probs": keras.layers.Dense(2, activation="softmax",
                                                                       name="probs")(joined)})
    folder = tmp_path_factory.mktemp("two") / "1"
    model.export(str(folder), verbose=False)
    return model, folder.parent


@pytest.fixture(scope="module")
def ids_model(keras, tmp_path_factory):
    """Integer token ids in: (batch, 3) int64."""
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((3,), dtype="int64"), keras.layers.Embedding(10, 2),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    folder = tmp_path_factory.mktemp("ids") / "1"
    model.export(str(folder), verbose=False)
    return model, folder.parent


@pytest.fixture(scope="module")
def server(image_model, text_model, two_way_model, ids_model):
    """One server, four models, for the module."""
    servables = {"cnn": serving.load(image_model[1], "cnn"), "text": serving.load(text_model[1], "text"),
                 "two": serving.load(two_way_model[1], "two"), "ids": serving.load(ids_model[1], "ids")}
    running = serving.ModelServer(servables, max_body_bytes=1024 * 1024).start()
    yield running.url
    running.stop()


def images(n, seed=0):
    return np.random.default_rng(seed).random((n, 8, 8, 1), dtype=np.float32)


def post(url, body, **kwargs):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return requests.post(url, data=data, timeout=30, **kwargs)


# ----------------------------------------------------------------------------------------------- endpoints
def test_status_lists_the_served_version_as_available(server):
    for path in ("/v1/models/cnn", "/v1/models/cnn/versions/3"):
        answer = requests.get(server + path, timeout=10)
        assert answer.status_code == 200
        assert answer.json() == {"model_version_status": [
            {"version": "3", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    assert requests.get(server + "/v1/models/text", timeout=10).json()["model_version_status"][0]["version"] == "1"


def test_metadata_gives_the_signature_with_dtypes_and_shapes(server):
    answer = requests.get(server + "/v1/models/cnn/metadata", timeout=10).json()
    assert answer["model_spec"] == {"name": "cnn", "signature_name": "", "version": "3"}
    signature = answer["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert signature["method_name"] == "tensorflow/serving/predict"
    (spec,) = signature["inputs"].values()
    assert spec["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in spec["tensor_shape"]["dim"]] == ["-1", "8", "8", "1"]
    (output,) = signature["outputs"].values()
    assert [d["size"] for d in output["tensor_shape"]["dim"]] == ["-1", "3"]
    text = requests.get(server + "/v1/models/text/versions/1/metadata", timeout=10).json()
    (spec,) = text["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"].values()
    assert spec["dtype"] == "DT_STRING"


def test_row_and_columnar_predictions_equal_model_predict(server, image_model):
    model, _ = image_model
    x = images(5)
    expected = model.predict(x, verbose=0)
    for path in ("/v1/models/cnn:predict", "/v1/models/cnn/versions/3:predict"):
        rows = post(server + path, {"instances": x.tolist()})
        assert rows.status_code == 200
        np.testing.assert_allclose(rows.json()["predictions"], expected, atol=1e-5)
        columns = post(server + path, {"inputs": x.tolist()})
        np.testing.assert_allclose(columns.json()["outputs"], expected, atol=1e-5)
    named = post(server + "/v1/models/cnn:predict", {"signature_name": "serve", "instances": x.tolist()})
    np.testing.assert_allclose(named.json()["predictions"], expected, atol=1e-5)


def test_raw_strings_are_served_by_a_model_that_vectorises_them(server, text_model):
    model, _ = text_model
    texts = ["a good film", "not good at all", "great acting, a bad ending", "ünïcode too"]
    import tensorflow as tf

    expected = model.predict(tf.constant(texts), verbose=0)
    rows = post(server + "/v1/models/text:predict", {"instances": texts})
    np.testing.assert_allclose(rows.json()["predictions"], expected, atol=1e-5)
    columns = post(server + "/v1/models/text:predict", {"inputs": texts})
    np.testing.assert_allclose(columns.json()["outputs"], expected, atol=1e-5)
    b64 = post(server + "/v1/models/text:predict", {"instances": [{"b64": "YSBnb29kIGZpbG0="}]})  # "a good film"
    np.testing.assert_allclose(b64.json()["predictions"], expected[:1], atol=1e-5)


def test_several_inputs_and_outputs_use_named_instances_and_objects(server, two_way_model):
    model, _ = two_way_model
    a = np.arange(6, dtype=np.float32).reshape(3, 2) / 5
    b = np.arange(9, dtype=np.float32).reshape(3, 3) / 7
    expected = model.predict({"a": a, "b": b}, verbose=0)
    rows = post(server + "/v1/models/two:predict",
                {"instances": [{"a": a[i].tolist(), "b": b[i].tolist()} for i in range(3)]}).json()
    assert len(rows["predictions"]) == 3 and set(rows["predictions"][0]) == {"score", "probs"}
    for key in ("score", "probs"):
        np.testing.assert_allclose([row[key] for row in rows["predictions"]], expected[key], atol=1e-5)
    columns = post(server + "/v1/models/two:predict", {"inputs": {"a": a.tolist(), "b": b.tolist()}}).json()
    for key in ("score", "probs"):
        np.testing.assert_allclose(columns["outputs"][key], expected[key], atol=1e-5)


# ------------------------------------------------------------------------------------------------- errors
BAD_BODIES = [
    ("not JSON", b'{"instances": [[1, 2]', 400, "JSON Parse error"),
    ("a list, not an object", b"[1, 2, 3]", 400, "JSON object"),
    ("neither key", {"examples": [1]}, 400, "Missing 'inputs' or 'instances'"),
    ("both keys", {"instances": [1], "inputs": [1]}, 400, "mix"),
    ("empty instances", {"instances": []}, 400, "non-empty"),
    ("instances not a list", {"instances": 3}, 400, "non-empty list"),
    ("empty columnar input", {"inputs": []}, 400, "empty"),
    ("wrong shape", {"instances": np.zeros((2, 8, 7, 1)).tolist()}, 400, "shape (2, 8, 7, 1)"),
    ("wrong rank", {"instances": [[1.0, 2.0]]}, 400, "shape (1, 2)"),
    ("ragged lists", {"instances": [np.zeros((8, 8, 1)).tolist(), np.zeros((7, 8, 1)).tolist()]}, 400,
     "rectangular"),
    ("strings for numbers", {"instances": [[[["0.5"]] * 8] * 8]}, 400, "expects numbers (DT_FLOAT)"),
    ("null for a number", {"instances": [[[[None]] * 8] * 8]}, 400, "expects numbers"),
    ("unknown signature", {"signature_name": "nope", "instances": np.zeros((1, 8, 8, 1)).tolist()}, 400,
     '"nope" not found'),
]


@pytest.mark.parametrize("what, body, status, words", BAD_BODIES, ids=[case[0] for case in BAD_BODIES])
def test_bad_requests_get_400_with_an_error_message(server, what, body, status, words):
    answer = post(server + "/v1/models/cnn:predict", body)
    assert answer.status_code == status, what
    assert set(answer.json()) == {"error"}
    assert words in answer.json()["error"]


def test_integer_inputs_take_whole_numbers_only(server, ids_model):
    model, _ = ids_model
    ids = np.array([[1, 2, 3], [0, 9, 4]])
    answer = post(server + "/v1/models/ids:predict", {"instances": ids.tolist()})
    np.testing.assert_allclose(answer.json()["predictions"], model.predict(ids, verbose=0), atol=1e-5)
    answer = post(server + "/v1/models/ids:predict", {"instances": [[1.5, 2, 3]]})
    assert answer.status_code == 400 and "whole numbers (DT_INT64)" in answer.json()["error"]


def test_numbers_for_a_string_input_and_a_missing_named_input_are_refused(server):
    assert post(server + "/v1/models/text:predict", {"instances": [1, 2]}).status_code == 400
    mixed = post(server + "/v1/models/text:predict", {"instances": ["a good film", 3]})
    assert mixed.status_code == 400 and "expects strings (DT_STRING)" in mixed.json()["error"]
    answer = post(server + "/v1/models/two:predict", {"instances": [{"a": [1.0, 2.0]}]})
    assert answer.status_code == 400 and "lacks the input 'b'" in answer.json()["error"]
    answer = post(server + "/v1/models/two:predict", {"inputs": {"a": [[1.0, 2.0]], "b": [[1.0, 2.0, 3.0]] * 2}})
    assert answer.status_code == 400 and "batch sizes" in answer.json()["error"]


def test_a_body_over_the_limit_gets_413_and_the_server_goes_on(server):
    answer = requests.post(server + "/v1/models/cnn:predict", data=b"x" * (50 * 1024 * 1024), timeout=60)
    assert answer.status_code == 413
    assert "over this server's limit" in answer.json()["error"]
    assert post(server + "/v1/models/cnn:predict", {"instances": images(1).tolist()}).status_code == 200


def test_unknown_models_versions_and_methods(server):
    cases = [("GET", "/v1/models/nope", 404, "Latest(nope)"), ("GET", "/v1/models/cnn/versions/2", 404,
             "Specific(cnn, 2)"), ("POST", "/v1/models/cnn/versions/x:predict", 404, "Specific(cnn, x)"),
             ("POST", "/v1/models/nope:predict", 404, "nope"), ("GET", "/v1/models/cnn:predict", 405, "POST"),
             ("PUT", "/v1/models/cnn:predict", 405, "POST"), ("DELETE", "/v1/models/cnn", 405, "GET"),
             ("POST", "/v1/models/cnn:classify", 404, ":predict"), ("GET", "/v1/models/cnn/extra/path", 404, "")]
    for method, path, status, words in cases:
        answer = requests.request(method, server + path, timeout=10)
        assert answer.status_code == status, path
        assert words in answer.json()["error"], path


def test_sixteen_concurrent_clients_get_every_answer_right(server, image_model):
    model, _ = image_model
    pool = images(64, seed=5)
    expected = model.predict(pool, verbose=0)
    bodies = [json.dumps({"instances": pool[i:i + 1].tolist()}) for i in range(len(pool))]
    requests_done = []

    def client(index):
        wrong = 0
        with requests.Session() as session:
            for step in range(100):
                i = (index * 7 + step) % len(pool)
                answer = session.post(server + "/v1/models/cnn:predict", data=bodies[i], timeout=60)
                got = np.array(answer.json()["predictions"])
                wrong += answer.status_code != 200 or not np.allclose(got, expected[i:i + 1], atol=1e-5)
                requests_done.append(i)
        return wrong

    with ThreadPoolExecutor(16) as clients:
        wrong = sum(clients.map(client, range(16)))
    assert wrong == 0
    assert len(requests_done) == 1600
    assert post(server + "/v1/models/cnn:predict", {"instances": pool[:2].tolist()}).status_code == 200


# ------------------------------------------------------------------------------------------- life cycle
def port_is_free(port):
    """Nothing listens on ``port``: a new server could take it (with SO_REUSEADDR, as servers bind, so that the
    closed connections' TIME_WAIT entries do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
    return True


def test_serve_stops_cleanly_leaving_no_thread_or_port(image_model):
    before = set(threading.enumerate())
    with serving.serve(image_model[1], "cnn") as url:
        port = int(url.rsplit(":", 1)[1])
        assert not port_is_free(port)
        assert post(url + "/v1/models/cnn:predict", {"instances": images(2).tolist()}).status_code == 200
    assert set(threading.enumerate()) == before
    assert port_is_free(port)


def test_the_highest_version_is_served_and_bad_folders_are_explained(image_model, tmp_path):
    _, base = image_model
    assert serving.find_version(base) == (3, base / "3")
    assert serving.find_version(base / "3") == (1, base / "3")
    with pytest.raises(FileNotFoundError, match=r"model.export\("):
        serving.find_version(tmp_path)
    with pytest.raises(FileNotFoundError, match="no model folder"):
        serving.find_version(tmp_path / "missing")
    with pytest.raises(ValueError, match="letters, digits"):
        serving.load(base, "my model")


def test_course_serve_answers_requests_and_stops_on_ctrl_c(image_model):
    """The server binds a free port itself (--port 0) and says which: no other process can take the port between
    a probe and the bind, and the readiness signal is its own log line, not any answer on that port."""
    import queue
    import re

    model, base = image_model
    process = subprocess.Popen([sys.executable, "-m", "course_lib.cli", "serve", str(base), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines, shown = queue.Queue(), []
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)
    reader.start()
    try:
        port, deadline = None, time.monotonic() + 300          # TensorFlow's import, on a loaded machine
        while port is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail("`course serve` did not say it was running within 300 s:\n" + "".join(shown))
            shown.append(line)
            found = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
            if port is None and process.poll() is not None and lines.empty():
                pytest.fail(f"`course serve` exited with code {process.returncode}:\n" + "".join(shown))
        url = f"http://127.0.0.1:{port}/v1/models/{base.name}"
        assert requests.get(url, timeout=30).json()["model_version_status"][0]["state"] == "AVAILABLE"
        x = images(3)
        answer = post(url + ":predict", {"instances": x.tolist()})
        np.testing.assert_allclose(answer.json()["predictions"], model.predict(x, verbose=0), atol=1e-5)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        while not lines.empty():
            shown.append(lines.get())
    output = "".join(shown)
    assert process.returncode == 0, output
    assert f"Serving model '{base.name}' version 3" in output
    assert port_is_free(port)


def test_course_serve_explains_a_folder_without_a_model(tmp_path):
    from course_lib import cli

    assert cli.main(["serve", str(tmp_path)]) == 1

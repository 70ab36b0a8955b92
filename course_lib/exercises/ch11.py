"""Chapter 11 exercises: plan a distributed run's batches, a cached tf.data pipeline, and a loss averaged over the
wrong batch."""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path

import numpy as np

from course_lib.exercises import asserts
from course_lib.exercises.core import Incorrect, Problem, call, define, read_only

# ------------------------------------------------------------------------------------------ q1 global batch


def _planner(global_of, steps_of):
    def global_batch_and_steps(num_examples, per_replica_batch, num_workers, replicas_per_worker):
        global_batch = global_of(per_replica_batch, num_workers, replicas_per_worker)
        return global_batch, steps_of(num_examples, global_batch)

    return global_batch_and_steps


_ALL_REPLICAS = lambda batch, workers, per_worker: batch * workers * per_worker  # noqa: E731
_DROP_REMAINDER = lambda examples, batch: examples // batch  # noqa: E731


class GlobalBatch(Problem):
    title = "Plan the global batch and the steps of a distributed run"
    answer_name = "global_batch_and_steps"
    hints = (
        "Every replica takes per_replica_batch examples a step, and there are num_workers x replicas_per_worker "
        "replicas in all (section 4: a machine with 8 GPUs is one worker with 8 replicas).",
        "With drop_remainder=True the last, incomplete batch is dropped: steps = num_examples // global_batch.",
    )
    solution_code = """
def global_batch_and_steps(num_examples, per_replica_batch, num_workers, replicas_per_worker):
    global_batch = per_replica_batch * num_workers * replicas_per_worker     # one step, all replicas
    steps_per_epoch = num_examples // global_batch                          # drop_remainder=True
    return global_batch, steps_per_epoch
"""
    wrong_answers = (
        (_planner(lambda batch, workers, per_worker: batch * workers, _DROP_REMAINDER), "replicas_per_worker"),
        (_planner(lambda batch, workers, per_worker: batch, _DROP_REMAINDER), "replicas"),
        (_planner(_ALL_REPLICAS, lambda examples, batch: -(-examples // batch)), "drop_remainder"),
        (_planner(_ALL_REPLICAS, lambda examples, batch: examples / batch), "whole number"),
        (lambda *args: _planner(_ALL_REPLICAS, _DROP_REMAINDER)(*args)[1], "(global_batch, steps_per_epoch)"),
    )

    CASES = ((2048, 32, 2, 1), (50_000, 64, 4, 8), (1000, 32, 3, 2), (60_000, 128, 1, 1))

    def check_answer(self, answer):
        for num_examples, batch, workers, per_worker in self.CASES:
            what = f"global_batch_and_steps({num_examples}, {batch}, {workers}, {per_worker})"
            global_batch, steps = asserts.parts(call(answer, num_examples, batch, workers, per_worker), what,
                                                ("global_batch", "steps_per_epoch"))
            global_batch = asserts.whole_number(global_batch, f"the global batch of {what}")
            steps = asserts.whole_number(steps, f"the steps per epoch of {what}")
            expected = batch * workers * per_worker
            if global_batch != expected:
                if global_batch == batch * workers and per_worker > 1:
                    raise Incorrect(f"{what}: global batch {global_batch}, expected {expected}. Each of the "
                                    f"{workers} workers has {per_worker} replicas: multiply by replicas_per_worker "
                                    "too")
                raise Incorrect(f"{what}: global batch {global_batch}, expected {expected}: the global batch is "
                                "what one step trains on across ALL replicas, per_replica_batch x num_workers x "
                                "replicas_per_worker")
            if steps != num_examples // expected:
                if steps == -(-num_examples // expected):
                    raise Incorrect(f"{what}: {steps} steps, expected {num_examples // expected}: with "
                                    "drop_remainder=True the incomplete last batch is dropped, so round down (//)")
                raise Incorrect(f"{what}: {steps} steps, expected {num_examples // expected} "
                                f"({num_examples} examples // a global batch of {expected})")
        return ("with 4 workers of 8 GPUs and 64 examples per GPU, a step trains on 2,048 examples, and 50,000 "
                "examples make only 24 steps: as workers are added, an epoch has fewer, larger steps.")


# ------------------------------------------------------------------------------------ q2 cached pipeline

N_FILES = 40


@functools.cache
def _png_files() -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """40 of the course's digits as PNG files in a temporary folder, named like chapter 11's
    (``0007_label3.png``): their paths, the images (40, 28, 28, 1) float32 in [0, 1] and the labels (40,)."""
    from course_lib.data import load_mnist
    from course_lib.environment import import_tensorflow

    tf = import_tensorflow()
    (images, labels), _ = load_mnist()
    folder = Path(tempfile.mkdtemp(prefix="course-ch11-"))
    paths = []
    for i in range(N_FILES):
        path = folder / f"{i:04d}_label{labels[i]}.png"
        path.write_bytes(tf.io.encode_png(images[i][..., np.newaxis]).numpy())
        paths.append(str(path))
    return read_only((tuple(paths), images[:N_FILES, ..., np.newaxis].astype(np.float32) / np.float32(255),
                      labels[:N_FILES].copy()))


class _CountingReader:
    """A slow reader of file bytes that counts its calls; takes a path as a tensor, bytes or str."""

    def __init__(self):
        self.calls = 0

    def __call__(self, path):
        self.calls += 1
        path = path.numpy() if hasattr(path, "numpy") else path
        path = path.decode() if isinstance(path, bytes) else str(path)
        time.sleep(0.001)
        return Path(path).read_bytes()


def _pipeline(cache=True, cache_first=False, scale=True, batch=32, label_dtype="int32", shuffle=False,
              drop_remainder=False):
    def make_pipeline(paths, read):
        import tensorflow as tf

        def load(path):
            image = tf.io.decode_png(tf.py_function(read, [path], tf.string), channels=1)
            image = tf.cast(image, tf.float32)
            image = tf.reshape(image / 255.0 if scale else image, (28, 28, 1))
            label = tf.strings.to_number(tf.strings.regex_replace(path, r".*_label(\d)\.png$", r"\1"),
                                         getattr(tf, label_dtype))
            return image, label

        data = tf.data.Dataset.from_tensor_slices(list(paths))
        if shuffle:
            data = data.shuffle(len(paths), seed=1)
        if cache_first:
            data = data.cache()
        data = data.map(load)
        if cache and not cache_first:
            data = data.cache()
        return data.batch(batch, drop_remainder=drop_remainder).prefetch(2)

    return make_pipeline


class CachedPipeline(Problem):
    title = "Build a cached tf.data pipeline"
    kind = "build"
    answer_name = "make_pipeline"
    hints = (
        "Start from tf.data.Dataset.from_tensor_slices(list(paths)) and .map(load), where load(path) calls "
        "tf.py_function(read, [path], tf.string), decodes with tf.io.decode_png(..., channels=1), divides by 255 "
        "and reads the label from the name (section 2's `load`).",
        "Put .cache() AFTER the map, so that what is kept is the decoded images, then .batch(32) and "
        ".prefetch(tf.data.AUTOTUNE). Reshape the image to (28, 28, 1): py_function loses the shape.",
    )
    solution_code = """
import tensorflow as tf

def make_pipeline(paths, read):
    def load(path):
        data = tf.py_function(read, [path], tf.string)                  # read is Python: call it this way
        image = tf.io.decode_png(data, channels=1)
        image = tf.reshape(tf.cast(image, tf.float32) / 255.0, (28, 28, 1))
        label = tf.strings.to_number(tf.strings.regex_replace(path, r".*_label(\\d)\\.png$", r"\\1"), tf.int32)
        return image, label

    files = tf.data.Dataset.from_tensor_slices(list(paths))
    return files.map(load).cache().batch(32).prefetch(tf.data.AUTOTUNE)   # cache the decoded images
"""
    wrong_answers = (
        (_pipeline(cache=False), "cache"),
        (_pipeline(cache_first=True), "AFTER"),
        (_pipeline(scale=False), "255"),
        (_pipeline(batch=64), "32"),
        (_pipeline(label_dtype="float32"), "int32"),
        (_pipeline(shuffle=True), "order"),
        (_pipeline(drop_remainder=True), "drop_remainder"),
    )

    def check_answer(self, answer):
        import tensorflow as tf

        paths, images, labels = _png_files()
        read = _CountingReader()
        dataset = call(answer, list(paths), read)
        asserts.returned(dataset, "make_pipeline(paths, read)")
        if not isinstance(dataset, tf.data.Dataset):
            raise Incorrect(f"make_pipeline should return a tf.data.Dataset, got a {type(dataset).__name__}")
        epochs = []
        for epoch in (1, 2):
            try:
                epochs.append([(np.asarray(x), np.asarray(y)) for x, y in dataset])
            except Exception as error:  # noqa: BLE001 - a pipeline that fails while iterating
                raise Incorrect(f"iterating over your dataset (epoch {epoch}) failed: {type(error).__name__}: "
                                f"{str(error).strip().splitlines()[0][:200]}") from None
        first = epochs[0]
        if not first or not all(isinstance(b, tuple) and len(b) == 2 for b in first):
            raise Incorrect("each element of the dataset should be a batch (images, labels)")
        sizes = [len(x) for x, _ in first]
        if sizes[0] != 32:
            raise Incorrect(f"the first batch holds {sizes[0]} examples; batch by 32: .batch(32)")
        x = np.concatenate([b[0] for b in first])
        y = np.concatenate([b[1] for b in first])
        if x.shape != (N_FILES, 28, 28, 1):
            dropped = (" (batch(32, drop_remainder=True) drops the last, incomplete batch: keep it here)"
                       if len(x) == N_FILES // 32 * 32 else "")
            raise Incorrect(f"the images of one epoch have shape {x.shape}; expected ({N_FILES}, 28, 28, 1): one "
                            f"(28, 28, 1) image per file, every file once{dropped}")
        if x.dtype != np.float32:
            raise Incorrect(f"images should be float32, got {x.dtype}: tf.cast(image, tf.float32) / 255.0")
        if x.max() > 1.0:
            raise Incorrect(f"images go up to {x.max():.0f}; expected [0, 1]: divide the decoded pixels by 255")
        if y.dtype != np.int32:
            raise Incorrect(f"labels should be int32, got {y.dtype}: tf.strings.to_number(..., tf.int32)")
        if not (y == labels).all() or not np.allclose(x, images):
            raise Incorrect("the examples are not in the order of `paths` (or not the files' contents): keep the "
                            "order, without shuffling; a training loop would shuffle later, per epoch")
        if read.calls != N_FILES:
            raise Incorrect(f"read was called {read.calls} times over two epochs of {N_FILES} files; with a cache "
                            f"of the decoded images it is called {N_FILES} times, once per file. Add .cache() "
                            "AFTER the map (with no cache, or a cache before the map, which keeps only the file "
                            "names, every epoch reads every file again)")
        return (f"{N_FILES} reads for two epochs: the second epoch came from memory. With a dataset larger than "
                "memory, .cache(filename) keeps it on a local disk instead.")


# ------------------------------------------------------------------------------------ q3 global-batch loss

_BROKEN_LOSS = '''
def replica_loss(labels, logits, global_batch_size):
    per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return keras.ops.mean(per_example)
'''

GLOBAL_BATCH, STEPS = 64, 20


@functools.cache
def _batches() -> tuple[np.ndarray, np.ndarray]:
    """20 batches of 64 of the course's digits, flattened: (20, 64, 784) float32 and (20, 64) int labels."""
    from course_lib.data import load_mnist

    (images, labels), _ = load_mnist()
    count = GLOBAL_BATCH * STEPS
    x = images[:count].reshape(STEPS, GLOBAL_BATCH, 784).astype(np.float32) / np.float32(255)
    return read_only((x, labels[:count].reshape(STEPS, GLOBAL_BATCH).astype(np.int32)))   # int labels, as Keras gives


def _train(loss_of, replicas: int):
    """Weights after 20 SGD steps (learning rate 0.5) of a 784-16-10 network, seed 0. Each batch of 64 is split
    between ``replicas`` replicas and their gradients summed, as MirroredStrategy's all-reduce does; ``loss_of``
    is called once per replica as ``loss_of(labels, logits, 64)``. Also returns the first step's gradient norm."""
    from course_lib.environment import import_tensorflow

    tf = import_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10)])
    weights = model.trainable_variables
    xs, ys = _batches()
    first_norm = None
    for x, y in zip(xs, ys, strict=True):
        total = [tf.zeros_like(w) for w in weights]
        for part_x, part_y in zip(np.split(x, replicas), np.split(y, replicas), strict=True):
            with tf.GradientTape() as tape:
                loss = call(loss_of, tf.constant(part_y), model(part_x), GLOBAL_BATCH)
                loss = tf.convert_to_tensor(asserts.returned(loss, "replica_loss(labels, logits, 64)"))
                if loss.shape.rank != 0:
                    raise Incorrect(f"replica_loss returned shape {tuple(loss.shape)}; return one number, the "
                                    "replica's share of the global batch's mean loss")
            gradients = tape.gradient(loss, weights)
            if any(g is None for g in gradients):
                raise Incorrect("the loss does not depend on the model's weights: compute it from `logits`")
            total = [t + g for t, g in zip(total, gradients, strict=True)]     # the all-reduce: a sum
        if first_norm is None:
            first_norm = float(tf.linalg.global_norm(total))
        for w, g in zip(weights, total, strict=True):
            w.assign_sub(0.5 * g)
    return [w.numpy() for w in weights], first_norm


def _one_device_loss(labels, logits, global_batch_size):
    import keras

    return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))


@functools.cache
def _one_device() -> tuple:
    return _train(_one_device_loss, replicas=1)


def _loss(reduce):
    def replica_loss(labels, logits, global_batch_size):
        import keras

        per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        return reduce(per_example, global_batch_size)

    return replica_loss


class DebugReplicaLoss(Problem):
    title = "Debug a loss averaged over the wrong batch"
    kind = "debug"
    answer_name = "replica_loss"
    given_code = _BROKEN_LOSS
    hints = (
        "Each replica sees 32 of the 64 examples, and the all-reduce ADDS the replicas' gradients. What does the "
        "sum of two means of 32 give, compared with one mean of 64?",
        "Divide the sum of the replica's per-example losses by the GLOBAL batch: keras.ops.sum(per_example) / "
        "global_batch_size, which is what tf.nn.compute_average_loss(per_example, "
        "global_batch_size=global_batch_size) does.",
    )
    solution_code = """
import keras
import tensorflow as tf

def replica_loss(labels, logits, global_batch_size):
    per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    # The replicas' gradients are summed: each replica divides by the GLOBAL batch, not by its own 32.
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
"""
    wrong_answers = (
        (lambda labels, logits, size: define(_BROKEN_LOSS, "replica_loss", _keras_namespace())(labels, logits, size),
         "2.0 times"),
        (_loss(lambda per_example, size: _ops().sum(per_example)), "64.0 times"),
        (_loss(lambda per_example, size: _tf().nn.compute_average_loss(per_example)), "global_batch_size="),
        (_loss(lambda per_example, size: _ops().sum(per_example) / (2 * size)), "0.5 times"),
    )

    def check_answer(self, answer):
        expected, expected_norm = _one_device()
        weights, norm = _train(answer, replicas=2)
        ratio = norm / expected_norm
        if abs(ratio - 1) > 1e-3:
            said = (" The same factor comes from tf.nn.compute_average_loss called without global_batch_size=: it "
                    "then divides by the replica's batch times the replicas it can see, which it sees only inside "
                    "strategy.run; pass global_batch_size=global_batch_size." if abs(ratio - 2) < 1e-3 else "")
            size = "large" if ratio > 1 else "small"
            raise Incorrect(f"with two replicas the first step's summed gradient is {ratio:.1f} times the "
                            f"one-device gradient of the same 64 examples, so the step is that much too {size}. "
                            "The all-reduce adds the replicas' gradients: each replica must divide its summed loss "
                            f"by the global batch (global_batch_size), not by its own 32 examples.{said}")
        difference = max(float(np.abs(w - e).max()) for w, e in zip(weights, expected, strict=True))
        if difference > 1e-4:
            raise Incorrect(f"after 20 steps the two-replica weights differ from one device's by up to "
                            f"{difference:.2g}; they should agree to 1e-4")
        return ("two replicas, their gradients summed, now take exactly one device's steps (20 steps, weights "
                "within 1e-4): the learning rate means the same on any number of replicas.")


def _keras_namespace() -> dict:
    import keras

    return {"keras": keras}


def _ops():
    import keras

    return keras.ops


def _tf():
    from course_lib.environment import import_tensorflow

    return import_tensorflow()


PROBLEMS = [GlobalBatch, CachedPipeline, DebugReplicaLoss]

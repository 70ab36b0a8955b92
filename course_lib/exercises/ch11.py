"""Chapter 11 exercises: plan a distributed run's batches, one worker's pipeline over its own files, a loss averaged
over the wrong batch, gradient accumulation over micro-batches of unequal sizes, and what a parameter costs in
memory under a mixed-precision policy."""

from __future__ import annotations

import functools
import re
import tempfile
import threading
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


def _scalar(value):
    """A NumPy or TensorFlow scalar (a 0-d array, a tensor) as a Python int or float; anything else unchanged."""
    if hasattr(value, "shape") and tuple(value.shape) == () and hasattr(value, "dtype"):
        array = np.asarray(value)
        if np.issubdtype(array.dtype, np.integer):
            return int(array)
        if np.issubdtype(array.dtype, np.floating):
            return float(array)
    return value


_ALL_REPLICAS = lambda batch, workers, per_worker: batch * workers * per_worker  # noqa: E731
_DROP_REMAINDER = lambda examples, batch: examples // batch  # noqa: E731


class GlobalBatch(Problem):
    title = "Plan the global batch and the steps of a distributed run"
    answer_name = "global_batch_and_steps"
    expects = ("a function of (num_examples, per_replica_batch, num_workers, replicas_per_worker) that returns two "
               "whole numbers, (global_batch, steps_per_epoch)")
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
        (_planner(lambda batch, workers, per_worker: batch, _DROP_REMAINDER), "num_workers"),
        (_planner(lambda batch, workers, per_worker: batch * per_worker, _DROP_REMAINDER), "num_workers"),
        (_planner(_ALL_REPLICAS, lambda examples, batch: -(-examples // batch)), "drop_remainder"),
        (_planner(_ALL_REPLICAS, lambda examples, batch: examples / batch), "whole number"),
        (lambda *args: _planner(_ALL_REPLICAS, _DROP_REMAINDER)(*args)[1], "(global_batch, steps_per_epoch)"),
        (lambda *args: _planner(_ALL_REPLICAS, _DROP_REMAINDER)(*args)[::-1], "swapped"),
        (lambda examples, batch, workers, per_worker: (batch * workers * per_worker, examples // batch),
         "per_replica_batch"),
    )

    CASES = ((2048, 32, 2, 1), (50_000, 64, 4, 8), (1000, 32, 3, 2), (60_000, 128, 1, 1))

    def check_answer(self, answer):
        results = []
        for num_examples, batch, workers, per_worker in self.CASES:
            what = f"global_batch_and_steps({num_examples}, {batch}, {workers}, {per_worker})"
            global_batch, steps = asserts.parts(call(answer, num_examples, batch, workers, per_worker), what,
                                                ("global_batch", "steps_per_epoch"))
            results.append((what, asserts.whole_number(_scalar(global_batch), f"the global batch of {what}"),
                            asserts.whole_number(_scalar(steps), f"the steps per epoch of {what}")))
        planned = [(batch * workers * per_worker, examples // (batch * workers * per_worker))
                   for examples, batch, workers, per_worker in self.CASES]
        if all((got_batch, got_steps) == (steps, batch)
               for (_, got_batch, got_steps), (batch, steps) in zip(results, planned, strict=True)):
            what, global_batch, steps = results[0]
            raise Incorrect(f"{what} returned ({global_batch}, {steps}): the global batch is {steps} and an epoch "
                            f"has {global_batch} steps, so the two are swapped. Return them in the order "
                            "(global_batch, steps_per_epoch)")
        for (num_examples, batch, workers, per_worker), (what, global_batch, steps) in zip(self.CASES, results,
                                                                                        strict=True):
            expected = batch * workers * per_worker
            expected_steps = num_examples // expected
            if global_batch != expected:
                replicas = (f"{workers} worker{'s' if workers > 1 else ''} of {per_worker} "
                            f"replica{'s' if per_worker > 1 else ''} each")
                if per_worker > 1 and global_batch == batch * workers:
                    raise Incorrect(f"{what}: global batch {global_batch}, expected {expected}. Each of the "
                                    f"{workers} workers has {per_worker} replicas: multiply by replicas_per_worker "
                                    "too")
                if workers > 1 and global_batch == batch * per_worker:
                    raise Incorrect(f"{what}: global batch {global_batch}, expected {expected}. One step trains "
                                    f"every replica of every worker, {replicas}, on its per-replica batch: multiply "
                                    "by num_workers too")
                raise Incorrect(f"{what}: global batch {global_batch}, expected {expected}: the global batch is "
                                f"what one step trains on across ALL replicas ({replicas}), per_replica_batch x "
                                "num_workers x replicas_per_worker")
            if steps != expected_steps:
                if steps == -(-num_examples // expected):
                    raise Incorrect(f"{what}: {steps} steps, expected {expected_steps}: with drop_remainder=True "
                                    "the incomplete last batch is dropped, so round down (//)")
                if steps == num_examples // batch:
                    raise Incorrect(f"{what}: {steps} steps, which is num_examples // per_replica_batch; expected "
                                    f"{expected_steps}. A step consumes a whole global batch ({expected} examples, "
                                    "every replica's share), so an epoch has fewer steps")
                raise Incorrect(f"{what}: {steps} steps, expected {expected_steps} "
                                f"({num_examples} examples // a global batch of {expected})")
        return ("with 4 workers of 8 GPUs and 64 examples per GPU, a step trains on 2,048 examples, and 50,000 "
                "examples make only 24 steps: as workers are added, an epoch has fewer, larger steps.")


# ------------------------------------------------------------------------------------ q2 one worker's pipeline

N_FILES = 40
PIPELINE_BATCH = 8
WORKER_CASES = ((2, 1), (3, 0))  # (num_workers, index): worker 1 of 2 has 20 files, worker 0 of 3 has 14


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
    """A slow reader of file bytes that records the path of every call; takes a path as a tensor, bytes or str."""

    def __init__(self):
        self.paths: list[str] = []
        self.lock = threading.Lock()          # tf.data may call it from several threads at once

    @property
    def calls(self) -> int:
        return len(self.paths)

    def __call__(self, path):
        path = path.numpy() if hasattr(path, "numpy") else path
        path = path.item() if isinstance(path, np.ndarray) else path
        path = path.decode() if isinstance(path, bytes) else str(path)
        with self.lock:
            self.paths.append(path)
        time.sleep(0.001)
        return Path(path).read_bytes()


def _worker_pipeline(shard="before", cache="after", scale=True, batch=PIPELINE_BATCH, label_dtype="int32",
                     shuffle=False, drop_remainder=False, bypass=False, as_dict=False, eager=False):
    def make_worker_pipeline(paths, read, num_workers, index):
        import tensorflow as tf

        def decode(path, data):
            image = tf.cast(tf.io.decode_png(data, channels=1), tf.float32)
            image = tf.reshape(image / 255.0 if scale else image, (28, 28, 1))
            label = tf.strings.to_number(tf.strings.regex_replace(path, r".*_label(\d)\.png$", r"\1"),
                                         getattr(tf, label_dtype))
            return {"image": image, "label": label} if as_dict else (image, label)

        def load(path):
            data = tf.io.read_file(path) if bypass else tf.py_function(read, [path], tf.string)
            return decode(path, data)

        if eager:                                      # every file read in Python before the pipeline exists
            contents = [read(path) for path in paths]
            data = tf.data.Dataset.from_tensor_slices((list(paths), contents)).shard(num_workers, index).map(decode)
        else:
            data = tf.data.Dataset.from_tensor_slices(list(paths))
            if shard == "before":
                data = data.shard(num_workers, index)
            if shuffle:
                data = data.shuffle(len(paths), seed=1)
            if cache == "before":
                data = data.cache()
            data = data.map(load)
            if shard == "after":
                data = data.shard(num_workers, index)
        if cache == "after":
            data = data.cache()
        return data.batch(batch, drop_remainder=drop_remainder).prefetch(2)

    return make_worker_pipeline


def _positions(found: np.ndarray, images: np.ndarray) -> list[int]:
    """For each image of ``found``, its position among ``images`` (-1 when it is none of them)."""
    flat = images.reshape(len(images), -1)
    positions = []
    for image in found.astype(np.float32):
        same = np.abs(flat - image.reshape(1, -1)).max(axis=1) < 1e-6
        positions.append(int(np.flatnonzero(same)[0]) if same.any() else -1)
    return positions


def _tf_error(error: Exception) -> str:
    """A tf.data error in one line: the learner's own exception when a Python function inside the pipeline raised
    it, without TensorFlow's node names and iterator path."""
    text = str(error).strip()
    inner = re.search(r"with iterator: [\w:]+: (.*)", text)
    line = inner.group(1) if inner else re.sub(r"\{\{[^}]*\}\}\s*", "", text)
    line = line.strip().splitlines()[0] if line.strip() else ""
    return f"{type(error).__name__}: {line[:200]}"


class WorkerPipeline(Problem):
    title = "One worker's pipeline: its own files, each read once"
    answer_name = "make_worker_pipeline"
    expects = ("a function make_worker_pipeline(paths, read, num_workers, index) that returns a tf.data.Dataset of "
               "(images, labels) batches of 8: float32 images (b, 28, 28, 1) in [0, 1], integer labels")
    hints = (
        "Start from the file names, tf.data.Dataset.from_tensor_slices(list(paths)). Two questions decide the "
        "order of the steps: which step picks this worker's files, and must it come before or after the step that "
        "opens them? Which step keeps the decoded images for the second epoch, and where must it stand so that "
        "what it keeps is images, not names?",
        "Pick the worker's files before anything opens them, so that no other worker's file is ever read. Open "
        "them inside a map, through tf.py_function around the `read` you are given (section 2's `load` calls its "
        "own storage.read instead), so that reads happen only while the dataset is iterated; decode and scale "
        "there too. The cache goes where what it keeps is decoded images; the batching comes last.",
    )
    solution_code = """
import tensorflow as tf

def make_worker_pipeline(paths, read, num_workers, index):
    def load(path):
        data = tf.py_function(read, [path], tf.string)                  # the reader you are given, called lazily
        image = tf.io.decode_png(data, channels=1)
        image = tf.reshape(tf.cast(image, tf.float32) / 255.0, (28, 28, 1))
        label = tf.strings.to_number(tf.strings.regex_replace(path, r".*_label(\\d)\\.png$", r"\\1"), tf.int32)
        return image, label

    names = tf.data.Dataset.from_tensor_slices(list(paths))
    mine = names.shard(num_workers, index)          # pick this worker's files BEFORE opening any
    return mine.map(load).cache().batch(8).prefetch(tf.data.AUTOTUNE)   # cache the decoded images
"""
    wrong_answers = (
        (_worker_pipeline(cache=None), "cache"),
        (_worker_pipeline(cache="before"), "AFTER the map"),
        (_worker_pipeline(shard=None), "Dataset.shard"),
        (_worker_pipeline(shard="after"), "other workers' files"),
        (_worker_pipeline(bypass=True), "never called"),
        (_worker_pipeline(eager=True), "before the dataset was iterated"),
        (_worker_pipeline(as_dict=True), "got a dict"),
        (_worker_pipeline(scale=False), "255"),
        (_worker_pipeline(batch=32), "batch by 8"),
        (_worker_pipeline(label_dtype="float32"), "integers"),
        (_worker_pipeline(shuffle=True), "order"),
        (_worker_pipeline(drop_remainder=True), "drop_remainder"),
        (lambda paths, read, num_workers, index: [], "tf.data.Dataset"),
    )

    def check_answer(self, answer):
        from course_lib.environment import import_tensorflow

        tf = import_tensorflow()
        paths, images, labels = _png_files()
        for num_workers, index in WORKER_CASES:
            self._check_worker(tf, answer, paths, images, labels, num_workers, index)
        return ("each worker opened only its own files, every one once over two epochs: the shard came before the "
                "reads and the cache after the decoding. With a dataset larger than memory, .cache(filename) keeps "
                "it on a local disk instead.")

    def _check_worker(self, tf, answer, paths, images, labels, num_workers, index):
        what = f"make_worker_pipeline(paths, read, num_workers={num_workers}, index={index})"
        who = f"worker {index} of {num_workers}"
        mine = set(paths[index::num_workers])
        share = len(mine)
        read = _CountingReader()
        dataset = asserts.returned(call(answer, list(paths), read, num_workers, index), what)
        if not isinstance(dataset, tf.data.Dataset):
            raise Incorrect(f"{what} should return a tf.data.Dataset, got a {type(dataset).__name__}")
        if read.calls:
            raise Incorrect(f"{what} called read {read.calls} times before the dataset was iterated: it reads "
                            "files while the pipeline is built (in a Python loop?), so a worker reads everything at "
                            "start-up and holds it in memory. The reads belong inside the pipeline, in the function "
                            "it maps over the file names, so that a file is read when its example is asked for")
        limit = N_FILES + 2                               # more batches than any one pass over the files gives
        bounded = dataset.take(limit)
        epochs = [self._one_epoch(bounded, epoch, limit, share) for epoch in (1, 2)]
        x, y = epochs[0]
        if x.ndim != 4 or x.shape[1:] != (28, 28, 1):
            raise Incorrect(f"the images of one epoch, concatenated, have shape {x.shape}; expected (n, 28, 28, 1): "
                            "each batch (b, 28, 28, 1), one image per file (decode_png(..., channels=1) keeps the "
                            "channel axis)")
        if x.dtype != np.float32:
            raise Incorrect(f"images should be float32, got {x.dtype}: tf.cast(image, tf.float32) / 255.0")
        if x.max() > 1.0:
            raise Incorrect(f"images go up to {x.max():.0f}; expected [0, 1]: divide the decoded pixels by 255")
        if not np.issubdtype(y.dtype, np.integer):
            raise Incorrect(f"labels should be integers (int32 or int64), got {y.dtype}: "
                            "tf.strings.to_number(..., tf.int32)")
        positions = _positions(x, images)
        expected = list(range(index, N_FILES, num_workers))
        if len(x) != share:
            if len(x) == N_FILES:
                raise Incorrect(f"{who}'s dataset gives all {N_FILES} files; a worker should give only its share, "
                                f"{share} files: one file in {num_workers} of `paths`, starting at position {index}, "
                                "as Dataset.shard(num_workers, index) picks them")
            if len(x) == share // PIPELINE_BATCH * PIPELINE_BATCH:
                raise Incorrect(f"{who}'s dataset gives {len(x)} of its {share} files: batch(8, drop_remainder=True) "
                                "drops the last, incomplete batch; keep it here")
            raise Incorrect(f"{who}'s dataset gives {len(x)} examples; expected {share}, one per file of its share "
                            f"(positions {expected[:4]}... of `paths`)")
        if positions != expected:
            if -1 in positions:
                raise Incorrect(f"{who}'s examples are not all images of the files: example "
                                f"{positions.index(-1)} is none of them. Decode the bytes `read` returns with "
                                "tf.io.decode_png(..., channels=1) and divide by 255")
            if sorted(positions) == expected:
                raise Incorrect(f"{who}'s examples are its own files but not in the order of `paths`: keep the "
                                "order, without shuffling; a training loop would shuffle later, per epoch")
            raise Incorrect(f"{who}'s examples come from the files at positions {positions[:5]}... of `paths`; "
                            f"expected its share, positions {expected[:5]}... (one file in {num_workers}, starting "
                            f"at {index}, as Dataset.shard(num_workers, index) picks them)")
        if not np.allclose(x, images[index::num_workers]) or not (y == labels[index::num_workers]).all():
            raise Incorrect(f"{who}'s images or labels differ from its files': images decoded / 255, the label "
                            "from the file name (0007_label3.png has label 3)")
        if not (np.array_equal(epochs[1][0], x) and np.array_equal(epochs[1][1], y)):
            raise Incorrect(f"{who}'s second epoch gives other examples than its first; both should give its files "
                            "in the order of `paths`")
        self._check_reads(read, mine, share, who)

    @staticmethod
    def _one_epoch(dataset, epoch, limit, share):
        """One pass over ``dataset``: its images and labels, concatenated; messages for every malformed element."""
        try:
            elements = list(dataset)
        except Exception as error:  # noqa: BLE001 - a pipeline that fails while iterating
            raise Incorrect(f"iterating over your dataset (epoch {epoch}) failed: {_tf_error(error)}") from None
        if not elements:
            raise Incorrect("your dataset is empty: one pass over it should give the worker's files, in batches")
        if len(elements) == limit:
            raise Incorrect(f"your dataset does not end after one epoch ({limit} batches and more, for {share} "
                            "files in batches of 8): remove .repeat(); fit repeats it, epoch by epoch")
        element = elements[0]
        if isinstance(element, dict):
            raise Incorrect(f"each element of your dataset should be a pair (images, labels), got a dict with keys "
                            f"{sorted(element)}: return `image, label` from the function you map, as fit expects")
        if not (isinstance(element, tuple) and len(element) == 2):
            kind = f"a tuple of {len(element)}" if isinstance(element, tuple) else f"a {type(element).__name__}"
            raise Incorrect(f"each element of your dataset should be a pair (images, labels), got {kind}")
        batches = [(np.asarray(images), np.asarray(labels)) for images, labels in elements]
        if batches[0][0].ndim == 3 and batches[0][0].shape[-1] == 1:
            raise Incorrect(f"each element of your dataset is one image, shape {batches[0][0].shape}: batch by 8 "
                            "(.batch(8))")
        sizes = [len(images) for images, _ in batches]
        if sizes[0] != min(PIPELINE_BATCH, share):
            raise Incorrect(f"the first batch holds {sizes[0]} examples; batch by 8 (.batch(8))")
        try:
            return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
        except ValueError as error:
            raise Incorrect(f"the batches of your dataset do not fit together: {error}") from None

    @staticmethod
    def _check_reads(read, mine, share, who):
        if not read.calls:
            raise Incorrect(f"read was never called, so the check cannot count {who}'s reads: your pipeline reads the "
                            "files some other way (tf.io.read_file?). It must read every file through the `read` it "
                            "is given, which stands for the slow storage: tf.py_function(read, [path], tf.string) "
                            "inside the function you map")
        others = sorted(set(read.paths) - mine)
        if others:
            raise Incorrect(f"{who} read {len(set(read.paths))} different files, {len(others)} of them other "
                            f"workers' files, for a share of {share}: its examples are right, but it opened files "
                            "it then threw away. Pick the worker's file names before the map that reads them")
        counts = {path: read.paths.count(path) for path in mine}
        if max(counts.values()) > 1:
            again = sum(count > 1 for count in counts.values())
            raise Incorrect(f"{who} called read {read.calls} times over two epochs of its {share} files: {again} were "
                            "read again in the second epoch. Keep the decoded images: add .cache() AFTER the map (a "
                            "cache before the map keeps only the file names, so every epoch reads every file again)")
        if min(counts.values()) == 0:
            missing = sum(count == 0 for count in counts.values())
            raise Incorrect(f"{missing} of {who}'s files were never read through `read`; every example must come "
                            "from a file read through it")


# ------------------------------------------------------------------------------------ q3 global-batch loss

_BROKEN_LOSS = '''
def replica_loss(labels, logits, global_batch_size):
    per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return keras.ops.mean(per_example)
'''

GLOBAL_BATCH, STEPS = 64, 20
OTHER_REPLICAS, OTHER_GLOBAL_BATCH = 4, 48   # a second split: 12 examples a replica


@functools.cache
def _batches() -> tuple[np.ndarray, np.ndarray]:
    """20 batches of 64 of the course's digits, flattened: (20, 64, 784) float32 and (20, 64) int labels."""
    from course_lib.data import load_mnist

    (images, labels), _ = load_mnist()
    count = GLOBAL_BATCH * STEPS
    x = images[:count].reshape(STEPS, GLOBAL_BATCH, 784).astype(np.float32) / np.float32(255)
    return read_only((x, labels[:count].reshape(STEPS, GLOBAL_BATCH).astype(np.int32)))   # int labels, as Keras gives


def _train(loss_of, replicas: int, global_batch: int = GLOBAL_BATCH, steps: int = STEPS):
    """Weights after ``steps`` SGD steps (learning rate 0.5) of a 784-16-10 network, seed 0, on batches of
    ``global_batch`` digits. Each batch is split between ``replicas`` replicas and their gradients summed, as
    MirroredStrategy's all-reduce does; ``loss_of`` is called once per replica as
    ``loss_of(labels, logits, global_batch)``. Also returns the first step's gradient norm."""
    from course_lib.environment import import_tensorflow

    tf = import_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    # float32 whatever global dtype policy the learner's session has set (section 3 sets and resets it)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu", dtype="float32"),
                              keras.layers.Dense(10, dtype="float32")])
    weights = model.trainable_variables
    xs, ys = _batches()
    first_norm = None
    what = f"replica_loss(labels, logits, {global_batch})"
    for x, y in zip(xs[:steps, :global_batch], ys[:steps, :global_batch], strict=True):
        total = [tf.zeros_like(w) for w in weights]
        for part_x, part_y in zip(np.split(x, replicas), np.split(y, replicas), strict=True):
            with tf.GradientTape() as tape:
                loss = call(loss_of, tf.constant(part_y), model(part_x), global_batch)
                loss = tf.convert_to_tensor(asserts.returned(loss, what))
                if loss.shape.rank != 0:
                    raise Incorrect(f"{what} returned shape {tuple(loss.shape)}; return one number, the "
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
def _one_device(global_batch: int = GLOBAL_BATCH, steps: int = STEPS) -> tuple:
    return _train(_one_device_loss, replicas=1, global_batch=global_batch, steps=steps)


def _loss(reduce):
    def replica_loss(labels, logits, global_batch_size):
        import keras

        per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        return reduce(per_example, global_batch_size)

    return replica_loss


def _factor(ratio: float) -> str:
    """A ratio of gradients as the messages print it: 2.0, 0.5, 64.0, 0.75."""
    return f"{ratio:.1f}" if abs(ratio * 10 - round(ratio * 10)) < 1e-2 else f"{ratio:.2f}"


def _names_used(function) -> set[str]:
    """The global and attribute names the code of ``function`` uses, with those of nested functions and of the
    functions in its closure (``compute_average_loss`` in ``lambda x: tf.nn.compute_average_loss(x)``)."""
    names: set[str] = set()
    seen: set[int] = set()

    def visit(obj):
        code = getattr(obj, "__code__", None)
        if code is None or id(code) in seen:
            return
        seen.add(id(code))
        stack = [code]
        while stack:
            current = stack.pop()
            names.update(current.co_names)
            stack.extend(const for const in current.co_consts if hasattr(const, "co_names"))
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                visit(cell.cell_contents)
            except ValueError:  # an empty cell
                pass

    visit(function)
    return names


class DebugReplicaLoss(Problem):
    title = "Debug a loss averaged over the wrong batch"
    kind = "debug"
    answer_name = "replica_loss"
    given_code = _BROKEN_LOSS
    expects = ("a function replica_loss(labels, logits, global_batch_size) that returns one number, the replica's "
               "part of the loss")
    hints = (
        "Run the check on the listing as it is and compare the two factors it prints, for 2 and for 4 replicas. "
        "Each replica averages over its own examples, and the all-reduce ADDS the replicas' gradients: what does "
        "the sum of two means over 32 examples give, compared with one mean over 64?",
        "On one device the loss is the sum of the 64 per-example losses divided by 64. Each replica holds a part "
        "of that sum: by what must it divide its part so that the replicas' results add up to the one-device "
        "loss, whatever the number of replicas? replica_loss is given a number it does not use yet.",
    )
    solution_code = """
import keras
import tensorflow as tf

def replica_loss(labels, logits, global_batch_size):
    per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    # The replicas' gradients are summed: each replica divides by the GLOBAL batch, not by its own examples.
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
"""
    wrong_answers = (
        (lambda labels, logits, size: define(_BROKEN_LOSS, "replica_loss", _keras_namespace())(labels, logits, size),
         "2.0 times"),
        (_loss(lambda per_example, size: _ops().sum(per_example)), "64.0 times"),
        (_loss(lambda per_example, size: _tf().nn.compute_average_loss(per_example)), "global_batch_size="),
        (_loss(lambda per_example, size: _ops().sum(per_example) / (2 * size)), "0.5 times"),
        (_loss(lambda per_example, size: _ops().mean(per_example) / 2), "4 replicas"),
        (_loss(lambda per_example, size: _ops().sum(per_example) / 64), "4 replicas"),
        (_loss(lambda per_example, size: per_example / size), "one number"),
    )

    def check_answer(self, answer):
        ratios = {}
        for replicas, global_batch in ((2, GLOBAL_BATCH), (OTHER_REPLICAS, OTHER_GLOBAL_BATCH)):
            _, expected_norm = _one_device(global_batch, steps=1)
            _, norm = _train(answer, replicas, global_batch, steps=1)
            ratios[replicas] = norm / expected_norm
        off = {replicas: abs(ratio - 1) > 1e-3 for replicas, ratio in ratios.items()}
        if off[2]:
            ratio, other = ratios[2], ratios[OTHER_REPLICAS]
            if "compute_average_loss" in _names_used(answer) and abs(ratio - 2) < 1e-3:
                raise Incorrect(f"with 2 replicas the first step's summed gradient is {_factor(ratio)} times the "
                                "one-device gradient of the same 64 examples. tf.nn.compute_average_loss, when it is "
                                "not told global_batch_size=, divides by the replica's own batch times the replicas "
                                "it can see, and it sees them only inside strategy.run: pass "
                                "global_batch_size=global_batch_size")
            size = "large" if ratio > 1 else "small"
            raise Incorrect(f"with 2 replicas (32 examples each) the first step's summed gradient is {_factor(ratio)} "
                            f"times the one-device gradient of the same 64 examples, so every step is that much too "
                            f"{size}; with {OTHER_REPLICAS} replicas and a global batch of {OTHER_GLOBAL_BATCH} "
                            f"({OTHER_GLOBAL_BATCH // OTHER_REPLICAS} each) it is {_factor(other)} times. Look at what "
                            "each replica's loss is an average over, and at what the all-reduce does with the "
                            "replicas' gradients")
        if off[OTHER_REPLICAS]:
            raise Incorrect(f"with 2 replicas and a global batch of 64 the step is right, but with {OTHER_REPLICAS} "
                            f"replicas and a global batch of {OTHER_GLOBAL_BATCH} "
                            f"({OTHER_GLOBAL_BATCH // OTHER_REPLICAS} examples each) the first step's summed "
                            f"gradient is {_factor(ratios[OTHER_REPLICAS])} times the one-device gradient of the same "
                            f"{OTHER_GLOBAL_BATCH} examples. The loss must be right for any number of replicas and "
                            "any global batch: look for a number in replica_loss that holds only for 2 replicas of "
                            "32 examples")
        expected, _ = _one_device()
        weights, _ = _train(answer, replicas=2)
        difference = max(float(np.abs(w - e).max()) for w, e in zip(weights, expected, strict=True))
        if difference > 1e-4:
            raise Incorrect(f"the first step is right, but after 20 steps the two-replica weights differ from one "
                            f"device's by up to {difference:.2g}; they should agree to 1e-4")
        return ("two replicas, their gradients summed, now take exactly one device's steps (20 steps, weights "
                f"within 1e-4), and {OTHER_REPLICAS} replicas the same first step: the learning rate means the same on "
                "any number of replicas.")


def _keras_namespace() -> dict:
    import keras

    return {"keras": keras}


def _ops():
    import keras

    return keras.ops


def _tf():
    from course_lib.environment import import_tensorflow

    return import_tensorflow()


# ------------------------------------------------------------------------------------ q4 gradient accumulation

MICRO_SPLITS = ((16, 16, 16, 16), (24, 24, 16))   # two ways to cut the same 64 examples


def _accumulation_model():
    """A 784-16-10 network, seed 0, and the list of the batch sizes it is called on from now on."""
    from course_lib.environment import import_tensorflow

    import_tensorflow()
    import keras

    sizes: list = []

    class RecordingNet(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(16, activation="relu", dtype="float32")   # whatever the global policy
            self.scores = keras.layers.Dense(10, dtype="float32")

        def call(self, inputs, training=False):
            sizes.append(inputs.shape[0])
            return self.scores(self.hidden(inputs))

    keras.utils.set_random_seed(0)
    model = RecordingNet()
    model(np.zeros((1, 784), np.float32))
    sizes.clear()
    return model, sizes


def _gradient(model, loss_fn, x, y) -> list[np.ndarray]:
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    return [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]


def _same(got, expected) -> bool:
    return all(np.allclose(g, e, rtol=1e-4, atol=1e-6) for g, e in zip(got, expected, strict=True))


def _scale(got, part) -> float:
    """The number ``c`` that makes ``c * part`` closest to ``got`` (least squares over every entry)."""
    flat_got, flat_part = np.concatenate([g.ravel() for g in got]), np.concatenate([p.ravel() for p in part])
    return float(flat_got @ flat_part) / float(flat_part @ flat_part)


def _proportional(got, part) -> bool:
    """True when ``got`` is ``part`` times some positive number (the last micro-batch's gradient, however scaled)."""
    scale = _scale(got, part)
    return scale > 0 and _same(got, [scale * p for p in part])


def _accumulator(weigh=lambda size, total, count: size / total, keep_last=False, apply=False, at_once=False,
                 pairs=False, start_at_weights=False):
    def accumulate_gradients(model, loss_fn, micro_batches):
        import keras
        import tensorflow as tf

        variables = model.trainable_variables
        if at_once:
            x = np.concatenate([x for x, _ in micro_batches])
            y = np.concatenate([y for _, y in micro_batches])
            micro_batches = [(x, y)]
        total = sum(len(x) for x, _ in micro_batches)
        accumulated = [tf.identity(v) if start_at_weights else tf.zeros_like(v) for v in variables]
        for x, y in micro_batches:
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True)) * weigh(len(x), total, len(micro_batches))
            gradients = tape.gradient(loss, variables)
            accumulated = gradients if keep_last else [a + g for a, g in zip(accumulated, gradients, strict=True)]
        if apply:
            keras.optimizers.SGD(0.1).apply_gradients(zip(accumulated, variables, strict=True))
        return list(zip(accumulated, variables, strict=True)) if pairs else accumulated

    return accumulate_gradients


class AccumulateGradients(Problem):
    title = "Accumulate the gradients of micro-batches of unequal sizes"
    answer_name = "accumulate_gradients"
    expects = ("a function accumulate_gradients(model, loss_fn, micro_batches) that returns a list of gradients, "
               "one per model.trainable_variables, with their shapes")
    hints = (
        "loss_fn(y, logits) is a MEAN over its batch. The large batch's loss is the mean over all its examples: "
        "write it as a sum over the micro-batches, each micro-batch's mean times a weight. What is the weight of "
        "a micro-batch of 24 examples out of 64? Gradients add up as the losses do.",
        "One tape per micro-batch (so that only one micro-batch's activations are kept at a time), its loss "
        "scaled by that weight; keep a running total per variable, starting from zeros, and add each tape's "
        "gradients to it. Return the totals; applying them is the caller's job.",
    )
    solution_code = """
import tensorflow as tf

def accumulate_gradients(model, loss_fn, micro_batches):
    total = sum(len(x) for x, _ in micro_batches)                       # examples in the large batch
    accumulated = [tf.zeros_like(v) for v in model.trainable_variables]
    for x, y in micro_batches:                                           # one micro-batch in memory at a time
        with tf.GradientTape() as tape:
            # loss_fn averages over this micro-batch; times len(x) / total it is the micro-batch's part of the
            # mean over all the examples, so a micro-batch of 16 counts less than one of 24
            loss = loss_fn(y, model(x, training=True)) * (len(x) / total)
        gradients = tape.gradient(loss, model.trainable_variables)
        accumulated = [a + g for a, g in zip(accumulated, gradients)]
    return accumulated
"""
    wrong_answers = (
        (_accumulator(weigh=lambda size, total, count: 1 / count), "24, 24 and 16"),
        (_accumulator(weigh=lambda size, total, count: 1), "4.0 times"),
        (_accumulator(keep_last=True), "last micro-batch"),
        (_accumulator(apply=True), "changed the model's weights"),
        (_accumulator(at_once=True), "at once"),
        (_accumulator(pairs=True), "(gradient, variable) pairs"),
        (_accumulator(weigh=lambda size, total, count: size / total / count), "points the right way"),
        (_accumulator(start_at_weights=True), "zeros"),
        (_accumulator(weigh=lambda size, total, count: size / total if size > 16 else 0.0), "zero everywhere"),
        (_accumulator(weigh=lambda size, total, count: size // total), "zero everywhere"),
        (lambda model, loss_fn, micro_batches: None, "returned None"),
    )

    def check_answer(self, answer):
        import keras

        xs, ys = _batches()
        x, y = xs[0], ys[0]                                  # 64 digits, read-only
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        for split in MICRO_SPLITS:
            edges = np.cumsum((0, *split))
            micro_batches = [(x[a:b], y[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
            sizes_text = ", ".join(str(s) for s in split[:-1]) + f" and {split[-1]}"
            what = f"accumulate_gradients(model, loss_fn, micro-batches of {sizes_text})"
            model, sizes = _accumulation_model()
            before = [v.numpy().copy() for v in model.trainable_variables]
            expected = _gradient(model, loss_fn, x, y)
            parts = [_gradient(model, loss_fn, mx, my) for mx, my in micro_batches]
            sizes.clear()
            result = asserts.returned(call(answer, model, loss_fn, list(micro_batches)), what)
            if any(not np.array_equal(v.numpy(), b) for v, b in zip(model.trainable_variables, before, strict=True)):
                raise Incorrect(f"{what} changed the model's weights: return the accumulated gradients without "
                                "applying them (the training loop applies them once, after the last micro-batch)")
            largest = max((s for s in sizes if s is not None), default=0)
            if largest > max(split):
                raise Incorrect(f"{what} called the model on {largest} examples at once; the largest micro-batch has "
                                f"{max(split)}. A device that holds only a micro-batch cannot do that: call the model "
                                "on one micro-batch at a time")
            got = self._gradients(result, model, what)
            if _same(got, expected):
                continue
            count = len(split)
            if _same(got, [count * e for e in expected]):
                raise Incorrect(f"with {count} micro-batches of {sizes_text} examples your gradient is {count:.1f} "
                                "times the large batch's: the sum of the micro-batches' mean losses is not the mean "
                                "over all the examples")
            if len(set(split)) > 1 and _same(got, [sum(p) / count for p in zip(*parts, strict=True)]):
                raise Incorrect(f"with micro-batches of equal sizes your gradient is right, but with {sizes_text} "
                                f"examples it is the plain average of the {count} micro-batch gradients, which "
                                "weighs each micro-batch alike. The large batch's mean weighs each EXAMPLE alike "
                                f"(1/{len(x)} each), so a micro-batch of {min(split)} should count less than one of "
                                f"{max(split)}")
            if _proportional(got, parts[-1]):
                raise Incorrect(f"{what} returned the gradient of the last micro-batch alone: each micro-batch's "
                                "gradient replaced the one before; add it to a running total instead")
            if _proportional(got, parts[0]):
                raise Incorrect(f"{what} returned the gradient of the first micro-batch alone: every micro-batch's "
                                "gradient belongs in the total")
            if _same(got, [b + e for b, e in zip(before, expected, strict=True)]):
                raise Incorrect(f"{what} returned the weights plus the gradient: the running totals started at the "
                                "model's weights; start them at zeros (tf.zeros_like(v) for each variable)")
            if _proportional(got, expected):
                scale = _scale(got, expected)
                raise Incorrect(f"with micro-batches of {sizes_text} examples your gradient points the right way but "
                                f"is {scale:.3g} times the large batch's: check what each micro-batch's loss is "
                                f"multiplied or divided by, so that the parts add up to the mean over all {len(x)} "
                                "examples")
            if all(not np.any(g) for g in got):
                raise Incorrect(f"with micro-batches of {sizes_text} examples your gradient is zero everywhere: "
                                "print the weight you give each micro-batch (an integer division // rounds it "
                                "to 0)")
            difference = max(float(np.abs(g - e).max()) for g, e in zip(got, expected, strict=True))
            raise Incorrect(f"with micro-batches of {sizes_text} examples your gradient differs from the gradient of "
                            f"the mean loss over all {len(x)} examples (one tape over the whole batch) by up to "
                            f"{difference:.2g}; they should agree to rounding")
        return ("your accumulated gradient equals the large batch's, for equal and unequal micro-batches: a device "
                "that holds 16 or 24 examples takes the step of a batch of 64.")

    @staticmethod
    def _gradients(result, model, what) -> list[np.ndarray]:
        import tensorflow as tf

        variables = model.trainable_variables
        if isinstance(result, dict) or not isinstance(result, list | tuple):
            raise Incorrect(f"{what} should return a list of gradients, one per model.trainable_variables "
                            f"({len(variables)} of them), got a {type(result).__name__}")
        if len(result) != len(variables):
            raise Incorrect(f"{what} returned {len(result)} things; expected {len(variables)} gradients, one per "
                            "model.trainable_variables, in that order")
        gradients = []
        for i, (gradient, variable) in enumerate(zip(result, variables, strict=True)):
            if isinstance(gradient, tuple | list) and len(gradient) == 2 and not hasattr(gradient, "shape"):
                raise Incorrect(f"{what} returned (gradient, variable) pairs, as apply_gradients takes them; return "
                                "the gradients alone, one per model.trainable_variables")
            if gradient is None:
                raise Incorrect(f"gradient {i} is None: the loss did not depend on that weight. Compute the loss "
                                "from model(x, training=True) inside the tape")
            if isinstance(gradient, tuple | list):
                raise Incorrect(f"{what} returned a list of {len(result)} lists: return ONE gradient per "
                                "trainable variable, each the total over all the micro-batches, not one list of "
                                "gradients per micro-batch")
            try:
                value = np.asarray(tf.convert_to_tensor(gradient), dtype=np.float64)
            except (TypeError, ValueError, tf.errors.InvalidArgumentError) as error:
                raise Incorrect(f"gradient {i} is not an array of numbers ({type(gradient).__name__}): "
                                f"{str(error).splitlines()[0][:120]}") from None
            if value.shape != tuple(variable.shape):
                raise Incorrect(f"gradient {i} has shape {value.shape}; expected {tuple(variable.shape)}, the shape "
                                f"of model.trainable_variables[{i}]")
            gradients.append(value)
        return gradients


# ------------------------------------------------------------------------------------ q5 memory experiment

_MEMORY_PARTS = ("weights", "gradients", "optimizer")


def _nbytes(tensors) -> int:
    """Bytes of ``tensors`` (variables or tensors): elements times the size of their dtype."""
    from course_lib.environment import import_tensorflow

    tf = import_tensorflow()
    return sum(int(np.prod(t.shape)) * tf.as_dtype(t.dtype).size for t in tensors)


@functools.cache
def _mixed_memory() -> dict:
    """Bytes per trainable parameter of the weights, the gradients and Adam's moments of section 5's dense network
    under the mixed_bfloat16 policy, after one step on 64 digits; and the number of parameters."""
    from course_lib.environment import import_tensorflow

    tf = import_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,)),
                              keras.layers.Dense(64, activation="relu", dtype="mixed_bfloat16"),
                              keras.layers.Dense(10, dtype="mixed_bfloat16")])
    xs, ys = _batches()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(ys[0], model(xs[0], training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    adam = keras.optimizers.Adam(1e-3)
    adam.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
    parameters = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    moments = [v for v in adam.variables if len(v.shape) > 0]       # not the step counter, not the learning rate
    return {"weights": _nbytes(model.trainable_variables) / parameters,
            "gradients": _nbytes(gradients) / parameters,
            "optimizer": _nbytes(moments) / parameters,
            "parameters": parameters, "compute_dtype": model.layers[0].compute_dtype}



class MixedPrecisionMemory(Problem):
    title = "Experiment: what does a parameter cost in memory under mixed_bfloat16?"
    kind = "experiment"
    answer_name = "mixed_memory_report"
    expects = ("a dict of three numbers of bytes per trainable parameter, 'weights', 'gradients' and 'optimizer', "
               "their 'total', 'smaller_than_float32' (True or False) and a one-line 'conclusion'")
    hints = (
        "Build section 5's network (784 -> Dense(64, relu) -> Dense(10)) with dtype='mixed_bfloat16' on each Dense "
        "layer, take one step as section 8 does (a tape, then Adam's apply_gradients), and count bytes the same "
        "way: elements times the size of each tensor's dtype, divided by the number of trainable parameters. Then "
        "compare the total with float32's 16.",
        "Section 3 printed what a mixed policy computes in and what it keeps its weights in. Count "
        "model.trainable_variables, the tape's gradients and the optimizer's variables that have a shape (its "
        "moments; leave out the step counter and the learning rate). The conclusion says why the total is what "
        "it is.",
    )
    solution_code = """
import keras
import numpy as np
import tensorflow as tf
from keras import layers

from course_lib.data import load_mnist

(images, labels), _ = load_mnist()
x = images[:64].reshape(64, 784).astype("float32") / 255.0
y = labels[:64].astype("int32")
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((784,)), layers.Dense(64, activation="relu", dtype="mixed_bfloat16"),
                          layers.Dense(10, dtype="mixed_bfloat16")])
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x, training=True))
gradients = tape.gradient(loss, model.trainable_variables)
adam = keras.optimizers.Adam(1e-3)
adam.apply_gradients(zip(gradients, model.trainable_variables))


def nbytes(tensors):
    return sum(int(np.prod(t.shape)) * tf.as_dtype(t.dtype).size for t in tensors)


parameters = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
report = {"weights": nbytes(model.trainable_variables) / parameters,
          "gradients": nbytes(gradients) / parameters,
          "optimizer": nbytes([v for v in adam.variables if len(v.shape) > 0]) / parameters}   # Adam's m and v
total = sum(report.values())
mixed_memory_report = {
    **report,
    "total": total,
    "smaller_than_float32": total < 16,
    "conclusion": "Keras keeps float32 weights and casts them to bfloat16 as each layer computes, so the policy "
                  "saves activation memory and arithmetic, not the weights, gradients and optimizer state",
}
"""
    wrong_answers = (
        ({"weights": 2, "gradients": 2, "optimizer": 8, "conclusion": "12 bytes a parameter: a quarter less"},
         "trainable_variables"),
        ({"weights": 4, "gradients": 2, "optimizer": 8, "conclusion": "14 bytes a parameter, a little less"},
         "the tape's gradients"),
        ({"weights": 4, "gradients": 4, "optimizer": 12, "conclusion": "20 bytes a parameter, more than float32"},
         "moments"),
        ({"weights": 4, "gradients": 4, "optimizer": 8, "total": 16, "smaller_than_float32": True,
          "conclusion": "bfloat16 halves what float32 keeps"}, "as many as"),
        ({"weights": 4, "gradients": 4, "optimizer": 8, "conclusion": "mixed precision does not change the state"},
         "'total'"),
        ({"weights": 4, "gradients": 4, "optimizer": 8, "total": 12, "smaller_than_float32": True,
          "conclusion": "a quarter less than float32"}, "add up to"),
        ({"weights": 203_560, "gradients": 203_560, "optimizer": 407_120, "conclusion": "16 bytes a parameter"},
         "per trainable parameter"),
        ({"weights": 4, "gradients": 4, "optimizer": 8}, "'conclusion'"),
    )

    def check_answer(self, answer):
        report = asserts.findings(answer, "the bytes per trainable parameter", _MEMORY_PARTS)
        measured = _mixed_memory()
        parameters = measured["parameters"]
        if any(report[name] > 64 for name in _MEMORY_PARTS):
            raise Incorrect(f"these look like bytes in all ({report['weights']:,.0f} for the weights); report bytes "
                            f"per trainable parameter: divide each count by the number of trainable parameters "
                            f"({parameters:,})")
        advice = {
            "weights": "count the bytes of model.trainable_variables themselves (elements x the size of each "
                       "variable's dtype): the layers compute in bfloat16, but what do they keep?",
            "gradients": "count the bytes of the tape's gradients (tape.gradient(loss, model.trainable_variables)): "
                         "read their dtype rather than assume it",
            "optimizer": "count the optimizer's variables that have a shape: Adam's moments m and v, one number each "
                         "per weight; leave out the step counter and the learning rate, and count nothing else",
        }
        for name in _MEMORY_PARTS:
            if not np.isclose(report[name], measured[name], atol=0.01):
                raise Incorrect(f"measured with the recipe of the statement, {name!r} is {measured[name]:g} bytes "
                                f"per trainable parameter, got {report[name]:g}: {advice[name]}")
        total = sum(report[name] for name in _MEMORY_PARTS)
        missing = [key for key in ("total", "smaller_than_float32") if key not in answer]
        if missing:
            raise Incorrect(f"the three numbers are right; add {' and '.join(repr(m) for m in missing)}: their total "
                            "and whether it is below float32's 16 bytes (True or False)")
        said_total = asserts.number(answer["total"], "the report's 'total'")
        if abs(said_total - total) > 0.05:
            raise Incorrect(f"your three numbers add up to {total:g} bytes per parameter, not {said_total:g}")
        smaller = answer["smaller_than_float32"]
        if not isinstance(smaller, bool | np.bool_):
            raise Incorrect(f"'smaller_than_float32' should be True or False, got {smaller!r}")
        if bool(smaller) != (total < 16 - 0.05):
            raise Incorrect(f"'smaller_than_float32' says {bool(smaller)}, but {total:g} bytes per parameter is "
                            + ("as many as float32's 4 + 4 + 8 = 16" if total >= 16 - 0.05 else "below 16"))
        return (f"{total:g} bytes a parameter under mixed_bfloat16, as in float32: Keras keeps one float32 copy of "
                f"each weight and casts it to {measured['compute_dtype']} as each layer computes, so the gradients "
                "and Adam's moments are float32 too. The policy puts the activations and the arithmetic in 16 bits, "
                "not the state a training step keeps; the 2 + 2 + 12 accounting of section 8 keeps 16-bit copies "
                "besides the float32 ones, and comes to 16 bytes too.")


PROBLEMS = [GlobalBatch, WorkerPipeline, DebugReplicaLoss, AccumulateGradients, MixedPrecisionMemory]

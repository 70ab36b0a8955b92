"""Test-session settings, applied before any notebook kernel starts (kernels inherit this environment)."""

import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ["PYTHONHASHSEED"] = "0"
os.environ["COURSE_SCALE"] = "small"  # the committed outputs are the small ones
# The committed outputs use the bundled MNIST digits, even on a machine that has Keras' mnist.npz cached.
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="course-keras-home-")
# Exercise checks in the notebooks record progress; keep it out of the learner's own progress file.
os.environ["COURSE_PROGRESS"] = os.path.join(tempfile.mkdtemp(prefix="course-tests-"), "progress.json")
# Tests that make a learner's workspace make it here, never in the course's work/ folder.
os.environ["COURSE_WORKSPACE"] = tempfile.mkdtemp(prefix="course-workspace-")
# Chapter 07 saves its trained pipeline and chapters 08 and 10 load it: one folder per test process (the three
# chapters run in one process, see below), outside ~/.course.
os.environ["COURSE_MODELS"] = tempfile.mkdtemp(prefix="course-models-")


# pytest runs in two processes (pytest-xdist, see pyproject.toml). A notebook's cells share one kernel, so each
# notebook runs whole, in one process; chapters 08 and 10 load the pipeline chapter 07 saves, so those three run
# in one process, in that order. The longest work is handed out first, the short test files fill in at the end.
SENTIMENT_CHAIN = ("07", "08", "10")
LONGEST_FIRST = SENTIMENT_CHAIN + ("09", "12")


def work_unit(nodeid):
    """The unit of work a test belongs to: its file, or "sentiment chain" for chapters 07, 08 and 10's cells."""
    path = nodeid.split("::")[0]
    name = path.rsplit("/", 1)[-1]
    if path.endswith(".ipynb") and name[:2] in SENTIMENT_CHAIN:
        return "sentiment chain"
    return path


def _run_order(item):
    name = item.path.name
    if item.path.suffix != ".ipynb":
        return (2, 0)
    chapter = name[:2]
    return (0, LONGEST_FIRST.index(chapter)) if chapter in LONGEST_FIRST else (1, 0)


def pytest_collection_modifyitems(items):
    """Notebooks before test files, chapters 07, 08, 10 and 09 first; otherwise collection order (a stable sort)."""
    items.sort(key=_run_order)


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByWorkUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return work_unit(nodeid)

    return ByWorkUnit(config, log)

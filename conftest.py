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
# Chapter 07 saves its trained pipeline and chapter 08 loads it: share one folder for the session, outside ~/.course.
os.environ["COURSE_MODELS"] = tempfile.mkdtemp(prefix="course-models-")

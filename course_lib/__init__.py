"""course_lib: the helper library of the course.

Every chapter starts with::

    import course_lib
    course_lib.setup(seed=0)

Modules (import them as you need them; none touches the network):

- ``course_lib.data``       offline, checksummed datasets (MNIST, digits, IMDB, Rotten Tomatoes, GloVe, MiniLM)
- ``course_lib.text``       NLTK's English tokenizer and stop words, offline
- ``course_lib.exercises``  ``chapter("01").q1.check(...)``, ``.hint()``, ``.solution()``
- ``course_lib.plots``      training curves and confusion matrices
- ``course_lib.pretrained`` the pretrained MiniLM of chapter 09 (keras-hub, offline) and sentence features
"""

from course_lib.environment import CourseEnv, scale, scaled, setup

__version__ = "0.1.0"

__all__ = ["CourseEnv", "scale", "scaled", "setup", "__version__"]

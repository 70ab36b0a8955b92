"""The IMDB sentiment pipeline of chapter 07: NLTK preprocessing, a GloVe-initialised LSTM, saved as one object.

Chapter 07 trains it with ``train_pipeline()`` and saves it; chapter 08 (and you) get it back with
``load_pipeline()``, which trains it the same way, deterministically, when no saved copy exists::

    from course_lib import sentiment
    pipeline = sentiment.load_pipeline()
    pipeline.predict(["I love this movie!", "This is a terrible book."])        # array([1, 0])
    pipeline.predict_proba(["I love this movie!"])                              # [[P(negative), P(positive)]]

A pipeline takes raw strings. It preprocesses them in Python with NLTK (``preprocess``), then runs one
Keras model from strings to a probability: ``TextVectorization`` (whitespace split; the vocabulary of the
training reviews) -> ``Embedding`` (initialised from GloVe, fine-tuned) -> ``LSTM`` -> ``Dense(1, sigmoid)``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from course_lib import paths

NEGATIONS = frozenset({"no", "nor", "not", "never", "n't"})
"""Words that flip the meaning of what follows. ``word_tokenize`` splits "don't" into "do" + "n't"."""

MAX_TOKENS = 20_000
"""Vocabulary size, including the padding ("") and out-of-vocabulary ("[UNK]") entries."""
SEQUENCE_LENGTH = 200
"""Tokens the model reads per review (after preprocessing); longer reviews are cut, shorter ones padded."""
UNITS = 32
"""LSTM units."""
GLOVE_SCALE = 0.1
"""GloVe values have a standard deviation of about 0.65; times 0.1, about 0.065, within a factor of about two of
Keras' default ``Embedding`` initialisation (uniform in [-0.05, 0.05], standard deviation 0.029). Adam moves each
weight by about its learning rate a step, so the smaller vectors adapt faster when fine-tuned (chapter 07,
section 5, measures it). Cosine similarities do not change."""
SEED = 0
"""Seed of ``train_pipeline()``: the same seed gives the same weights (TensorFlow op determinism)."""
PIPELINE_NAME = "imdb_glove_lstm"

_MODEL_FILE = "model.keras"
_CONFIG_FILE = "pipeline.json"


# --------------------------------------------------------------------------------------------- preprocessing
def is_negation(word: str) -> bool:
    """True for a negation: no, nor, not, never, n't, and contractions such as "don't" or "isn't"."""
    return word in NEGATIONS or word.endswith("n't")


@lru_cache(maxsize=2)
def stop_words(keep_negations: bool = True) -> frozenset[str]:
    """NLTK's English stop words (179), without the negations when ``keep_negations`` (the course's fix)."""
    from nltk.corpus import stopwords

    from course_lib.text import use_course_nltk_data

    use_course_nltk_data()
    words = frozenset(stopwords.words("english"))
    return frozenset(w for w in words if not is_negation(w)) if keep_negations else words


def preprocess(text: str, stop: Iterable[str] | None = None) -> list[str]:
    """Lower-case, ``nltk.word_tokenize``, then drop stop words and tokens without a letter or digit.

    Args:
        text: one raw review.
        stop: the stop words to drop; default ``stop_words(keep_negations=True)``.

    Returns:
        The tokens, e.g. ``preprocess("This movie is not good!") == ["movie", "not", "good"]``.
    """
    if not isinstance(text, str):
        raise TypeError(f"preprocess expects one text (str), got {type(text).__name__}; "
                        "for many texts use preprocess_texts(texts)")
    from nltk.tokenize import word_tokenize  # with preserve_line=True it needs no NLTK data

    stop = stop_words() if stop is None else stop
    tokens = []
    # preserve_line=True skips Punkt's sentence splitting, which takes two thirds of the time; the price is
    # that a period ending a sentence inside the text stays on its word ("movie."): split it off here.
    for token in word_tokenize(text.lower(), preserve_line=True):
        if len(token) > 1 and token.endswith(".") and "." not in token[:-1]:
            token = token[:-1]
        # ... and "wasn't." was not split into "was" + "n't" as "wasn't" is: split it the same way.
        parts = [token[:-3], "n't"] if len(token) > 3 and token.endswith("n't") else [token]
        tokens.extend(t for t in parts if t not in stop and any(c.isalnum() for c in t))
    return tokens


def _preprocess_joined(args) -> str:
    text, stop = args
    return " ".join(preprocess(text, stop))


def preprocess_texts(texts: Sequence[str], stop: Iterable[str] | None = None, processes: int = 1) -> np.ndarray:
    """``preprocess`` every text and join its tokens with single spaces (the input ``TextVectorization`` splits).

    Args:
        texts: raw texts.
        stop: stop words to drop (default: NLTK's without the negations).
        processes: worker processes (NLTK tokenisation is pure Python; 2 halve the time on 2 cores).

    Returns:
        Object array of ``str``, shape ``(len(texts),)``.
    """
    if isinstance(texts, str):
        raise TypeError("preprocess_texts expects a list of texts; for one text use preprocess(text)")
    stop = frozenset(stop_words() if stop is None else stop)
    jobs = [(t, stop) for t in texts]
    if processes > 1 and len(jobs) > 1000:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(processes) as pool:
            joined = pool.map(_preprocess_joined, jobs, chunksize=500)
    else:
        joined = [_preprocess_joined(job) for job in jobs]
    return np.array(joined, dtype=object)


def prepare_imdb(stop: Iterable[str] | None = None, processes: int = 2):
    """``course_lib.data.load_imdb()`` with every review preprocessed (``preprocess_texts``); same order.

    Returns:
        ``((x_train, y_train), (x_val, y_val), (x_test, y_test))``: space-joined tokens (object arrays of str)
        and int64 labels, 17,500 / 2,500 / 5,000 reviews.
    """
    from course_lib.data import load_imdb

    return tuple((preprocess_texts(x, stop, processes), y) for x, y in load_imdb())


def preprocess_in_graph(texts, stop: Iterable[str] | None = None):
    """``preprocess`` in TensorFlow string operations, so that it can run inside an exported model.

    Lower-cases, splits off "n't" and the clitics 's 're 've 'll 'd 'm as NLTK's tokenizer does, drops
    punctuation (keeping ``-``, ``.``, ``/`` and ``'`` inside a word), then drops stop words and tokens without a
    letter or digit. It is an approximation of NLTK's tokenizer written with regular expressions: on chapter
    10's test reviews most texts get exactly ``preprocess``'s tokens, and the rest differ in a few (chapter 10
    measures it).

    Args:
        texts: a string tensor of any shape, e.g. ``(batch,)`` or ``(batch, 1)``.
        stop: the stop words to drop; default ``stop_words(keep_negations=True)``.

    Returns:
        A string tensor of the same shape: each text's tokens joined by single spaces.
    """
    import tensorflow as tf

    stop = sorted(stop_words() if stop is None else stop)
    x = tf.strings.lower(texts)
    x = tf.strings.regex_replace(x, r"n't\b", " n't ")                       # "don't" -> "do n't"
    x = tf.strings.regex_replace(x, r"\.{2,}|'{2,}", " ")                    # "..." and '' between words
    x = tf.strings.regex_replace(x, r"[^\pL\pN_'\-./\s]", " ")              # punctuation, but - . / ' in words
    x = tf.strings.regex_replace(x, r"[./]+(\s|$)|(^|\s)[./]+", " ")         # . and / at a word's ends
    x = tf.strings.regex_replace(x, r"(^|\s)'+|'+(\s|$)", " ")               # quotes around words
    x = tf.strings.regex_replace(x, r"'(s|re|ve|ll|d|m)\b", r" '\1 ")       # "movie's" -> "movie 's"
    tokens = tf.strings.split(x)                                             # ragged: (..., tokens)
    # A regular expression of the stop words, not a lookup table: a table made here would be a resource the
    # exported model does not track, and export would fail.
    stop_pattern = "|".join(re.escape(word) for word in stop) or "$^"
    keep = tf.ragged.map_flat_values(
        lambda words: ~tf.strings.regex_full_match(words, stop_pattern)
        & tf.strings.regex_full_match(words, r".*[\pL\pN].*"), tokens)
    joined = tf.strings.reduce_join(tf.ragged.boolean_mask(tokens, keep), axis=-1, separator=" ")
    return tf.ensure_shape(tf.reshape(joined, tf.shape(x)), x.shape)          # the input's shape, (batch, 1) too


def raw_text_model(pipeline: SentimentPipeline):
    """The pipeline's model with its preprocessing inside: raw review strings ``(batch, 1)`` -> P(positive)
    ``(batch, 1)``, ready for ``model.export()`` (the preprocessing is traced into the SavedModel's graph).

    A new ``TextVectorization`` with ``preprocess_in_graph`` as its standardisation and the pipeline's
    vocabulary replaces the pipeline's own, which expects preprocessed text; the classifier is the pipeline's.
    """
    import keras

    vectorizer = next(layer for layer in pipeline.model.layers if isinstance(layer, keras.layers.TextVectorization))
    classifier = pipeline.model.layers[-1]
    stop = pipeline.stop
    in_graph = keras.layers.TextVectorization(
        standardize=lambda texts: preprocess_in_graph(texts, stop), split="whitespace",
        vocabulary=vectorizer.get_vocabulary()[2:],            # without "" and "[UNK]", which Keras adds back
        output_sequence_length=vectorizer.get_config()["output_sequence_length"], name="raw_text_vectorizer")
    inputs = keras.Input(shape=(1,), dtype="string", name="text")
    return keras.Model(inputs, classifier(in_graph(inputs)), name="raw_text_sentiment")


# --------------------------------------------------------------------------------------------- the model
def make_vectorizer(train_texts: Sequence[str], max_tokens: int = MAX_TOKENS,
                    sequence_length: int = SEQUENCE_LENGTH):
    """A ``TextVectorization`` adapted on preprocessed training texts: whitespace split, no standardisation.

    Output: int64 ids ``(batch, sequence_length)``; 0 is padding, 1 is an out-of-vocabulary word.
    """
    import keras
    import tensorflow as tf

    vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, standardize=None, split="whitespace",
                                                output_sequence_length=sequence_length)
    vectorizer.adapt(tf.constant(list(train_texts)))
    return vectorizer


def build_classifier(embedding_matrix: np.ndarray, sequence_length: int = SEQUENCE_LENGTH, units: int = UNITS,
                     trainable: bool = True, bidirectional: bool = False, dropout: float = 0.3):
    """Token ids ``(batch, sequence_length)`` -> P(positive) ``(batch, 1)``, embedding initialised from a matrix.

    ``Embedding`` (weights = ``embedding_matrix``, ``mask_zero=True``, ``trainable``) -> ``LSTM(units)``
    (``Bidirectional`` if asked; one vector per review, not one per step) -> ``Dropout`` -> ``Dense(1, sigmoid)``.
    Compiled with Adam and binary cross-entropy (one sigmoid output for two classes).
    """
    import keras
    from keras import layers

    embedding_matrix = np.asarray(embedding_matrix, dtype=np.float32)
    if embedding_matrix.ndim != 2:
        raise ValueError(f"embedding_matrix must be 2-D (vocabulary, dimension), got shape {embedding_matrix.shape}")
    vocabulary, dimension = embedding_matrix.shape
    inputs = keras.Input(shape=(sequence_length,), dtype="int64", name="token_ids")
    embedding = layers.Embedding(vocabulary, dimension, mask_zero=True, trainable=trainable, name="glove")
    x = embedding(inputs)
    embedding.set_weights([embedding_matrix])  # (a Constant initializer would copy the matrix into the config)
    recurrent = layers.LSTM(units, name="lstm")
    x = (layers.Bidirectional(recurrent, name="bilstm") if bidirectional else recurrent)(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(1, activation="sigmoid", name="positive")(x)
    model = keras.Model(inputs, outputs, name="glove_lstm")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


class SentimentPipeline:
    """Raw strings in, sentiment out: NLTK ``preprocess`` + one Keras model from strings to P(positive).

    Attributes:
        model: ``keras.Model``, input ``(batch, 1)`` strings (preprocessed, space-joined), output ``(batch, 1)``.
        stop: the stop words ``preprocess`` drops.
    """

    def __init__(self, model, stop: Iterable[str]):
        import tensorflow as tf

        self.model = model
        self.stop = frozenset(stop)
        # One compiled graph for every batch: calling the model eagerly runs the LSTM step by step in Python.
        self._probability = tf.function(lambda texts: self.model(texts, training=False),
                                        input_signature=[tf.TensorSpec([None, 1], tf.string)])

    @classmethod
    def from_parts(cls, vectorizer, classifier, stop: Iterable[str] | None = None) -> SentimentPipeline:
        """Join an adapted ``TextVectorization`` and a classifier of its ids into one string model."""
        import keras

        inputs = keras.Input(shape=(1,), dtype="string", name="text")
        model = keras.Model(inputs, classifier(vectorizer(inputs)), name="sentiment_pipeline")
        return cls(model, stop_words() if stop is None else stop)

    def _texts(self, texts) -> list[str]:
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        bad = [type(t).__name__ for t in texts if not isinstance(t, str)]
        if bad:
            raise TypeError(f"expected raw texts (str), got {bad[0]}; pass e.g. ['I love this movie!']")
        return texts

    def predict_proba(self, texts: str | Sequence[str], batch_size: int = 256,
                      preprocessed: bool = False) -> np.ndarray:
        """Class probabilities ``(n, 2)`` float32: column 0 negative, column 1 positive (LIME's ``classifier_fn``).

        ``preprocessed=True`` skips ``preprocess``: the texts are already space-joined tokens
        (e.g. from ``prepare_imdb()``).
        """
        import tensorflow as tf

        texts = self._texts(texts)
        if not texts:
            return np.zeros((0, 2), dtype=np.float32)
        joined = texts if preprocessed else [" ".join(preprocess(t, self.stop)) for t in texts]
        positive = np.concatenate([
            self._probability(tf.constant([[t] for t in joined[i:i + batch_size]])).numpy().ravel()
            for i in range(0, len(joined), batch_size)
        ])
        return np.stack([1.0 - positive, positive], axis=1).astype(np.float32)

    def predict(self, texts: str | Sequence[str]) -> np.ndarray:
        """Labels ``(n,)`` int64: 1 positive, 0 negative (P(positive) >= 0.5)."""
        return (self.predict_proba(texts)[:, 1] >= 0.5).astype(np.int64)

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``model.keras`` and ``pipeline.json`` (the stop words) into the folder ``path``; return it.

        Files of an earlier save in that folder are replaced; nothing else in it is touched.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise FileExistsError(f"'{path}' is a file; save a pipeline to a folder (it writes two files)")
        path.mkdir(parents=True, exist_ok=True)
        self.model.save(path / _MODEL_FILE)
        config = {"format": 1, "stop_words": sorted(self.stop)}
        (path / _CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> SentimentPipeline:
        """Read a folder written by ``save``."""
        import keras

        path = Path(path)
        missing = [name for name in (_MODEL_FILE, _CONFIG_FILE) if not (path / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"no saved pipeline in '{path}' ({', '.join(missing)} missing). Run chapter 07, or call "
                "course_lib.sentiment.load_pipeline(), which trains one when none is saved."
            )
        config = json.loads((path / _CONFIG_FILE).read_text(encoding="utf-8"))
        return cls(keras.models.load_model(path / _MODEL_FILE), config["stop_words"])


# --------------------------------------------------------------------------------------------- train, load
def train_pipeline(data=None, glove=None, *, epochs: int | None = None, seed: int = SEED,
                   checkpoint_path: str | os.PathLike | None = None, verbose: int = 0):
    """Train the course's pipeline: the same data, recipe and seed give the same weights.

    Args:
        data: the output of ``prepare_imdb()`` (default: computed here, about 25 s on two cores).
        glove: the word vectors (default: ``course_lib.data.load_glove()``).
        epochs: at most this many epochs (default 3 at the ``small`` scale, 10 at ``full``); early stopping
            on the validation loss (patience 1) stops sooner, and the best epoch's weights are kept.
        seed: seeds Keras (weights, dropout, shuffling).
        checkpoint_path: where ``ModelCheckpoint`` keeps the best classifier (``.keras``); default a temporary file.
        verbose: passed to ``fit``.

    Returns:
        ``(pipeline, history)``: a ``SentimentPipeline`` and the ``History`` of ``fit``.
    """
    import tempfile

    import keras

    from course_lib import scaled
    from course_lib.data import load_glove
    from course_lib.embeddings import embedding_matrix

    data = prepare_imdb() if data is None else data
    glove = load_glove() if glove is None else glove
    epochs = scaled(3, 10) if epochs is None else epochs
    (x_train, y_train), (x_val, y_val), _ = data

    keras.utils.set_random_seed(seed)
    vectorizer = make_vectorizer(x_train)
    matrix, _ = embedding_matrix(vectorizer.get_vocabulary(), glove)
    classifier = build_classifier(matrix * GLOVE_SCALE)
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(checkpoint_path) if checkpoint_path else Path(tmp) / "best.keras"
        callbacks = [
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=1),
            keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
        ]
        history = classifier.fit(vectorizer(x_train.tolist()), y_train, epochs=epochs, batch_size=64,
                                 validation_data=(vectorizer(x_val.tolist()), y_val), callbacks=callbacks,
                                 verbose=verbose)
        best = keras.models.load_model(checkpoint, compile=False)  # for prediction: no optimizer state
    return SentimentPipeline.from_parts(vectorizer, best), history


def default_path() -> Path:
    """Where the course keeps the trained pipeline: ``$COURSE_MODELS/imdb_glove_lstm``, by default under
    ``~/.course/models``."""
    return paths.models_dir() / PIPELINE_NAME


def load_pipeline(path: str | os.PathLike | None = None, train_if_missing: bool = True) -> SentimentPipeline:
    """The pipeline saved at ``path`` (default ``default_path()``); trained and saved there first if missing.

    Training takes about 2.5 minutes on a 2-core CPU and gives the same weights as chapter 07.
    """
    path = default_path() if path is None else Path(path)
    if (path / _MODEL_FILE).is_file() or not train_if_missing:
        return SentimentPipeline.load(path)
    print(f"No saved pipeline in {path}: training it as chapter 07 does (a few minutes on a CPU)...")
    pipeline, _ = train_pipeline()
    pipeline.save(path)
    return pipeline

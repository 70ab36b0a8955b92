"""LIME from scratch and integrated gradients (course_lib.explain)."""

import numpy as np
import pytest

from course_lib import explain

# A bag-of-words model whose true weights are known: P(positive) = 0.5 + the weights of the words present.
TRUE_WEIGHTS = {"superb": 0.30, "good": 0.15, "fine": 0.05, "dull": -0.10, "awful": -0.25}
TOKENS = ["the", "plot", "was", "superb", "and", "the", "cast", "good", "though", "a", "bit", "dull",
          "one", "awful", "scene", "fine", "music"]


def linear_model(texts):
    p = np.array([0.5 + sum(TRUE_WEIGHTS.get(w, 0.0) for w in set(text.split())) for text in texts])
    return np.stack([1 - p, p], axis=1)


def test_recovers_the_sign_and_rank_of_a_linear_models_weights():
    exp = explain.lime_text(TOKENS, linear_model, num_samples=1000, seed=0)
    true_order = sorted(TRUE_WEIGHTS, key=lambda w: -abs(TRUE_WEIGHTS[w]))
    top = exp.top(len(TRUE_WEIGHTS))
    assert [w for w, _ in top] == true_order
    assert all(np.sign(weight) == np.sign(TRUE_WEIGHTS[w]) for w, weight in top)
    for word, weight in TRUE_WEIGHTS.items():          # ridge (alpha=1) shrinks a little, nothing more
        assert exp.weight_of(word) == pytest.approx(weight, abs=0.01)
    others = [exp.weight_of(w) for w in exp.words if w not in TRUE_WEIGHTS]
    assert max(map(abs, others)) < 0.01
    assert exp.score > 0.99 and exp.prediction == pytest.approx(0.5 + sum(TRUE_WEIGHTS.values()))


def test_the_class_explained_flips_the_signs():
    negative = explain.lime_text(TOKENS, linear_model, label=0, seed=0)
    positive = explain.lime_text(TOKENS, linear_model, label=1, seed=0)
    np.testing.assert_allclose(negative.weights, -positive.weights, atol=1e-9)


def test_sparse_explanation_keeps_the_strongest_words():
    exp = explain.lime_text(TOKENS, linear_model, num_features=3, seed=0)
    assert np.count_nonzero(exp.weights) == 3
    assert {w for w, _ in exp.top(3)} == {"superb", "awful", "good"}


def test_same_seed_same_explanation_and_samples_delete_whole_words():
    calls = []

    def recording(texts):
        calls.append(list(texts))
        return linear_model(texts)

    a = explain.lime_text(TOKENS, recording, num_samples=200, seed=3)
    b = explain.lime_text(TOKENS, linear_model, num_samples=200, seed=3)
    c = explain.lime_text(TOKENS, linear_model, num_samples=200, seed=4)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.array_equal(a.masks, c.masks)
    texts = calls[0]
    assert len(texts) == 200 and texts[0] == " ".join(TOKENS)
    for mask, text in zip(a.masks, texts, strict=True):
        kept = set(text.split())
        for word, keep in zip(a.words, mask, strict=True):  # "the" appears twice: both go, or both stay
            assert (word in kept) == bool(keep)
        assert text.split().count("the") in ((2,) if mask[a.words.index("the")] else (0,))


def test_masks_distance_and_kernel():
    rng = np.random.default_rng(0)
    masks = explain.sample_masks(6, 500, rng)
    assert masks.shape == (500, 6) and masks[0].all()
    deleted = (masks[1:] == 0).sum(axis=1)
    assert deleted.min() == 1 and deleted.max() == 6            # from one word to all of them
    assert set(np.unique(masks)) <= {0.0, 1.0}

    from sklearn.metrics.pairwise import pairwise_distances

    some = masks[masks.sum(axis=1) > 0]
    reference = pairwise_distances(some, np.ones((1, 6)), metric="cosine").ravel() * 100
    np.testing.assert_allclose(explain.cosine_distance(some), reference, atol=1e-9)
    np.testing.assert_allclose(explain.cosine_distance([[1, 0, 0, 0]]), [50.0])
    np.testing.assert_allclose(explain.cosine_distance([[0, 0, 0, 0]]), [100.0])

    np.testing.assert_allclose(explain.kernel([0.0, 25.0, 50.0], width=25),
                               [1.0, np.exp(-0.5), np.exp(-2.0)])
    assert explain.kernel([10.0], width=5)[0] < explain.kernel([10.0], width=50)[0]


def test_agrees_with_the_lime_package():
    from lime.lime_text import LimeTextExplainer

    text = " ".join(TOKENS)
    library = LimeTextExplainer(random_state=0).explain_instance(text, linear_model, num_features=5,
                                                                 num_samples=1000)
    ours = explain.lime_text(TOKENS, linear_model, num_features=5, num_samples=1000, seed=0)
    assert dict(library.as_list()).keys() == dict(ours.top(5)).keys()
    for word, weight in library.as_list():
        assert ours.weight_of(word) == pytest.approx(weight, abs=0.01)


def test_remove_and_distinct_words():
    assert explain.distinct_words(["b", "a", "b", "c"]) == ["b", "a", "c"]
    assert explain.remove_words(["b", "a", "b", "c"], {"b"}) == ["a", "c"]
    assert explain.remove_words(["b", "a"], []) == ["b", "a"]


def test_bad_input_is_explained():
    with pytest.raises(TypeError, match="list of tokens"):
        explain.lime_text("a whole string", linear_model)
    with pytest.raises(ValueError, match="no tokens"):
        explain.lime_text([], linear_model)
    with pytest.raises(ValueError, match="shape"):
        explain.lime_text(["good"], lambda texts: np.ones(len(texts)), num_samples=10)
    with pytest.raises(ValueError, match="positive"):
        explain.kernel([1.0], width=0)
    with pytest.raises(KeyError, match="not one of"):
        explain.lime_text(TOKENS, linear_model, num_samples=50).weight_of("absent")


def test_integrated_gradients_add_up_to_the_change_in_probability():
    import keras

    from course_lib import sentiment

    keras.utils.set_random_seed(0)
    texts = ["good fun film", "bad dull film", "not good", "great cast great story"]
    vectorizer = sentiment.make_vectorizer(texts, sequence_length=8)
    matrix = np.random.default_rng(0).normal(size=(len(vectorizer.get_vocabulary()), 4))
    pipeline = sentiment.SentimentPipeline.from_parts(
        vectorizer, sentiment.build_classifier(matrix, sequence_length=8, units=3), stop=set())

    attribution, other = explain.integrated_gradients(pipeline, ["great cast great story unknownword", "bad"],
                                                      steps=64)
    assert attribution.tokens == ["great", "cast", "great", "story", "unknownword"]
    assert attribution.prediction == pytest.approx(pipeline.predict_proba(["great cast great story unknownword"])
                                                   [0, 1], abs=1e-6)
    assert attribution.scores.sum() == pytest.approx(attribution.prediction - attribution.baseline, abs=1e-3)
    assert attribution.by_word()["great"] == pytest.approx(attribution.scores[0] + attribution.scores[2])

    assert other.tokens == ["bad"] and other.scores.sum() == pytest.approx(other.prediction - other.baseline,
                                                                           abs=1e-3)
    (long,) = explain.integrated_gradients(pipeline, [" ".join(["good"] * 12)], preprocessed=True)
    assert len(long.tokens) == 8 and long.scores.shape == (8,)    # the model reads 8 tokens
    with pytest.raises(TypeError, match="list of texts"):
        explain.integrated_gradients(pipeline, "one text")

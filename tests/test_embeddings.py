"""course_lib.embeddings: embedding matrix and coverage, embedding tokens with OOV words, analogy accuracy."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from course_lib.embeddings import analogy_accuracy, embed_tokens, embedding_matrix


@pytest.fixture
def kv():
    """Six 3-d vectors where woman - man + king is exactly queen."""
    vectors = KeyedVectors(vector_size=3)
    words = ["king", "queen", "man", "woman", "movie", "film"]
    vectors.add_vectors(words, np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0.1], [0, 0.1, 1], [5, -1, -1], [5, -1.1, -0.9]],
                                        dtype=np.float32))
    return vectors


def test_embedding_matrix_rows_and_coverage(kv):
    vocabulary = ["", "[UNK]", "movie", "zzz", "king", "yyy"]
    matrix, coverage = embedding_matrix(vocabulary, kv, counts={"movie": 10, "zzz": 5, "king": 3, "yyy": 2})
    assert matrix.shape == (6, 3) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[2], kv["movie"])
    np.testing.assert_array_equal(matrix[4], kv["king"])
    assert not matrix[[0, 1, 3, 5]].any(), "reserved rows and OOV rows are zeros"
    assert (coverage.found, coverage.missing, coverage.total) == (2, ["zzz", "yyy"], 4)
    assert coverage.share == 0.5
    assert coverage.token_share == pytest.approx(13 / 20)
    assert "2 of 4 words" in str(coverage) and "65.0%" in str(coverage)


def test_embedding_matrix_random_oov_rows_are_seeded(kv):
    vocabulary = ["", "[UNK]", "zzz", "movie"]
    first, _ = embedding_matrix(vocabulary, kv, oov_scale=0.1, seed=3)
    again, _ = embedding_matrix(vocabulary, kv, oov_scale=0.1, seed=3)
    other, _ = embedding_matrix(vocabulary, kv, oov_scale=0.1, seed=4)
    np.testing.assert_array_equal(first, again)
    assert first[2].any() and not np.array_equal(first[2], other[2])
    assert not first[:2].any()


def test_embedding_matrix_rejects_bad_input(kv):
    with pytest.raises(TypeError, match="KeyedVectors"):
        embedding_matrix(["", "[UNK]", "a"], {"a": np.zeros(3)})
    with pytest.raises(TypeError, match="sequence of words"):
        embedding_matrix("movie", kv)
    with pytest.raises(ValueError, match="reserved"):
        embedding_matrix(["a"], kv, reserved=2)
    with pytest.raises(ValueError, match="oov_scale"):
        embedding_matrix(["", "[UNK]"], kv, oov_scale=-1)


def test_embed_tokens_skips_and_reports_oov(kv):
    vectors, oov = embed_tokens(["King", "zzz", "movie", "Zzz"], kv)
    assert vectors.shape == (2, 3)
    np.testing.assert_array_equal(vectors[0], kv["king"])
    assert oov == ["zzz", "Zzz"]
    empty, oov = embed_tokens(["zzz"], kv)
    assert empty.shape == (0, 3) and oov == ["zzz"]
    with pytest.raises(TypeError, match="tokenise the text first"):
        embed_tokens("king queen", kv)


def test_analogy_accuracy_counts_correct_and_skips_unknown_words(kv):
    sections = {
        "royal": [("man", "king", "woman", "queen"), ("woman", "queen", "man", "king")],
        "wrong": [("man", "king", "woman", "film")],
        "unknown": [("man", "king", "woman", "zzz")],
    }
    result = analogy_accuracy(kv, sections)
    assert result["royal"] == (2, 2)
    assert result["wrong"] == (0, 1)
    assert result.get("unknown", (0, 0)) == (0, 0), "a question with an unknown word is not asked"
    assert result["total"] == (2, 3)
    with pytest.raises(ValueError, match="four words"):
        analogy_accuracy(kv, {"bad": [("man", "king", "woman")]})

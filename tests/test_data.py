"""The offline loaders: shapes, dtypes, split sizes, balance, determinism, and bad input."""

from collections import Counter

import numpy as np
import pytest

from course_lib import data


@pytest.fixture(scope="module")
def mnist(tmp_path_factory):
    import os

    old = os.environ.get("KERAS_HOME")
    os.environ["KERAS_HOME"] = str(tmp_path_factory.mktemp("keras_home"))  # the bundled digits, always
    try:
        yield data.load_mnist()
    finally:
        if old is None:
            os.environ.pop("KERAS_HOME")
        else:
            os.environ["KERAS_HOME"] = old


@pytest.fixture(scope="module")
def imdb():
    return data.load_imdb()


@pytest.fixture(scope="module")
def glove():
    return data.load_glove()


def test_mnist_is_shaped_like_keras(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    assert len(x_train) + len(x_test) == 5000


def test_mnist_split_is_stratified_and_shuffled(mnist):
    (_, y_train), (_, y_test) = mnist
    assert Counter(y_train.tolist()) == {d: 400 for d in range(10)}
    assert Counter(y_test.tolist()) == {d: 100 for d in range(10)}
    assert len(set(y_train[:50].tolist())) >= 8, "training examples should not be grouped by label"


def test_mnist_is_deterministic(mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (x_train, y_train), (x_test, _) = data.load_mnist()
    np.testing.assert_array_equal(x_train, mnist[0][0])
    np.testing.assert_array_equal(y_train, mnist[0][1])
    np.testing.assert_array_equal(x_test, mnist[1][0])


def test_mnist_uses_the_standard_keras_file_when_present(monkeypatch, tmp_path):
    npz = tmp_path / "datasets" / "mnist.npz"
    npz.parent.mkdir()
    x = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    np.savez(npz, x_train=x, y_train=np.array([3, 4], np.uint8), x_test=x[:1], y_test=np.array([3], np.uint8))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(ValueError, match="not the standard Keras mnist.npz"):
        data.load_mnist()
    monkeypatch.setattr(data, "MNIST_NPZ_SHA256", data.sources.sha256_of(npz))
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    np.testing.assert_array_equal(x_train, x)
    assert y_train.tolist() == [3, 4] and x_test.shape == (1, 28, 28)


def test_mnist_explicit_missing_path():
    with pytest.raises(FileNotFoundError, match="no_mnist.npz"):
        data.load_mnist("no_mnist.npz")


def test_digits():
    (x_train, y_train), (x_test, y_test) = data.load_digits()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x_train.dtype == np.uint8 and x_train.max() == 16
    assert set(y_test.tolist()) == set(range(10))


def test_imdb_sizes_and_balance(imdb):
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = imdb
    assert (len(x_train), len(x_val), len(x_test)) == (17500, 2500, 5000)
    for y in (y_train, y_val, y_test):
        assert y.dtype == np.int64 and set(y.tolist()) == {0, 1}
        assert y.mean() == 0.5
    assert all(isinstance(t, str) for t in x_test)


def test_imdb_has_no_html_and_keeps_every_review(imdb):
    texts = np.concatenate([part[0] for part in imdb])
    assert not [t for t in texts if "<br" in t or "<i>" in t]
    assert len(texts) == 25000
    assert len(set(texts)) >= 25000 - 100  # the original set repeats about a hundred reviews word for word


def test_imdb_is_deterministic(imdb):
    again = data.load_imdb()
    for (x1, y1), (x2, y2) in zip(imdb, again, strict=True):
        assert list(x1[:100]) == list(x2[:100])
        np.testing.assert_array_equal(y1, y2)


def test_rotten_tomatoes():
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data.load_rotten_tomatoes()
    assert (len(x_train), len(x_val), len(x_test)) == (5971, 853, 1706)
    assert abs(y_train.mean() - 0.5) < 0.001 and y_test.mean() == 0.5


def test_review_texts_default_to_the_training_split(imdb):
    texts = data.iter_review_texts()
    assert next(texts) == imdb[0][0][0]
    assert sum(1 for _ in texts) == 17500 - 1
    assert sum(1 for _ in data.iter_review_texts("all")) == 25000
    with pytest.raises(ValueError, match="'train' or 'all'"):
        next(data.iter_review_texts("test"))


@pytest.mark.parametrize("raw, clean", [
    ("Great.<br /><br />Really.", "Great. Really."),
    ("An <i>odd</i> film<BR/>indeed", "An odd film indeed"),
    ("I <3 it, 2 < 3", "I <3 it, 2 < 3"),
])
def test_clean_review(raw, clean):
    assert data.clean_review(raw) == clean


def test_glove_is_the_real_400k_by_50(glove):
    assert glove.vectors.shape == (400000, 50) and glove.vectors.dtype == np.float32
    assert glove.index_to_key[:3] == ["the", ",", "."]
    assert "queen" in [w for w, _ in glove.most_similar("king", topn=5)]
    best = glove.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert "queen" in [w for w, _ in best]


def test_glove_top_n(glove):
    small = data.load_glove(top_n=1000)
    assert len(small) == 1000 and "movie" not in small.key_to_index  # rank > 1000 in Wikipedia + news
    np.testing.assert_array_equal(small["people"], glove["people"])


@pytest.mark.parametrize("top_n", [0, -5, 400_001, 1.5, True, "100"])
def test_glove_rejects_bad_top_n(top_n):
    with pytest.raises(ValueError, match="top_n"):
        data.load_glove(top_n=top_n)


def test_glove_file_round_trip(glove, tmp_path):
    path = tmp_path / "glove.small.50d.txt"
    words = glove.index_to_key[:200]
    path.write_text("".join(w + " " + " ".join(f"{v:.5f}" for v in glove[w]) + "\n" for w in words))
    kv = data.load_glove_file(path)
    assert kv.index_to_key == words and kv.vector_size == 50
    np.testing.assert_allclose(kv["world"], glove["world"], atol=1e-5)


def test_glove_file_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"glove.6B.100d.txt' not found.*load_glove\(\)"):
        data.load_glove_file(tmp_path / "glove.6B.100d.txt")


def test_glove_file_empty(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("")
    with pytest.raises(ValueError, match="empty.txt' is empty"):
        data.load_glove_file(path)


def test_glove_file_ragged_line_is_named(tmp_path):
    path = tmp_path / "ragged.txt"
    path.write_text("the 0.1 0.2 0.3\ncat 0.4 0.5 0.6\ndog 0.7 0.8\n")
    with pytest.raises(ValueError, match=r"ragged.txt', line 3: 2 values, but line 1 has 3"):
        data.load_glove_file(path)


def test_glove_file_with_a_word2vec_header(tmp_path):
    path = tmp_path / "w2v.txt"
    path.write_text("2 3\nthe 0.1 0.2 0.3\ncat 0.4 0.5 0.6\n")
    with pytest.raises(ValueError, match="word2vec header"):
        data.load_glove_file(path)


def test_glove_file_with_a_bad_number(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("the 0.1 0.2 0.3\ncat 0.4 x 0.6\n")
    with pytest.raises(ValueError, match="bad.txt' could not be read"):
        data.load_glove_file(path)


def test_keras_mnist_path_follows_keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert data.keras_mnist_path() == tmp_path / "datasets" / "mnist.npz"
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.keras_mnist_path() == tmp_path / ".keras" / "datasets" / "mnist.npz"

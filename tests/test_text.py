"""NLTK offline: the Punkt tables and stop words from data/nltk_data."""

import pytest

from course_lib import text


@pytest.fixture(autouse=True)
def course_nltk_data():
    text.use_course_nltk_data()


def test_word_and_sentence_tokenize_work_offline():
    from nltk.tokenize import sent_tokenize, word_tokenize

    assert word_tokenize("Hello, my dog is cute") == ["Hello", ",", "my", "dog", "is", "cute"]
    assert word_tokenize("I didn't like it.") == ["I", "did", "n't", "like", "it", "."]
    assert sent_tokenize("Dr. Smith arrived at 5 p.m. on Jan. 5. He was late! Was he?") == [
        "Dr. Smith arrived at 5 p.m. on Jan. 5.", "He was late!", "Was he?"]


def test_stopwords():
    from nltk.corpus import stopwords

    words = stopwords.words("english")
    assert len(words) == len(set(words)) == 179
    assert {"the", "not", "no", "don't", "isn't"} <= set(words)
    assert "movie" not in words


def test_seed_001_listing_runs_verbatim():
    # Source 001 §1.4.1's listing, unchanged.
    from nltk.corpus import stopwords
    from nltk.tokenize import word_tokenize

    stop_words = set(stopwords.words('english'))

    def filter_stop_words(words):
        return [word for word in words if word.lower() not in stop_words]

    def preprocess_text(text):
        words = word_tokenize(text)
        words = filter_stop_words(words)
        return words

    # Note what it does to a negation: chapter 07 measures what this costs.
    assert preprocess_text("This is not a good movie!") == ["good", "movie", "!"]


def test_committed_tables_are_the_punkt_package_model():
    tables = text.punkt_tables()
    assert set(tables) == set(text.PUNKT_TABLES)
    for name, content in tables.items():
        assert (text.PUNKT_DIR / name).read_text(encoding="utf-8") == content, name
    assert "dr" in tables["abbrev_types.txt"].splitlines()


def test_write_punkt_tables_keeps_existing_files(tmp_path):
    assert sorted(text.write_punkt_tables(tmp_path)) == sorted(text.PUNKT_TABLES)
    (tmp_path / "abbrev_types.txt").write_text("mine")
    assert text.write_punkt_tables(tmp_path) == []
    assert (tmp_path / "abbrev_types.txt").read_text() == "mine"
    assert "abbrev_types.txt" in text.write_punkt_tables(tmp_path, overwrite=True)
    assert (tmp_path / "abbrev_types.txt").read_text() != "mine"


def test_nltk_data_is_complete():
    assert text.nltk_data_problems() == []


def test_missing_nltk_data_is_reported_with_a_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(text, "STOPWORDS_FILE", tmp_path / "english")
    problems = text.nltk_data_problems()
    assert len(problems) == 1 and "Stop-word list missing" in problems[0] and "git checkout" in problems[0]

"""Nothing in course_lib touches the network: the loaders, NLTK and `course doctor` run with sockets blocked."""

import socket
import subprocess
import sys
import urllib.request

import pytest

from course_lib import data, text

BLOCK = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("network access attempted during an offline test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted during an offline test")

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_the_block_is_effective(no_network):
    with pytest.raises(OSError, match="offline test"):
        urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)


def test_loaders_work_offline(no_network, monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (x_train, y_train), _ = data.load_mnist()
    assert len(x_train) == 4000 and len(set(y_train.tolist())) == 10
    assert len(data.load_digits()[0][0]) == 1437
    parts = data.load_imdb()
    assert sum(len(x) for x, _ in parts) == 25000
    assert sum(len(x) for x, _ in data.load_rotten_tomatoes()) == 8530
    assert len(data.load_glove(top_n=5000)) == 5000


def test_nltk_works_offline(no_network):
    from nltk.corpus import stopwords
    from nltk.tokenize import sent_tokenize, word_tokenize

    text.use_course_nltk_data()
    assert word_tokenize("Hello, my dog is cute") == ["Hello", ",", "my", "dog", "is", "cute"]
    assert len(sent_tokenize("One. Two.")) == 2
    assert "not" in stopwords.words("english")
    assert text.nltk_data_problems() == []


def test_course_doctor_passes_offline():
    script = BLOCK + "import sys\nfrom course_lib.cli import main\nsys.exit(main(['doctor']))\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All good" in result.stdout
    assert "offline test" not in result.stdout + result.stderr

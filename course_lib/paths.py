"""Where the course's own files live (the repository checkout that ``-e .`` installs), and its chapters."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
MANIFEST_PATH = DATA_DIR / "MANIFEST"
NLTK_DATA_DIR = DATA_DIR / "nltk_data"
REQUIREMENTS_PATH = PROJECT_ROOT / "requirements.txt"
MODEL_REQUIREMENTS_PATH = PROJECT_ROOT / "requirements-model.txt"  # installed with --no-deps (see the file)
CHAPTERS_DIR = PROJECT_ROOT / "chapters"


def chapter_notebooks(folder: Path | None = None) -> list[Path]:
    """The committed chapters, in order: ``chapters/NN_name.ipynb``."""
    folder = CHAPTERS_DIR if folder is None else folder
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))


def chapter_id(notebook: str | os.PathLike) -> str:
    """``"03"`` for ``.../03_cnn.ipynb``."""
    return Path(notebook).name[:2]


def chapter_by_number(number: str | int, folder: Path | None = None) -> Path:
    """The committed chapter ``number`` (``"03"``, ``"3"`` or ``3``).

    Raises:
        FileNotFoundError: there is no such chapter; the message lists the chapters there are.
    """
    text = str(number).strip()
    if text.isdigit():
        matches = [p for p in chapter_notebooks(folder) if chapter_id(p) == f"{int(text):02d}"]
        if len(matches) == 1:
            return matches[0]
    available = ", ".join(p.name for p in chapter_notebooks(folder))
    raise FileNotFoundError(f"no chapter '{number}'. Give a chapter number such as 03; chapters: {available}")


def models_dir() -> Path:
    """Where the course keeps trained models between chapters: ``$COURSE_MODELS``, by default
    ``~/.course/models`` (outside the repository, so a course update never touches them)."""
    root = os.environ.get("COURSE_MODELS") or os.path.join(os.path.expanduser("~"), ".course", "models")
    return Path(root)

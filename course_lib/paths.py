"""Where the course's own files live (the repository checkout that ``-e .`` installs)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
MANIFEST_PATH = DATA_DIR / "MANIFEST"
NLTK_DATA_DIR = DATA_DIR / "nltk_data"
REQUIREMENTS_PATH = PROJECT_ROOT / "requirements.txt"
CHAPTERS_DIR = PROJECT_ROOT / "chapters"

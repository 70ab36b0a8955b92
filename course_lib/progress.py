"""The learner's progress file: which exercises are correct, and how many attempts each took.

The file is ``$COURSE_PROGRESS`` if set, else ``~/.course/progress.json``: outside the course folder, so a
course update never touches it. Its format (version 2) keys each exercise by its stable id, the name of its
``Problem`` class (or the class's explicit ``key``), never by its position in the chapter::

    {"format": 2,
     "chapters": {"03": {"OutputSize": {"status": "correct", "attempts": 2,
                                        "last_status": "correct", "last_message": "..."}}}}

``status`` is the best verdict so far (once correct, it stays correct); ``last_status`` and ``last_message``
are those of the latest check. A file in the first format (``{"03": {"q2": {...}}}``, keyed by position) is
read by mapping each position to the exercise that held it in the last course version with that format
(``FIRST_FORMAT_ORDER``, fixed, so a later reordering cannot remap old progress); the old file is kept beside
the new one (``progress.v1.json``) the first time the new format is written.

This module imports nothing heavy: ``course progress`` answers in well under a second.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FORMAT = 2
CORRECT = "correct"
INCORRECT = "incorrect"
NOT_ATTEMPTED = "not attempted"
STATUSES = (CORRECT, INCORRECT, NOT_ATTEMPTED)


def progress_path() -> Path:
    """The learner's progress file: ``$COURSE_PROGRESS``, else ``~/.course/progress.json``."""
    configured = os.environ.get("COURSE_PROGRESS")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".course" / "progress.json"


class ProgressFileError(ValueError):
    """The progress file could not be read; the message names the file and what was done about it."""


# Each chapter's exercises, in order, when progress was keyed by position (q1, q2, ...). Never edit this table.
FIRST_FORMAT_ORDER = {
    "00": ["PixelCount", "ToUnitRange", "CountPerClass"],
    "01": ["WordCounts", "RunningMean", "Relu", "Standardize", "OneHot", "PairwiseSquaredDistances"],
    "02": ["SoftmaxCrossEntropy", "DenseBackward", "DenseParameterCount", "AdamStep", "PrecisionRecallF1"],
    "03": ["Conv2D", "OutputSize", "SeedModelParams", "MaxPool"],
    "04": ["RnnStep", "LstmStep", "LstmParams", "PadBatch"],
    "05": ["ScaledDotProductAttention", "CausalMask", "PositionalEncoding", "MhaParams"],
    "06": ["OneHot", "CosineSimilarity", "Analogy", "MeanEmbedding"],
    "07": ["KeepNegations", "Coverage", "EmbeddingMatrix", "ConfidentMistakes"],
    "08": ["Kernel", "Perturb", "WeightedSurrogate", "TopKOverlap"],
}


def _first_format_keys(chapter_id: str) -> list[str]:
    return FIRST_FORMAT_ORDER.get(chapter_id, [])


def migrate(data: dict, keys_of: Callable[[str], list[str]] = _first_format_keys) -> dict:
    """Turn a first-format progress dict (``{chapter: {"q1": entry}}``) into the current format.

    ``keys_of(chapter_id)`` gives the chapter's exercise ids in order; ``q1`` becomes the first of them. An
    entry whose position no longer exists keeps its old name, so nothing is dropped.
    """
    chapters = {}
    for chapter_id, entries in data.items():
        if not isinstance(entries, dict):
            raise ProgressFileError(f"chapter {chapter_id!r} should map to an object, got {entries!r}")
        keys = keys_of(chapter_id)
        migrated = {}
        for question, entry in entries.items():
            position = int(question[1:]) if question[:1] == "q" and question[1:].isdigit() else 0
            key = keys[position - 1] if 1 <= position <= len(keys) else question
            migrated[key] = dict(entry)
        chapters[chapter_id] = migrated
    return {"format": FORMAT, "chapters": chapters}


def _parse(text: str, path: Path) -> tuple[dict, bool]:
    """``(data in the current format, True if it was in the first format)``; raises ``ProgressFileError``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProgressFileError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ProgressFileError(f"{path} should hold a JSON object, got {type(data).__name__}")
    if "format" not in data:
        return migrate(data), True
    if data.get("format") != FORMAT or not isinstance(data.get("chapters"), dict):
        raise ProgressFileError(f"{path} has format {data.get('format')!r}; this course reads format {FORMAT}")
    return data, False


def load(path: Path | None = None) -> dict:
    """The progress, in the current format (an empty progress when there is no file yet).

    Raises:
        ProgressFileError: the file is not valid JSON or not a progress file. Nothing is changed; use
            ``load_or_start_over`` to keep the broken file as a backup and start a fresh one.
    """
    path = progress_path() if path is None else Path(path)
    if not path.exists():
        return {"format": FORMAT, "chapters": {}}
    return _parse(path.read_text(encoding="utf-8"), path)[0]


def load_or_start_over(path: Path | None = None) -> tuple[dict, str]:
    """``(progress, notice)``: like ``load``, but a broken file is renamed to a backup
    (``progress.broken-<time>.json``) and a fresh progress starts; ``notice`` then says so (else ``""``)."""
    path = progress_path() if path is None else Path(path)
    try:
        return load(path), ""
    except ProgressFileError as error:
        backup = path.with_name(f"{path.stem}.broken-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
        path.replace(backup)
        return ({"format": FORMAT, "chapters": {}},
                f"Your progress file could not be read: {error}. It is kept as {backup}; a new one was started.")


def save(data: dict, path: Path | None = None) -> None:
    """Write ``data`` atomically; the first time a first-format file is replaced, keep it as ``*.v1.json``."""
    path = progress_path() if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        try:
            first_format = "format" not in json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, TypeError):
            first_format = False
        backup = path.with_name(f"{path.stem}.v1{path.suffix}")
        if first_format and not backup.exists():
            shutil.copy2(path, backup)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp", encoding="utf-8") as tmp:
        json.dump(data, tmp, indent=1, sort_keys=True, ensure_ascii=False)
    os.replace(tmp.name, path)


def add_attempt(data: dict, chapter_id: str, key: str, status: str, message: str = "", attempts: int = 1) -> dict:
    """Record ``attempts`` checks of exercise ``key`` whose latest verdict is ``status``, in ``data`` (returned).

    A check of a placeholder (``NOT_ATTEMPTED``) is not counted as an attempt; a correct exercise stays correct.
    """
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    entry = data["chapters"].setdefault(chapter_id, {}).setdefault(key, {"status": NOT_ATTEMPTED, "attempts": 0})
    if status != NOT_ATTEMPTED:
        entry["attempts"] = entry.get("attempts", 0) + attempts
    if entry.get("status") != CORRECT:
        entry["status"] = status
    entry["last_status"] = status
    entry["last_message"] = message
    return data


def record(chapter_id: str, key: str, status: str, message: str = "", path: Path | None = None) -> str:
    """Add one check to the progress file; return a notice when a broken file had to be set aside."""
    path = progress_path() if path is None else Path(path)
    data, notice = load_or_start_over(path)
    save(add_attempt(data, chapter_id, key, status, message), path)
    return notice


def forget(chapter_id: str, path: Path | None = None) -> int:
    """Remove a chapter's entries from the progress file; return how many there were."""
    path = progress_path() if path is None else Path(path)
    data = load(path)
    removed = len(data["chapters"].pop(chapter_id, {}))
    if removed:
        save(data, path)
    return removed

"""Self-checking exercises.

Usage in a chapter::

    from course_lib.exercises import chapter
    ex = chapter("01")
    def relu(x):
        ...                 # your code
    ex.q2.check(relu)       # "✓ Correct", a specific "✗ Incorrect: ..." message, or "… Not attempted yet"
    ex.q2.hint()            # ex.q2.hint(2) for the next hint
    ex.q2.solution()
"""

from __future__ import annotations

import importlib
import pkgutil

from course_lib.exercises.core import (
    CORRECT,
    INCORRECT,
    NOT_ATTEMPTED,
    Chapter,
    Incorrect,
    NotAttempted,
    Outcome,
    Problem,
)

__all__ = [
    "CORRECT", "INCORRECT", "NOT_ATTEMPTED", "Chapter", "Incorrect", "NotAttempted", "Outcome", "Problem",
    "available_chapters", "chapter",
]


def available_chapters() -> list[str]:
    """The chapter numbers that have exercises, e.g. ``["00", "01"]``."""
    return sorted(m.name[2:] for m in pkgutil.iter_modules(__path__) if m.name.startswith("ch"))


def chapter(number: str | int) -> Chapter:
    """The exercises of chapter ``number`` (``"01"``, ``"1"`` or ``1``)."""
    text = str(number).strip()
    if not text.isdigit():
        raise ValueError(f"chapter() takes a chapter number such as \"01\", got {number!r}")
    chapter_id = f"{int(text):02d}"
    if chapter_id not in available_chapters():
        raise ValueError(
            f"no exercises for chapter {chapter_id}; chapters with exercises: {', '.join(available_chapters())}"
        )
    module = importlib.import_module(f"course_lib.exercises.ch{chapter_id}")
    return Chapter(chapter_id, module.PROBLEMS)

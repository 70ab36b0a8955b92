"""`course book`: the course as a website, built from the committed chapters (course_lib.book).

The book is built once, by the command a learner types, into a temporary folder; the tests then read its HTML.
They cannot assume a browser: what a page shows at 1280 and 390 pixels was looked at with headless Chromium
when the book was made, and here the structure that makes it right is checked (every link and image resolves,
math and fonts come from the book's own files, titles are bilingual, no traceback).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from course_lib import book, cli, paths

CHAPTERS = paths.chapter_notebooks()
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)


class Page(HTMLParser):
    """What a test needs of an HTML page: its title, ids, links (href/src) and the tags that load resources."""

    def __init__(self, text: str):
        super().__init__()
        self.title, self.ids, self.links, self.resources = "", set(), [], []
        self._in_title = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append((tag, attrs[name]))
                if tag in ("script", "link", "img", "iframe", "source", "video", "audio"):
                    self.resources.append((tag, attrs[name]))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``course book --output DIR`` as a learner runs it, with a workspace that must not be read."""
    folder = tmp_path_factory.mktemp("book")
    workspace = folder / "work"
    workspace.mkdir()
    (workspace / "03_cnn.ipynb").write_text("{ my unsaved answers, not JSON", encoding="utf-8")
    env = {**os.environ, "COURSE_WORKSPACE": str(workspace)}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "course_lib.cli", "book", "--output", str(folder / "book")],
                            capture_output=True, text=True, timeout=600, env=env)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stdout + result.stderr
    html = folder / "book" / "html"
    pages = {path: Page(path.read_text(encoding="utf-8")) for path in html.rglob("*.html")
             if "_static" not in path.relative_to(html).parts}
    return {"result": result, "seconds": seconds, "html": html, "pages": pages, "workspace": workspace}


def test_the_build_exits_0_without_a_warning_and_says_where_the_book_is(built):
    result = built["result"]
    assert result.stderr == "", result.stderr
    assert "without warnings" in result.stdout
    assert str(built["html"] / "index.html") in result.stdout
    assert built["seconds"] < 180, f"the build took {built['seconds']:.0f} s; it takes about 10 s on 2 cores"


def test_every_chapter_has_a_page_titled_bilingually(built):
    assert len(CHAPTERS) >= 13
    for notebook in CHAPTERS:
        page = built["html"] / "chapters" / f"{notebook.stem}.html"
        assert page.is_file(), f"no page for {notebook.name}"
        title = cli.chapter_title(notebook)
        assert re.search(r"[\u4e00-\u9fff]", title) and " · " in title, f"{notebook.name}: {title!r}"
        assert built["pages"][page].title.startswith(title), (notebook.name, built["pages"][page].title)
    assert (built["html"] / "README.html").is_file() and (built["html"] / "SOURCES.html").is_file()


def test_the_navigation_lists_the_readme_the_chapters_in_order_and_the_sources(built):
    page = built["pages"][built["html"] / "README.html"]
    order = []
    for _, target in page.links:
        name = urlsplit(target).path
        if (name.startswith("chapters/") or name == "SOURCES.html") and name not in order:
            order.append(name)
    assert order == [f"chapters/{n.stem}.html" for n in CHAPTERS] + ["SOURCES.html"]


def test_every_local_link_and_image_resolves_to_a_file_and_an_anchor(built):
    html, pages = built["html"], built["pages"]
    broken = []
    for path, page in pages.items():
        for tag, target in page.links:
            parts = urlsplit(target)
            if parts.scheme or REMOTE.match(target) or target.startswith(("#", "mailto:", "javascript:")):
                if target.startswith("#") and len(target) > 1 and unquote(target[1:]) not in page.ids:
                    broken.append(f"{path.relative_to(html)}: <{tag}> {target} (no such id on the page)")
                continue
            resolved = (path.parent / unquote(parts.path)).resolve()
            if not resolved.exists():
                broken.append(f"{path.relative_to(html)}: <{tag}> {target} (no such file)")
            elif parts.fragment and resolved.suffix == ".html" and resolved in pages:
                if unquote(parts.fragment) not in pages[resolved].ids:
                    broken.append(f"{path.relative_to(html)}: <{tag}> {target} (no such id there)")
    assert not broken, "\n".join(broken[:20])


def test_each_plot_of_a_chapter_is_an_image_on_its_page(built):
    total = 0
    for notebook in CHAPTERS:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        plots = sum("image/png" in output.get("data", {}) for cell in cells for output in cell.get("outputs", []))
        page = built["pages"][built["html"] / "chapters" / f"{notebook.stem}.html"]
        images = [target for tag, target in page.resources if tag == "img" and "_images/" in target]
        assert len(images) == plots, f"{notebook.name}: {plots} plots, {len(images)} images on its page"
        total += plots
    assert total >= 30


def test_chapters_link_to_the_sources_page_and_to_each_other(built):
    page = built["pages"][built["html"] / "chapters" / "12_text_generation.html"]
    targets = {urlsplit(t).path for _, t in page.links}
    assert "../SOURCES.html" in targets and "09_pretraining_finetuning.html" in targets


def test_nothing_is_loaded_from_the_internet_and_math_renders_from_the_books_mathjax(built):
    html, pages = built["html"], built["pages"]
    remote = [f"{p.relative_to(html)}: <{tag}> {t}" for p, page in pages.items() for tag, t in page.resources
              if REMOTE.match(t)]
    assert not remote, "\n".join(remote[:10])
    chapter = html / "chapters" / "05_attention_transformer.html"
    text = chapter.read_text(encoding="utf-8")
    scripts = [t for tag, t in pages[chapter].resources if tag == "script" and "MathJax.js" in t]
    assert scripts == ["../_static/mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"], scripts
    assert (html / "_static" / "mathjax" / "MathJax.js").is_file()
    assert (html / "_static" / "mathjax" / "jax" / "output" / "HTML-CSS" / "fonts" / "STIX-Web").is_dir()
    assert r'<span class="math notranslate nohighlight">\(\sqrt{d_k}\)</span>' in text
    # myst-nb marks notebook sections tex2jax_ignore: the configuration must process the math inside them
    assert '"processClass": "math|output_area"' in text and "tex2jax_ignore" in text


def test_pages_name_cjk_fonts_and_load_the_books_own_style_and_script(built):
    css = (built["html"] / "_static" / "course.css").read_text(encoding="utf-8")
    assert "Noto Sans CJK SC" in css and "Microsoft YaHei" in css and "PingFang SC" in css
    for path, page in built["pages"].items():
        if path.name in ("README.html", "SOURCES.html") or path.parent.name == "chapters":
            assert any("course.css" in t for tag, t in page.resources if tag == "link"), path.name
            assert any("course.js" in t for tag, t in page.resources if tag == "script"), path.name
    script = (built["html"] / "_static" / "course.js").read_text(encoding="utf-8")
    assert "primary-toggle" in script  # the phone menu's button (see course_lib/book.py)


def test_no_page_shows_a_python_traceback(built):
    for path in built["pages"]:
        text = path.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in text, path.name
        assert not re.search(r'class="[^"]*\btraceback\b', text), path.name


def test_the_book_can_be_published_as_it_is_even_on_github_pages(built):
    html = built["html"]
    assert (html / ".nojekyll").is_file(), "without it, GitHub Pages drops _static/ and _images/"
    assert (html / "index.html").is_file() and (html / "_images").is_dir()


def test_the_learners_workspace_is_neither_read_nor_written(built):
    workspace = built["workspace"]
    assert [p.name for p in workspace.iterdir()] == ["03_cnn.ipynb"]
    assert (workspace / "03_cnn.ipynb").read_text(encoding="utf-8") == "{ my unsaved answers, not JSON"


def _course_copy(root: Path) -> Path:
    """A course folder with the committed README, sources and chapters."""
    (root / "chapters").mkdir(parents=True)
    for name in ("README.md", "SOURCES.md"):
        (root / name).write_bytes((paths.PROJECT_ROOT / name).read_bytes())
    for notebook in CHAPTERS:
        (root / "chapters" / notebook.name).write_bytes(notebook.read_bytes())
    return root


def test_a_chapter_that_is_not_json_is_named_and_nothing_is_built(tmp_path, monkeypatch, capsys):
    root = _course_copy(tmp_path / "course")
    broken = root / "chapters" / "04_rnn_lstm.ipynb"
    broken.write_text(broken.read_text(encoding="utf-8")[:5000], encoding="utf-8")  # cut off mid-file
    workspace = tmp_path / "work"
    workspace.mkdir()
    (workspace / "04_rnn_lstm.ipynb").write_text("mine", encoding="utf-8")
    monkeypatch.setenv("COURSE_WORKSPACE", str(workspace))
    monkeypatch.setattr(paths, "PROJECT_ROOT", root)
    output = tmp_path / "book"

    assert cli.main(["book", "--output", str(output)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("course book: 04_rnn_lstm.ipynb is not a valid notebook"), error
    assert "git checkout chapters/04_rnn_lstm.ipynb" in error and "Traceback" not in error
    assert not output.exists()
    assert [p.name for p in workspace.iterdir()] == ["04_rnn_lstm.ipynb"]
    assert (workspace / "04_rnn_lstm.ipynb").read_text(encoding="utf-8") == "mine"


def test_a_chapter_that_is_json_but_not_a_notebook_is_named_too(tmp_path):
    root = _course_copy(tmp_path / "course")
    (root / "chapters" / "02_neural_networks.ipynb").write_text(json.dumps({"cells": "none"}), encoding="utf-8")
    with pytest.raises(book.BookError, match=r"^02_neural_networks.ipynb is not a valid notebook \(not in the "):
        book.build(tmp_path / "book", root=root)
    notebook = json.loads(CHAPTERS[3].read_text(encoding="utf-8"))
    del notebook["cells"][0]["source"]  # valid JSON, but a cell without its source
    (root / "chapters" / CHAPTERS[3].name).write_text(json.dumps(notebook), encoding="utf-8")
    (root / "chapters" / "02_neural_networks.ipynb").write_bytes(CHAPTERS[2].read_bytes())
    with pytest.raises(book.BookError, match=rf"^{CHAPTERS[3].name} is not a valid notebook \(not in the "):
        book.build(tmp_path / "book", root=root)
    assert not (tmp_path / "book").exists()


def test_a_truncated_chapter_is_located_by_line_and_column(tmp_path):
    root = _course_copy(tmp_path / "course")
    broken = root / "chapters" / "01_python_basics.ipynb"
    broken.write_text('{\n "cells": [\n  {"cell_type": "markdown",\n', encoding="utf-8")
    with pytest.raises(book.BookError, match=r"^01_python_basics.ipynb is not a valid notebook \(not JSON: .* "
                                             r"at line 4, column 1\)"):
        book.build(tmp_path / "book", root=root)


def test_a_warning_stops_the_build_names_its_cell_and_keeps_the_book_built_before(tmp_path):
    root = _course_copy(tmp_path / "course")
    chapter = root / "chapters" / CHAPTERS[1].name
    notebook = json.loads(chapter.read_text(encoding="utf-8"))
    notebook["cells"][2]["source"] = ["A link to [a page that does not exist](no_such_page.md).\n"]
    notebook["cells"][2]["cell_type"], notebook["cells"][2]["outputs"] = "markdown", None
    notebook["cells"][2] = {k: v for k, v in notebook["cells"][2].items() if v is not None and k != "execution_count"}
    chapter.write_text(json.dumps(notebook), encoding="utf-8")
    output = tmp_path / "book"
    (output / "html").mkdir(parents=True)
    (output / book.MARKER).write_text("made by `course book`", encoding="utf-8")
    (output / "html" / "index.html").write_text("the book built before", encoding="utf-8")
    with pytest.raises(book.BookError) as raised:
        book.build(output, root=root)
    message = str(raised.value)
    assert "warning(s) or error(s)" in message and "The book built before is kept." in message
    assert f"{CHAPTERS[1].name}, cell 3 (from 1)" in message and "no_such_page" in message, message
    assert (output / "html" / "index.html").read_text(encoding="utf-8") == "the book built before"
    assert not (output / "html.new").exists()


def test_a_folder_the_book_did_not_make_is_never_replaced(tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me", encoding="utf-8")
    assert cli.main(["book", "--output", str(folder)]) == 1
    assert "not empty and was not made by `course book`" in capsys.readouterr().err
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    assert (folder / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_the_book_folder_is_ignored_by_git():
    ignored = (paths.PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/book/" in ignored
    assert book.BOOK_DIR == paths.PROJECT_ROOT / "book"


def test_without_jupyter_book_the_message_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "jupyter_book.sphinx", None)  # `import` then raises ImportError
    with pytest.raises(book.BookError, match=r"Jupyter Book 1.x, which is not installed .* -r requirements.txt"):
        book.build(tmp_path / "book")
    assert not (tmp_path / "book").exists()

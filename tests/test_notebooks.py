"""Notebook policy: what every chapter must have, checked on the committed files."""

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from course_lib.exercises import chapter
from course_lib.paths import CHAPTERS_DIR, PROJECT_ROOT

NOTEBOOKS = sorted(CHAPTERS_DIR.glob("*.ipynb"))
TITLE = re.compile(r"^# (\d\d) · [A-Za-z].* · .*[\u4e00-\u9fff]")


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_chapters_exist():
    assert [p.name for p in NOTEBOOKS][:2] == ["00_start_here.ipynb", "01_python_basics.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_bilingual_title_matching_the_file_number(path):
    first = _read(path).cells[0]
    assert first.cell_type == "markdown"
    match = TITLE.match(first.source)
    assert match, f"first line should look like '# 03 · Convolutional networks · 卷积神经网络': {first.source[:80]!r}"
    assert match.group(1) == path.name[:2]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_in_the_first_code_cell(path):
    assert re.search(r"course_lib\.setup\(seed=\d+(, deterministic=False)?\)", _code(_read(path))[0].source)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_at_least_three_exercises_each_checked(path):
    nb = _read(path)
    number = path.name[:2]
    source = "\n".join(c.source for c in _code(nb))
    assert f'chapter("{number}")' in source
    checked = set(re.findall(r"ex\.(q\d+)\.check\(", source))
    problems = {p.question for p in chapter(number).problems}
    assert len([p for p in chapter(number).problems if not p.worked_example]) >= 3, "worked examples do not count"
    assert checked == problems, f"exercises defined but not in the notebook, or the reverse: {checked ^ problems}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_clean(path):
    code = [c for c in _code(_read(path)) if c.source.strip()]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run it with `course run`"
    for index, cell in enumerate(code):
        for output in cell.outputs:
            assert output.output_type != "error", f"cell {index} committed with an error"
            assert not (output.output_type == "stream" and output.name == "stderr"), f"cell {index} has stderr"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ignored_outputs_are_followed_by_an_assertion(path):
    code = _code(_read(path))
    for index, cell in enumerate(code):
        if "NBVAL_IGNORE_OUTPUT" in cell.source or "nbval-ignore-output" in cell.metadata.get("tags", []):
            following = code[index + 1].source if index + 1 < len(code) else ""
            assert "assert" in following, f"cell {index} ignores its output but the next cell asserts nothing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_summary_and_glossary(path):
    markdown = "\n".join(c.source for c in _read(path).cells if c.cell_type == "markdown")
    assert "## Summary" in markdown and "## Glossary · 术语表" in markdown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_summary_ends_with_what_next(path):
    """2-4 pointers after the summary: the next chapter (linked), the exercises to try first, one thing beyond the
    course. The last chapter points beyond the course instead of to a next one."""
    summary = next(c.source for c in _read(path).cells if c.cell_type == "markdown" and "## Summary" in c.source)
    assert "### What next" in summary, "the summary should end with a '### What next' list"
    what_next = summary.split("### What next", 1)[1].split("## Glossary", 1)[0]
    pointers = re.findall(r"^- ", what_next, re.M)
    assert 2 <= len(pointers) <= 4, f"What next has {len(pointers)} pointers; give 2 to 4"
    assert "**Exercises to try first:**" in what_next and "**Beyond the course" in what_next
    following = [p for p in NOTEBOOKS if p.name[:2] > path.name[:2]]
    if following:
        assert f"]({following[0].name})" in what_next, f"What next should link the next chapter, {following[0].name}"
    for question in re.findall(r"\bq(\d+)\b", what_next):
        assert f"ex.q{question}.check(" in _all_text(_read(path)), f"What next names q{question}, which has no check"


# Wordings that were wrong and corrected once; each comes back easily. (pattern, why)
RETIRED_WORDINGS = [
    ("服务化", "model serving is 模型服务 (or 推理服务)"),
    ("脑浮点", "bfloat16 is called bfloat16 (BF16) in Chinese texts too"),
    ("works unchanged against TensorFlow Serving", "untested here: say it follows TensorFlow Serving's documented API"),
    ("float16 is usually slower", "one run's timing: say what this run shows"),
    ("over 100,000 times more text", "the output is an upper bound: say 'at most'"),
    ("Pruning libraries default to a gradual", "tensorflow-model-optimization's default schedule is one-shot"),
    ("own account of which words decided", "attention weights show where a layer looked, not why it decided"),
    ("10,000 most frequent words", "two of TextVectorization's max_tokens entries are padding and [UNK]"),
    ("20,000-word vocabulary", "two of TextVectorization's max_tokens entries are padding and [UNK]"),
    ("splits it on non-letters", "\\W+ splits on non-word characters: digits and underscores stay in words"),
    ("tuned lightly by hand", "say on which split a setting was chosen: the validation split"),
]

# Durations remembered in prose: a time varies between runs and machines, so prose points to the printed one
# ("the seconds printed above", "on this machine, in this run") instead of restating it.
REMEMBERED_DURATIONS = re.compile(
    r"\btens of (seconds|minutes|times)\b|\bin under (a|one) (second|minute)\b"
    r"|\b(trains?|runs?|takes?|took) in (seconds|minutes)\b", re.I)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_points_to_printed_times(path):
    found = [f"cell {i}: ...{cell.source[max(0, m.start() - 60):m.end() + 20]}..."
             for i, cell in enumerate(_read(path).cells) if cell.cell_type == "markdown"
             for m in REMEMBERED_DURATIONS.finditer(cell.source)]
    assert not found, f"a duration restated in prose; point to the printed time instead: {found}"


def test_remembered_durations_are_recognised():
    for sentence in ("Word2Vec trained in under a minute", "the loop takes tens of times longer",
                     "this takes tens of seconds", "the baseline trains in seconds"):
        assert REMEMBERED_DURATIONS.search(sentence), sentence
    for sentence in ("in the seconds printed above", "on this machine, in this run", "a budget of one second"):
        assert not REMEMBERED_DURATIONS.search(sentence), sentence


@pytest.mark.parametrize("path", [*NOTEBOOKS, PROJECT_ROOT / "README.md", PROJECT_ROOT / "SOURCES.md"],
                         ids=lambda p: p.name)
def test_no_retired_wording(path):
    text = _all_text(_read(path)) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    found = [f"{pattern!r}: {why}" for pattern, why in RETIRED_WORDINGS if pattern in text]
    assert not found, found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_readme_table_lists_the_chapter_with_its_measured_minutes(path):
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    row = next((line for line in readme.splitlines() if line.startswith("|") and f"chapters/{path.name}" in line), None)
    assert row, f"README chapter table has no row for {path.name}"
    assert re.search(r"\|\s*\d+(\.\d+)? min\s*\|", row), f"no measured minutes in: {row}"


# --------------------------------------------------------------------------- defects that are easy to reintroduce
TIMING_NAME = re.compile(r"second|elapsed|duration|_time\b|\btime\b|per_epoch|timing|perf_counter", re.I)
EXERCISE_CELL = re.compile(r"\bex\.q\d+\.check\(")


def _python(source: str) -> ast.Module | None:
    """A code cell's source as a syntax tree (IPython magics and shell lines blanked); None if it does not parse."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def wall_clock_comparisons(tree: ast.AST) -> list[str]:
    """Asserted comparisons between two measured times: each side names a timing and neither is a number.

    ``assert seconds["BiLSTM"] > seconds["LSTM"]`` is one (flaky on a busy machine); ``assert seconds < 120``, a
    budget with a literal on one side, is not.
    """
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        for compare in (n for n in ast.walk(node.test) if isinstance(n, ast.Compare)):
            operands = [compare.left, *compare.comparators]
            for left, right in zip(operands, operands[1:], strict=False):
                texts = [ast.unparse(left), ast.unparse(right)]
                literal = any(isinstance(side, ast.Constant) for side in (left, right))
                if not literal and all(TIMING_NAME.search(t) for t in texts):
                    found.append(" vs ".join(texts))
            call = ast.unparse(compare)
            if re.search(r"\b(min|max|sorted)\(\s*\w*(second|time)", call, re.I):
                found.append(call)
    return found


def test_the_wall_clock_detector_flags_comparisons_and_spares_budgets():
    flagged = 'assert seconds["BiLSTM"] > seconds["LSTM"]\nassert min(seconds, key=seconds.get) == "pooling"'
    assert len(wall_clock_comparisons(ast.parse(flagged))) == 2
    spared = "assert tokenise_seconds < 120\nassert accuracy['a'] > accuracy['b']\nassert elapsed <= 2.5 * 60"
    assert wall_clock_comparisons(ast.parse(spared)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_assert_compares_wall_clock_times(path):
    for index, cell in enumerate(_code(_read(path))):
        tree = _python(cell.source)
        assert tree is not None, f"code cell {index} does not parse"
        found = wall_clock_comparisons(tree)
        assert not found, (f"code cell {index} asserts a comparison of measured times ({found}); timings vary "
                           "between runs: print them in an ignored cell, assert a generous budget at most")


@pytest.mark.parametrize("path", sorted((PROJECT_ROOT / "tests").glob("*.py")), ids=lambda p: p.name)
def test_no_test_compares_wall_clock_times(path):
    found = wall_clock_comparisons(ast.parse(path.read_text(encoding="utf-8")))
    assert not found, f"{path.name} asserts a comparison of measured times: {found}"


HEADER_MINUTES = re.compile(r"executes in (?:about )?(\d+(?:\.\d+)?) min")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_header_follows_the_template_and_its_minutes_equal_the_readme(path):
    header = _read(path).cells[0].source
    for line in ("- **Time:**", "- **Mirrors:**", "- **Before this:**"):
        assert line in header, f"the header lacks its '{line}' line (see the chapter template)"
    match = HEADER_MINUTES.search(header)
    assert match, "the **Time:** line should say 'the notebook executes in N minutes' (measured with course run)"
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("|") and f"chapters/{path.name}" in line)
    readme_minutes = re.search(r"\|\s*(\d+(?:\.\d+)?) min\s*\|", row).group(1)
    assert float(match.group(1)) == float(readme_minutes), (
        f"the header says {match.group(1)} minutes, the README {readme_minutes}: give both the measured time")


def _all_text(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def cited_chapters(text: str) -> set[str]:
    """The chapter numbers a text cites: "chapter 04", "chapters 06 and 07", "chapters 09-11"."""
    cited = set()
    for match in re.finditer(r"\b[Cc]hapters? (\d\d)((?:(?:, | and | or |-)\d\d)*)", text):
        cited |= {match.group(1), *re.findall(r"\d\d", match.group(2))}
    return cited


def test_cited_chapters_reads_single_and_listed_citations():
    assert cited_chapters("as chapter 04 did; chapters 06 and 07; Chapters 09-11; 3 chapters") == {
        "04", "06", "07", "09", "11"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chapter_cited_exists(path):
    existing = {p.name[:2] for p in NOTEBOOKS}
    missing = sorted(cited_chapters(_all_text(_read(path))) - existing)
    assert not missing, f"cites chapter(s) {missing}, which do not exist yet: refer to what exists"


def _names(tree: ast.AST, *, loaded: bool) -> set[str]:
    """Names a cell binds at the top level (defs, classes, imports, assignments), plus the names it reads."""
    names = set()
    for node in tree.body if isinstance(tree, ast.Module) else []:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.For | ast.With):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in filter(None, targets):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    if loaded:
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return names


def shadowed_names(sources: list[str]) -> list[str]:
    """Names that an exercise cell binds and an earlier chapter cell binds or reads, in code-cell order."""
    used: set[str] = set()
    shadowed = []
    for source in sources:
        tree = _python(source)
        if tree is None:
            continue
        if EXERCISE_CELL.search(source):
            shadowed += [f"{name} (in: {source.splitlines()[0][:60]})"
                         for name in sorted(_names(tree, loaded=False) & used)]
        elif "chapter(" not in source:
            used |= _names(tree, loaded=True)
    return shadowed


def test_shadowed_names_finds_an_answer_that_replaces_a_chapter_function():
    chapter_cells = ["from course_lib.layers import lstm_step\nh, c = lstm_step(x, h, c, W, U, b)",
                     "ex = chapter('04')"]
    clash = "def lstm_step(x_t, h_prev, c_prev, W, U, b):\n    ...\n\nex.q2.check(lstm_step)"
    own_name = clash.replace("lstm_step", "my_lstm_step")
    assert [name.split()[0] for name in shadowed_names(chapter_cells + [clash])] == ["lstm_step"]
    assert shadowed_names(chapter_cells + [own_name]) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercise_cells_do_not_shadow_names_of_the_chapter(path):
    """Re-running a chapter cell after an exercise must still work: an exercise's answer gets its own name."""
    shadowed = shadowed_names([cell.source for cell in _code(_read(path))])
    assert not shadowed, f"exercise cells redefine names that earlier chapter cells use: {shadowed}"


def test_the_data_table_of_chapter_00_names_the_chapters_that_call_each_loader():
    table = _read(CHAPTERS_DIR / "00_start_here.ipynb")
    rows = re.findall(r"^\| `(\w+)\(\)` \|.*\| ([\d, ]+) \|$", _all_text(table), re.M)
    assert len(rows) >= 5, "chapter 00 should have a table of the data loaders"
    code = {p.name[:2]: "\n".join(c.source for c in _code(_read(p))) for p in NOTEBOOKS}
    for loader, listed in rows:
        calling = {number for number, source in code.items() if re.search(rf"\b{loader}\(", source)}
        listed_set = set(listed.replace(" ", "").split(","))
        assert listed_set == calling, f"{loader}: the table says {listed}, but it is called in {sorted(calling)}"


def test_a_chapter_that_loads_chapter_07s_pipeline_shows_the_same_outputs_whether_or_not_it_was_saved():
    """Run alone (`pytest chapters/10_...ipynb`, an empty models folder), a chapter trains the pipeline first and
    load_pipeline() prints a line it does not print when chapter 07 saved it. So the loading cell holds the load
    and nothing else, its output ignored; every later output is the same either way, because training is
    deterministic (tests/test_sentiment.py::test_train_pipeline_is_deterministic) and a saved pipeline reloads
    to the same predictions (test_saved_pipeline_round_trips_in_a_fresh_process)."""
    loads = [(p.name, cell.source) for p in NOTEBOOKS if p.name[:2] != "07"
             for cell in _code(_read(p)) if "load_pipeline(" in cell.source]
    assert loads, "no chapter loads chapter 07's pipeline: this test is no longer needed"
    for name, source in loads:
        statements = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        assert source.startswith("# NBVAL_IGNORE_OUTPUT"), (
            f"{name}: the cell that loads the pipeline must ignore its output (a training message appears when no "
            "copy was saved)")
        others = [line for line in statements
                  if "load_pipeline(" not in line and not line.startswith(("import ", "from "))]
        assert not others, f"{name}: the cell that loads the pipeline should do nothing else, found {others}"


def test_chapters_that_load_chapter_07s_pipeline_run_after_it_in_its_test_process():
    """conftest.py runs the sentiment chain (07, then the chapters that load its saved pipeline) as one unit of
    work in one pytest-xdist process; a chapter that starts loading the pipeline must join it."""
    import conftest

    loaders = [p.name[:2] for p in NOTEBOOKS
               if p.name[:2] != "07" and any("load_pipeline(" in c.source for c in _code(_read(p)))]
    assert loaders, "no chapter loads chapter 07's pipeline: the chain in conftest.py is no longer needed"
    assert conftest.SENTIMENT_CHAIN == ("07", *loaders)
    chain = [p for p in NOTEBOOKS if p.name[:2] in conftest.SENTIMENT_CHAIN]
    assert len({conftest.work_unit(f"chapters/{p.name}::Cell {i}") for p in chain for i in (0, 5)}) == 1
    # ...in this order, whatever order they are collected in.
    items = [SimpleNamespace(path=p) for p in reversed(NOTEBOOKS)]
    conftest.pytest_collection_modifyitems(items)
    assert [i.path.name[:2] for i in items if i.path in chain] == list(conftest.SENTIMENT_CHAIN)
    # Every other notebook, and every test file, is a unit of its own: one kernel, one module's fixtures.
    others = [p for p in NOTEBOOKS if p.name[:2] not in conftest.SENTIMENT_CHAIN]
    assert {conftest.work_unit(f"chapters/{p.name}::Cell 3") for p in others} == {f"chapters/{p.name}" for p in others}
    assert conftest.work_unit("tests/test_cli.py::test_x[a::b]") == "tests/test_cli.py"


def test_the_readme_says_what_full_scale_gives_every_chapter_that_scales():
    """A chapter that calls scaled() (chapter 00 only demonstrates it) has a row, with minutes at both sizes, in
    the README's table of COURSE_SCALE=full; the README names the others as chapters that do not scale."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("What `full` gives", 1)[1].split("\n\n", 2)[1]
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if re.match(r"\| \d\d \|", line)}
    scaling = {p.name[:2] for p in NOTEBOOKS if p.name[:2] != "00"
               and any(re.search(r"\bscaled\(", c.source) for c in _code(_read(p)))}
    assert scaling and scaling <= set(rows), f"no full-scale row for chapters {sorted(scaling - set(rows))}"
    for number in scaling:
        assert len(re.findall(r"\d+(\.\d+)? min", rows[number])) == 2, f"chapter {number}: give both minutes"
    others = sorted({p.name[:2] for p in NOTEBOOKS} - scaling)
    assert all(number in readme.split("do not\nscale", 1)[0].rsplit("\n\n", 1)[1] for number in others)

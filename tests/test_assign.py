"""``dlvision assign``: exercises are the solutions with the solution blocks taken out."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from dlvision.assign import (
    ABOUT_CELL_ID,
    BEGIN,
    END,
    INSTALL_CELL_ID,
    INSTRUCTORS,
    AssignError,
    Layout,
    chapter_pages,
    install_cell_source,
    make_exercise,
    make_twin,
    render,
    site_url,
    strip_solutions,
    twin_texts,
)
from dlvision.cli import main

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
INSTALL = "# install\nimport sys"


def solution_notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title", id="title")])
    for i, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source, id=f"c{i}")
        cell.outputs = [nbformat.v4.new_output("stream", text="old output\n")]
        cell.execution_count = i + 1
        nb.cells.append(cell)
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"},
                   "widgets": {"state": "large"}}
    return nb


def test_blocks_become_the_placeholder_at_their_indentation():
    source = "\n".join([
        "def f(x):",
        '    """Doc."""',
        f"    {BEGIN}",
        "    y = x + 1",
        "    return y",
        f"    {END}",
        "",
        BEGIN,
        "z = 3",
        END,
        "print('kept')",
    ])
    assert strip_solutions(source) == "\n".join([
        "def f(x):",
        '    """Doc."""',
        "    # YOUR CODE HERE",
        "    raise NotImplementedError()",
        "",
        "# YOUR CODE HERE",
        "raise NotImplementedError()",
        "print('kept')",
    ])


@pytest.mark.parametrize(("source", "message"), [
    (f"{BEGIN}\nx = 1", "line 1: '### BEGIN SOLUTION' without '### END SOLUTION'"),
    (f"x = 1\n{END}", "line 2: '### END SOLUTION' without '### BEGIN SOLUTION'"),
    (f"{BEGIN}\n{BEGIN}\n{END}", "line 2: '### BEGIN SOLUTION' inside the block opened on line 1"),
])
def test_unmatched_markers_are_errors_that_say_where(source, message):
    with pytest.raises(AssignError, match=message):
        strip_solutions(source, where="demo, cell 3")


def test_exercise_clears_outputs_and_adds_the_install_cell():
    solution = solution_notebook("import torch", f"def f():\n    {BEGIN}\n    return 1\n    {END}")
    before = copy.deepcopy(solution)
    exercise = make_exercise(solution, part="0-demo", install_source=INSTALL)
    assert solution == before, "the solution notebook was modified"
    kinds = [(c.cell_type, c.id) for c in exercise.cells]
    # The install cell runs first, after the title.
    assert kinds == [("markdown", "title"), ("code", INSTALL_CELL_ID), ("code", "c0"),
                     ("code", "c1")]
    assert exercise.cells[1].source == INSTALL
    for cell in exercise.cells[1:]:
        assert cell.outputs == [] and cell.execution_count is None
    assert exercise.cells[3].source == \
        "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    assert exercise.metadata["dlvision"] == {"part": "0-demo"}
    assert exercise.metadata["kernelspec"]["name"] == "python3"
    assert "widgets" not in exercise.metadata


def test_exercise_text_is_reproducible():
    solution = solution_notebook(f"{BEGIN}\nx = 1\n{END}")
    texts = {render(make_exercise(copy.deepcopy(solution), part="p", install_source=INSTALL))
             for _ in range(3)}
    assert len(texts) == 1
    assert texts.pop().endswith("}\n")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda nb: nb.cells.pop(), "no '### BEGIN SOLUTION' block"),
    (lambda nb: nb.cells.append(nbformat.v4.new_markdown_cell(BEGIN)), "markers belong in code"),
    (lambda nb: nb.metadata.update(dlvision={"part": "other"}), "metadata says part 'other'"),
])
def test_solutions_that_cannot_become_exercises_are_errors(edit, message):
    solution = solution_notebook(f"{BEGIN}\nx = 1\n{END}")
    edit(solution)
    with pytest.raises(AssignError, match=message):
        make_exercise(solution, part="p", install_source=INSTALL)


def test_install_cell_reads_the_repository_from_the_config(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://example.org/me/course\n  branch: dev\n")
    source = install_cell_source(config)
    assert 'if "google.colab" in sys.modules:' in source
    assert '%pip install --quiet "dlvision @ git+https://example.org/me/course@dev"' in source
    config.write_text("title: no repository\n")
    with pytest.raises(AssignError, match="no repository.url"):
        install_cell_source(config)


def test_the_repository_install_cell_uses_config_url():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    for path in sorted((ROOT / "exercises").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert first_code.id == INSTALL_CELL_ID and f"git+{url}" in first_code.source


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_exercises_hold_no_solution_code(solution):
    exercise = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
    text = "\n".join(c.source for c in exercise.cells)
    assert BEGIN not in text and END not in text
    hidden = []
    for cell in nbformat.read(solution, as_version=4).cells:
        inside = False
        for line in cell.source.splitlines():
            if line.strip() in (BEGIN, END):
                inside = line.strip() == BEGIN
            elif inside and line.strip() and not line.strip().startswith("#"):
                hidden.append(line)
    assert hidden, "the solution has no solution code"
    assert not [line for line in hidden if line in text.splitlines()]
    assert all(c.get("outputs", []) == [] for c in exercise.cells)


def test_assign_check_passes_on_the_repository(capsys):
    assert main(["assign", "--check", "--root", str(ROOT)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_hook_command_is_clean():
    """What the pre-stop hook runs: the console script, from the repository root."""
    done = subprocess.run([Path(sys.executable).parent / "dlvision", "assign", "--check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def repo(tmp_path) -> Path:
    """A copy of the files ``assign`` reads and writes; the real ones are never edited."""
    for name in ("solutions", "exercises", "book", "notebooks"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def solution_cells(path: Path) -> tuple[dict, list[dict]]:
    nb = json.loads(path.read_text())
    return nb, [c for c in nb["cells"] if any(line.strip() == BEGIN for line in c["source"])]


def test_assign_check_fails_after_a_solution_block_is_edited(repo, capsys):
    """Moving the first line of a block above its marker shows it to students: stale."""
    name = SOLUTIONS[0].name
    nb, cells = solution_cells(repo / "solutions" / name)
    lines = cells[0]["source"]
    begin = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    lines[begin], lines[begin + 1] = lines[begin + 1], lines[begin]
    (repo / "solutions" / name).write_text(json.dumps(nb, indent=1))
    assert main(["assign", "--check", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert f"exercises/{name} is stale" in err and "dlvision assign" in err


def test_an_edit_inside_a_block_leaves_the_exercise_as_it_is(repo):
    name = SOLUTIONS[0].name
    nb, cells = solution_cells(repo / "solutions" / name)
    lines = cells[0]["source"]
    begin = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    lines.insert(begin + 1, lines[begin].replace(BEGIN, "x = 0  # a different solution"))
    (repo / "solutions" / name).write_text(json.dumps(nb, indent=1))
    assert main(["assign", "--check", "--root", str(repo)]) == 0


def test_a_broken_block_is_an_error_naming_the_notebook(repo, capsys):
    name = SOLUTIONS[0].name
    nb, cells = solution_cells(repo / "solutions" / name)
    cells[0]["source"] = [line for line in cells[0]["source"] if line.strip() != END]
    (repo / "solutions" / name).write_text(json.dumps(nb, indent=1))
    assert main(["assign", "--check", "--root", str(repo)]) == 2
    assert f"{Path(name).stem}, cell" in capsys.readouterr().err


def test_assign_check_fails_after_code_outside_a_block_changes(repo, capsys):
    name = SOLUTIONS[0].name
    nb = json.loads((repo / "solutions" / name).read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["source"].append("\nprint('one more line')")
    (repo / "solutions" / name).write_text(json.dumps(nb, indent=1))
    assert main(["assign", "--check", "--root", str(repo)]) == 1
    assert f"exercises/{name} is stale" in capsys.readouterr().err
    assert main(["assign", "--root", str(repo)]) == 0
    assert f"wrote exercises/{name}" in capsys.readouterr().out
    assert main(["assign", "--check", "--root", str(repo)]) == 0
    assert "print('one more line')" in (repo / "exercises" / name).read_text()


def test_assign_check_names_missing_and_extra_exercises(repo, capsys):
    name = SOLUTIONS[0].name
    (repo / "exercises" / name).unlink()
    shutil.copy(SOLUTIONS[0], repo / "exercises" / "9-orphan.ipynb")
    assert main(["assign", "--check", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert f"exercises/{name} is missing" in err
    assert "exercises/9-orphan.ipynb has no solution" in err
    assert main(["assign", "--root", str(repo)]) == 1  # writing cannot fix an orphan
    assert (repo / "exercises" / name).exists()


def test_changing_the_repository_url_makes_exercises_stale(repo, capsys):
    config = repo / "_config.yml"
    config.write_text(config.read_text().replace("https://github.com/", "https://gitlab.com/"))
    assert main(["assign", "--check", "--root", str(repo)]) == 1
    assert main(["assign", "--root", str(repo)]) == 0
    assert "gitlab.com" in (repo / "exercises" / SOLUTIONS[0].name).read_text()


def test_assign_outside_a_repository_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["assign", "--check"]) == 2
    assert "pass --root" in capsys.readouterr().err


def test_exercises_and_solutions_are_in_the_table_of_contents():
    toc = (ROOT / "_toc.yml").read_text()
    for solution in SOLUTIONS:
        assert f"file: solutions/{solution.stem}\n" in toc
        assert f"file: exercises/{solution.stem}\n" in toc


# --- the chapters' notebook twins -----------------------------------------------------------------

PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

% A comment for the book's authors.

(demo-page)=
# A demo page

Text with a number: {glue:text}`answer`.

```{code-cell} ipython3
:tags: [hide-input]

import math
```

```console
%pip install something
```

```{code-cell} ipython3
:tags: [remove-cell]

# A live notebook only: a slider.
slider_panel(draw, {"alpha": [0, 1]})
```
"""


def read_myst(path: Path) -> nbformat.NotebookNode:
    """A MyST page read as the book reads it (myst-nb: the book extra, which `make` installs)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(), path=path)


def demo_twin(tmp_path: Path, text: str = PAGE) -> nbformat.NotebookNode:
    path = tmp_path / "page.md"
    path.write_text(text)
    page = read_myst(path)
    return make_twin(page, source="book/demo/page.md", page_url="https://site.example/page.html",
                     book_title="*The course*", install_source=INSTALL)


def test_twin_is_the_page_after_the_install_cell_and_a_link_to_the_page(tmp_path):
    twin = demo_twin(tmp_path)
    kinds = [(c.cell_type, c.id) for c in twin.cells]
    assert kinds[:2] == [("code", INSTALL_CELL_ID), ("markdown", ABOUT_CELL_ID)]
    assert twin.cells[0].source == INSTALL
    assert "[A demo page](https://site.example/page.html)" in twin.cells[1].source
    assert "`book/demo/page.md`" in twin.cells[1].source
    assert "Its sliders" in twin.cells[1].source  # only where the page has some
    no_slider = demo_twin(tmp_path, PAGE.replace("slider_panel(draw", "print(draw"))
    assert "slider" not in no_slider.cells[1].source
    code = [c for c in twin.cells[2:] if c.cell_type == "code"]
    assert [c.source for c in code] == [
        "import math", '# A live notebook only: a slider.\nslider_panel(draw, {"alpha": [0, 1]})']
    # The cell that the site removes (a slider) is kept, with the tags that say so.
    assert [c.metadata.get("tags") for c in code] == [["hide-input"], ["remove-cell"]]
    assert all(c.outputs == [] and c.execution_count is None for c in twin.cells
               if c.cell_type == "code")
    assert twin.metadata == {"kernelspec": {"display_name": "Python 3", "language": "python",
                                            "name": "python3"},
                             "dlvision": {"page": "book/demo/page.md"}}


def test_twin_drops_only_the_lines_that_only_the_book_reads(tmp_path):
    text = "\n".join(c.source for c in demo_twin(tmp_path).cells if c.cell_type == "markdown")
    assert "% A comment" not in text and "(demo-page)=" not in text
    assert "# A demo page" in text and "{glue:text}`answer`" in text
    assert "%pip install something" in text  # inside a code fence: IPython's, not a comment


def test_twin_text_is_reproducible(tmp_path):
    texts = {render(demo_twin(tmp_path)) for _ in range(3)}
    assert len(texts) == 1
    ids = [c["id"] for c in json.loads(texts.pop())["cells"]]
    assert ids[2:] == [f"cell-{i}" for i in range(len(ids) - 2)]  # from the position: no random


def test_every_chapter_page_has_a_twin_with_its_code_cells():
    layout = Layout(ROOT)
    pages = chapter_pages(ROOT)
    toc = (ROOT / "_toc.yml").read_text()
    assert pages and all(f"file: {p.relative_to(ROOT).with_suffix('').as_posix()}\n" in toc
                         for p in pages)
    install = install_cell_source(ROOT / "_config.yml")
    site = site_url(ROOT / "_config.yml")
    for page in pages:
        twin = nbformat.read(layout.twin(page), as_version=4)
        source = read_myst(page)
        assert twin.cells[0].id == INSTALL_CELL_ID and twin.cells[0].source == install
        relative = page.relative_to(ROOT).with_suffix(".html").as_posix()
        assert f"]({site}{relative})" in twin.cells[1].source
        assert [c.source for c in twin.cells[2:] if c.cell_type == "code"] == \
            [c.source for c in source.cells if c.cell_type == "code"], page
    # Every notebook page of the book under book/ but the instructors', none of the others
    # (intro, part indexes).
    assert {p.relative_to(ROOT).as_posix() for p in pages} == {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "book").rglob("*.md")
        if "kernelspec:" in p.read_text()
        and not p.relative_to(ROOT).as_posix().startswith(INSTRUCTORS)}


def test_twins_are_generated_the_same_twice():
    first, second = twin_texts(ROOT), twin_texts(ROOT)
    assert first == second
    assert [t.path.relative_to(ROOT).as_posix() for t in first][:2] == [
        "notebooks/transfer-learning/vgg16.ipynb", "notebooks/transfer-learning/scene15.ipynb"]


def test_assign_check_names_a_stale_twin_and_the_fix(repo, capsys):
    page = repo / "book" / "gans" / "dcgan.md"
    text = page.read_text()
    edited = text.replace('run = runs["default"]', 'run = runs["default"]  # edited')
    assert edited != text, "the edit must change a code cell of the page"
    page.write_text(edited)
    assert main(["assign", "--check", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "notebooks/gans/dcgan.ipynb is stale: it differs from what book/gans/dcgan.md gives" \
        in err
    assert "Run `dlvision assign`" in err and "notebooks/" in err
    assert main(["assign", "--root", str(repo)]) == 0
    assert "wrote notebooks/gans/dcgan.ipynb" in capsys.readouterr().out
    twin = nbformat.read(repo / "notebooks" / "gans" / "dcgan.ipynb", as_version=4)
    assert any('run = runs["default"]  # edited' in cell.source for cell in twin.cells)
    assert main(["assign", "--check", "--root", str(repo)]) == 0


def test_assign_check_names_missing_and_orphan_twins(repo, capsys):
    (repo / "notebooks/gans/dcgan.ipynb").unlink()
    shutil.copy(repo / "notebooks/gans/principle.ipynb", repo / "notebooks/gans/old-page.ipynb")
    assert main(["assign", "--check", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "notebooks/gans/dcgan.ipynb is missing" in err
    assert "notebooks/gans/old-page.ipynb is no chapter page's twin" in err and "delete it" in err


def test_site_url_is_the_configured_one_or_the_repositorys_pages(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/Me/course\n")
    assert site_url(config) == "https://me.github.io/course/"
    config.write_text("repository:\n  url: https://github.com/me/course\n"
                      "html:\n  baseurl: https://course.example.org/dl\n")
    assert site_url(config) == "https://course.example.org/dl/"
    config.write_text("repository:\n  url: https://git.example.org/me/course\n")
    with pytest.raises(AssignError, match="set html.baseurl"):
        site_url(config)


def test_launch_buttons_of_a_chapter_open_its_twin():
    """The site's extension rewrites the theme's links to the page's source."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sitefixes", ROOT / "book/_ext/sitefixes.py")
    sitefixes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sitefixes)
    binder = "https://mybinder.org/v2/gh/o/r/main?urlpath=tree/book/gans/dcgan.md"
    assert sitefixes.twin_launch_url(binder, "book/gans/dcgan.md", "notebooks/gans/dcgan.ipynb") \
        == "https://mybinder.org/v2/gh/o/r/main?urlpath=tree/notebooks/gans/dcgan.ipynb"
    with pytest.raises(ValueError, match="does not end with the page's source"):
        sitefixes.twin_launch_url(binder, "book/gans/other.md", "notebooks/gans/other.ipynb")


# A wrapped line that starts with a number and "." or ")" ("2017) is a small...") is a
# paragraph's continuation in MyST but a new ordered list in Jupyter's Markdown renderer, which
# is what a twin or a solution is read in. No list of the course has a hundred items.
_LIST_LOOKALIKE = re.compile(r"^\s*\d{3,}[.)](\s|$)")


def _markdown_texts():
    for page in (ROOT / "book").rglob("*.md"):
        yield page.relative_to(ROOT).as_posix(), page.read_text(encoding="utf-8")
    for notebook in SOLUTIONS:
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "markdown":
                yield notebook.relative_to(ROOT).as_posix(), cell.source


def test_no_wrapped_line_reads_as_a_numbered_list_in_jupyter():
    found = [f"{name}: {line.strip()!r}" for name, text in _markdown_texts()
             for line in text.split("\n") if _LIST_LOOKALIKE.match(line)]
    assert not found, ("rewrap these lines so that they do not start with a number followed by "
                       "'.' or ')': " + "; ".join(found))

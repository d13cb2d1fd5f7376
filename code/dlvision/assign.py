"""Generated notebooks: ``dlvision assign`` writes exercises and the chapters' notebook twins.

``solutions/<part>.ipynb`` is the single source of each exercise. In its code cells, the lines
from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` become two lines at the indentation of the
first marker::

    # YOUR CODE HERE
    raise NotImplementedError()

Outputs and execution counts are cleared, and a cell placed before the first code cell installs
the package when the notebook runs in Google Colab, from the repository that ``_config.yml``
names.

Each chapter page of the book (a page of ``_toc.yml`` under ``book/`` whose MyST source is a
notebook) also gets a twin, ``notebooks/<part>/<page>.ipynb`` from ``book/<part>/<page>.md``:
what the page's Colab and Binder buttons open, since neither can run a MyST file. A twin is the
page's cells without outputs, after the same install cell and a line that links back to the
page on the site. It keeps every cell, those the site hides or removes too: the cells that the
site removes are the live sliders, which the page replaces with a static figure.

Everything is the same bytes every time, so ``dlvision assign --check`` can tell when
``exercises/`` or ``notebooks/`` is stale.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from .cache import atomic_path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
INSTALL_CELL_ID = "install-on-colab"
ABOUT_CELL_ID = "about-this-notebook"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
# Notebook metadata worth keeping; the rest (widget state, editor settings) is the author's.
KEPT_METADATA = ("language_info",)


class AssignError(ValueError):
    """A solution notebook that cannot be turned into an exercise (e.g. unmatched markers)."""


@dataclass(frozen=True)
class Layout:
    """Where the notebooks and the configuration of a repository are."""

    root: Path

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def exercises(self) -> Path:
        return self.root / "exercises"

    @property
    def config(self) -> Path:
        return self.root / "_config.yml"

    @property
    def toc(self) -> Path:
        return self.root / "_toc.yml"

    @property
    def book(self) -> Path:
        return self.root / "book"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    def twin(self, page: Path) -> Path:
        """The notebook twin of a chapter page: ``book/a/b.md`` → ``notebooks/a/b.ipynb``."""
        return (self.notebooks / page.relative_to(self.book)).with_suffix(".ipynb")


def find_root(start: Path | None = None) -> Path:
    """The nearest folder, from ``start`` (default: the current one) up, holding ``_config.yml``
    and ``solutions/``."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "_config.yml").is_file() and (folder / "solutions").is_dir():
            return folder
    raise FileNotFoundError(
        f"no course repository around {start}: run `dlvision assign` in the repository (the "
        "folder with _config.yml and solutions/), or pass --root"
    )


def install_cell_source(config: Path) -> str:
    """The Colab install cell, for the repository and branch named in ``_config.yml``."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    repository = settings.get("repository") or {}
    url = repository.get("url")
    if not url:
        raise AssignError(f"{config} has no repository.url: it names the repository that the "
                          "exercises install the package from in Colab")
    branch = repository.get("branch")
    spec = f"dlvision @ git+{url}" + (f"@{branch}" if branch else "")
    return (
        "# Colab only: install the course package.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet "{spec}"'
    )


def strip_solutions(source: str, *, where: str = "cell") -> str:
    """``source`` with every solution block replaced by the placeholder, at its indentation."""
    lines = source.split("\n")
    out: list[str] = []
    begin: int | None = None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise AssignError(f"{where}, line {number}: {BEGIN!r} inside the block opened "
                                  f"on line {begin}; close it with {END!r} first")
            begin = number
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + text for text in PLACEHOLDER)
        elif marker == END:
            if begin is None:
                raise AssignError(f"{where}, line {number}: {END!r} without {BEGIN!r}")
            begin = None
        elif begin is None:
            out.append(line)
    if begin is not None:
        raise AssignError(f"{where}, line {begin}: {BEGIN!r} without {END!r}")
    return "\n".join(out)


def make_exercise(solution: nbformat.NotebookNode, *, part: str,
                  install_source: str) -> nbformat.NotebookNode:
    """The exercise notebook of a solution notebook (which is left unchanged)."""
    if solution.get("nbformat") != 4:
        raise AssignError(f"{part}: expected an nbformat 4 notebook, got version "
                          f"{solution.get('nbformat')}")
    declared = solution.metadata.get("dlvision", {}).get("part", part)
    if declared != part:
        raise AssignError(f"{part}: its metadata says part {declared!r}; the file name and "
                          "metadata.dlvision.part must agree")
    cells = []
    blocks = 0
    for index, cell in enumerate(solution.cells):
        # Cell ids appeared in nbformat 4.5: older notebooks get ids from their position, so
        # that the output does not depend on random ids.
        cell_id = cell.get("id") or f"cell-{index}"
        if cell_id == INSTALL_CELL_ID:
            raise AssignError(f"{part}: cell id {INSTALL_CELL_ID!r} is reserved for the "
                              "install cell")
        where = f"{part}, cell {index + 1}"
        if cell.cell_type == "code":
            source = strip_solutions(cell.source, where=where)
            blocks += source != cell.source
            new = nbformat.v4.new_code_cell(source, id=cell_id)
        elif BEGIN in cell.source or END in cell.source:
            raise AssignError(f"{where}: solution markers belong in code cells, not in "
                              f"{cell.cell_type} cells")
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(cell.source, id=cell_id)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, id=cell_id)
        metadata = {k: v for k, v in cell.metadata.items() if k not in ("execution",
                                                                         "ExecuteTime")}
        new.metadata.update(copy.deepcopy(metadata))
        cells.append(new)
    if not blocks:
        raise AssignError(f"{part}: no {BEGIN!r} block, so the exercise would be the solution")
    # The install cell runs first: before the first code cell, after the title and intro.
    first_code = next(i for i, cell in enumerate(cells) if cell.cell_type == "code")
    cells.insert(first_code, nbformat.v4.new_code_cell(install_source, id=INSTALL_CELL_ID))
    exercise = nbformat.v4.new_notebook(cells=cells)
    exercise.nbformat_minor = 5
    exercise.metadata = {k: copy.deepcopy(solution.metadata[k]) for k in KEPT_METADATA
                         if k in solution.metadata}
    exercise.metadata["kernelspec"] = dict(KERNELSPEC)
    exercise.metadata["dlvision"] = {"part": part}
    nbformat.validate(exercise)
    return exercise


def render(notebook: nbformat.NotebookNode) -> str:
    """The notebook as text, the same for the same notebook (sorted keys, one newline at end)."""
    return nbformat.writes(notebook, version=4).rstrip("\n") + "\n"


# --- chapters' notebook twins ------------------------------------------------------------------

# Lines of MyST that only the book reads, which a notebook would show as text: comments
# ("% ...") and reference targets ("(label)=").
_BOOK_ONLY_LINE = re.compile(r"^(%( .*)?|\([\w:.-]+\)=)\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def _without_book_only_lines(markdown: str) -> str:
    lines, fence = [], None
    for line in markdown.split("\n"):
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)[0]
        elif fence is not None and opened and opened.group(1)[0] == fence:
            fence = None
        elif fence is None and _BOOK_ONLY_LINE.match(line):
            continue  # never inside a code fence, where "%" may be IPython's
        lines.append(line)
    return "\n".join(lines).strip("\n")


def site_url(config: Path) -> str:
    """The address of the published site, ending with "/": ``html.baseurl`` of ``_config.yml``
    when set, else the GitHub (or GitLab) Pages address of the repository it names."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    base = (settings.get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    url = (settings.get("repository") or {}).get("url", "")
    match = re.fullmatch(r"https://(github|gitlab)\.com/([^/]+)/([^/]+?)(?:\.git)?/?", url)
    if not match:
        raise AssignError(f"{config}: cannot tell the site's address from repository.url "
                          f"{url!r} (neither GitHub nor GitLab): set html.baseurl to it, so "
                          "that the chapters' notebooks link back to their pages")
    host, owner, name = match.groups()
    # The Pages site of a project repository, on either host.
    return f"https://{owner.lower()}.{host}.io/{name}/"


def toc_documents(toc: Path) -> list[str]:
    """Every document of ``_toc.yml`` (the root, then chapters and sections depth first), as
    written there: paths from the repository root without suffix."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8")) or {}
    documents = [data["root"]] if data.get("root") else []

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                documents.append(str(entry["file"]))
            walk(entry.get("sections") or [])

    walk(data.get("chapters") or [])
    for part in data.get("parts") or []:
        walk(part.get("chapters") or [])
    return documents


def _read_myst(path: Path) -> nbformat.NotebookNode:
    try:
        # The "book" extra: read the way the book build reads it, with the same parser. Imported
        # here, so that nothing a student's notebook imports needs the book's tools.
        from myst_nb.core.read import read_myst_markdown_notebook
    except ImportError as err:
        raise AssignError("the chapters' notebooks are generated with myst-nb, which the book "
                          "extra installs: `pip install -e \".[book]\"` (or run `make exercises`)"
                          ) from err
    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), path=path)


# The instructors' pages run commands in a clone of the repository (grading a class,
# rebuilding the book): they have no twin and no launch buttons.
INSTRUCTORS = "book/instructors/"


def chapter_pages(root: Path) -> list[Path]:
    """The MyST sources of the chapter pages: pages of ``_toc.yml`` under ``book/`` that are
    notebooks (their front matter names a kernel), in the book's order, but the instructors'
    (``INSTRUCTORS``). The other pages (the introduction, the parts' index pages) have no code
    and no launch buttons."""
    layout = Layout(root)
    pages = []
    for document in toc_documents(layout.toc):
        if not document.startswith("book/") or document.startswith(INSTRUCTORS):
            continue
        path = root / f"{document}.md"
        if not path.is_file():
            raise AssignError(f"{layout.toc.name} lists {document}, but {path} does not exist "
                              "(the chapters are MyST Markdown files)")
        if "kernelspec" in _read_myst(path).metadata:
            pages.append(path)
    return pages


def _page_title(notebook: nbformat.NotebookNode, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.split("\n"):
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def make_twin(page: nbformat.NotebookNode, *, source: str, page_url: str, book_title: str,
              install_source: str) -> nbformat.NotebookNode:
    """The notebook twin of a chapter page read from its MyST ``source`` (a path, for messages
    and metadata): the install cell, a line linking to ``page_url``, then the page's cells, all
    of them, without outputs and with ids from their position (so the text is reproducible)."""
    title = _page_title(page, fallback=source)
    sliders = any(cell.cell_type == "code" and "slider_panel(" in cell.source
                  for cell in page.cells)
    about = (
        f"> This notebook runs the page [{title}]({page_url}) of {book_title}. Read the page "
        "for the text with its numbers and figures: this text is the page's MyST source, where "
        "`{glue:text}` marks a number that the cells compute. "
        + ("Its sliders, which the page replaces with static figures, are live here. "
           if sliders else "")
        + f"Generated from `{source}` by `dlvision assign`: edit the page, not this notebook."
    )
    cells = [nbformat.v4.new_code_cell(install_source, id=INSTALL_CELL_ID),
             nbformat.v4.new_markdown_cell(about, id=ABOUT_CELL_ID)]
    for index, cell in enumerate(page.cells):
        cell_id = f"cell-{index}"
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source, id=cell_id)
        elif cell.cell_type == "markdown":
            text = _without_book_only_lines(cell.source)
            if not text:
                continue
            new = nbformat.v4.new_markdown_cell(text, id=cell_id)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, id=cell_id)
        # The tags stay (hide-input, remove-cell...): they say what the page does with a cell.
        new.metadata.update(copy.deepcopy(dict(cell.metadata)))
        cells.append(new)
    twin = nbformat.v4.new_notebook(cells=cells)
    twin.nbformat_minor = 5
    twin.metadata = {"kernelspec": dict(KERNELSPEC), "dlvision": {"page": source}}
    nbformat.validate(twin)
    return twin


# --- both kinds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """A notebook that ``dlvision assign`` writes: where, from what (relative to the root)."""

    path: Path
    source: str
    text: str


def exercise_texts(root: Path) -> list[Generated]:
    """Every exercise that ``root``'s solutions give."""
    layout = Layout(root)
    solutions = sorted(layout.solutions.glob("*.ipynb"))
    if not solutions:
        raise FileNotFoundError(f"no solution notebook in {layout.solutions}")
    install = install_cell_source(layout.config)
    texts = []
    for path in solutions:
        try:
            solution = nbformat.reads(path.read_text(encoding="utf-8"),
                                      as_version=nbformat.NO_CONVERT)
        except Exception as err:  # invalid JSON or not a notebook
            raise AssignError(f"{path} is not a readable notebook: {err}") from err
        exercise = make_exercise(solution, part=path.stem, install_source=install)
        texts.append(Generated(layout.exercises / path.name,
                               path.relative_to(root).as_posix(), render(exercise)))
    return texts


def twin_texts(root: Path) -> list[Generated]:
    """The notebook twin of every chapter page of ``root``'s book."""
    layout = Layout(root)
    install = install_cell_source(layout.config)
    site = site_url(layout.config)
    settings = yaml.safe_load(layout.config.read_text(encoding="utf-8")) or {}
    book_title = f"*{settings['title']}*" if settings.get("title") else "the course"
    texts = []
    for path in chapter_pages(root):
        source = path.relative_to(root).as_posix()
        page_url = site + path.relative_to(root).with_suffix(".html").as_posix()
        twin = make_twin(_read_myst(path), source=source, page_url=page_url,
                         book_title=book_title, install_source=install)
        texts.append(Generated(layout.twin(path), source, render(twin)))
    return texts


def generated(root: Path) -> list[Generated]:
    """Every notebook that ``dlvision assign`` writes: the exercises, then the twins."""
    return exercise_texts(root) + twin_texts(root)


def write_exercises(root: Path) -> list[Path]:
    """Write ``exercises/`` from ``solutions/`` and ``notebooks/`` from ``book/``; return the
    notebooks that changed."""
    changed = []
    for item in generated(root):
        data = item.text.encode("utf-8")
        if not item.path.exists() or item.path.read_bytes() != data:
            with atomic_path(item.path) as tmp:
                tmp.write_bytes(data)
            changed.append(item.path)
    return changed


def stale_exercises(root: Path) -> list[str]:
    """What is wrong with ``exercises/`` and ``notebooks/``, one line each: stale, missing, or
    without a source."""
    layout = Layout(root)
    expected = {item.path: item for item in generated(root)}
    problems = []
    for path, item in expected.items():
        name = path.relative_to(root).as_posix()
        if not path.exists():
            problems.append(f"{name} is missing")
        elif path.read_bytes() != item.text.encode("utf-8"):
            problems.append(f"{name} is stale: it differs from what {item.source} gives")
    for path in sorted(layout.exercises.glob("*.ipynb")):
        if path not in expected:
            problems.append(f"{path.relative_to(root).as_posix()} has no solution in "
                            "solutions/: delete it, or add its solution")
    for path in sorted(layout.notebooks.rglob("*.ipynb")):
        if path not in expected and ".ipynb_checkpoints" not in path.parts:
            problems.append(f"{path.relative_to(root).as_posix()} is no chapter page's twin "
                            "(no notebook page of _toc.yml under book/ gives it): delete it")
    return problems

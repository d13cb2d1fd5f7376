"""Exercise notebooks from solution notebooks: ``dlvision assign``.

``solutions/<part>.ipynb`` is the single source of each exercise. In its code cells, the lines
from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` become two lines at the indentation of the
first marker::

    # YOUR CODE HERE
    raise NotImplementedError()

Outputs and execution counts are cleared, and a cell placed before the first code cell installs
the package when the notebook runs in Google Colab, from the repository that ``_config.yml``
names. The result is the
same bytes every time, so ``dlvision assign --check`` can tell when ``exercises/`` is stale.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
INSTALL_CELL_ID = "install-on-colab"
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


def exercise_texts(root: Path) -> dict[Path, str]:
    """Every exercise that ``root``'s solutions give: exercise path → notebook text."""
    layout = Layout(root)
    solutions = sorted(layout.solutions.glob("*.ipynb"))
    if not solutions:
        raise FileNotFoundError(f"no solution notebook in {layout.solutions}")
    install = install_cell_source(layout.config)
    texts = {}
    for path in solutions:
        try:
            solution = nbformat.reads(path.read_text(encoding="utf-8"),
                                      as_version=nbformat.NO_CONVERT)
        except Exception as err:  # invalid JSON or not a notebook
            raise AssignError(f"{path} is not a readable notebook: {err}") from err
        exercise = make_exercise(solution, part=path.stem, install_source=install)
        texts[layout.exercises / path.name] = render(exercise)
    return texts


def write_exercises(root: Path) -> list[Path]:
    """Write ``exercises/`` from ``solutions/``; return the exercises that changed."""
    changed = []
    for path, text in exercise_texts(root).items():
        data = text.encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            changed.append(path)
    return changed


def stale_exercises(root: Path) -> list[str]:
    """What is wrong with ``exercises/``, one line each: stale, missing or without solution."""
    layout = Layout(root)
    expected = exercise_texts(root)
    problems = []
    for path, text in expected.items():
        name = path.relative_to(root)
        if not path.exists():
            problems.append(f"{name} is missing")
        elif path.read_bytes() != text.encode("utf-8"):
            problems.append(f"{name} is stale: it differs from what "
                            f"solutions/{path.name} gives")
    for path in sorted(layout.exercises.glob("*.ipynb")):
        if path not in expected:
            problems.append(f"{path.relative_to(root)} has no solution in solutions/: delete "
                            "it, or add its solution")
    return problems

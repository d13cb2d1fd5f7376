"""``dlvision grade SUBMISSIONS... --out DIR``: a generated class of each exercise, graded.

Each class has 34 submissions: copies of the solution, of the solution with one answer replaced
by a mutant of ``tests/mutants/``, broken files (empty, invalid JSON, a version 3 notebook,
another exercise's notebook) and a student who submitted twice. Most submissions are byte
-identical copies of a few contents, which the grade cache runs once each: a class costs two
notebook runs. Each class is graded once per session (module-scoped), with two jobs.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import inspect
import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from mutants import conditional_gans, gans, getting_started, transfer_learning, visualization

from dlvision.grading import get_part, get_question
from dlvision.grading.batch import (
    CACHE,
    DEADLINE_REACHED,
    GRADED,
    KERNEL_DIED,
    NOT_A_NOTEBOOK,
    OTHER_VERSION,
    WRONG_EXERCISE,
    Batch,
    cacheable,
    choose_part,
    find_submissions,
    grade_batch,
    grade_one,
    id_regex,
    report_dict,
    report_from_dict,
    status_of,
    student_id,
)
from dlvision.grading.decide import decide
from dlvision.grading.gradebook import feedback_name, named_mistake, tally_mistakes, write_gradebook
from dlvision.grading.observe import observe
from dlvision.grading.question import FEEDBACK_LEVELS, PASSED, TIMEOUT, CheckResult
from dlvision.grading.report import NOT_RUN, CellRun, Report

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = {p.stem: p for p in sorted((ROOT / "solutions").glob("*.ipynb"))}
# Per exercise, one wrong answer to a question no other question uses: it costs that
# question's points and no other.
MUTANT = {
    "0-getting-started": ("gray-to-rgb", getting_started.repeat_along_height),
    "1-transfer-learning": ("svm-accuracy", transfer_learning.train_and_test_swapped),
    "2-visualization": ("saliency-map", visualization.saliency_without_abs),
    "3-gans": ("training-step", gans.step_g_first),
    "4-conditional-gans": ("labelled-grid", conditional_gans.grid_of_one_digit),
}
RIGHT, WRONG = 20, 8  # copies of the solution and of the mutant in each class
ID_PATTERN = r"^(?P<id>s\d+)_"  # submissions are named s007_whatever.ipynb


def helpers(function, seen: set[str] | None = None) -> list[str]:
    """The source of what ``function`` needs from its own module (its helper functions, its
    constants), helpers first."""
    seen = set() if seen is None else seen
    needed = []
    for name, value in inspect.getclosurevars(function).globals.items():
        if name in seen or inspect.ismodule(value):
            continue
        seen.add(name)
        if inspect.isfunction(value) and value.__module__ == function.__module__:
            needed += [*helpers(value, seen), textwrap.dedent(inspect.getsource(value))]
        elif not (inspect.isclass(value) or callable(value)):
            needed.append(f"{name} = {value!r}\n")
    return needed


def mutant_notebook(solution: Path, question_id: str, mutant) -> nbformat.NotebookNode:
    """The solution notebook with the function that answers ``question_id`` replaced by
    ``mutant``'s source (renamed), after the imports and helpers it needs from its module."""
    name = get_question(question_id).name
    nb = nbformat.read(solution, as_version=4)
    module = inspect.getmodule(mutant)
    imports = [line for line in inspect.getsource(module).splitlines()
               if line.startswith(("import ", "from ")) and "__future__" not in line]
    source = "\n\n".join([*helpers(mutant), textwrap.dedent(inspect.getsource(mutant)).replace(
        f"def {mutant.__name__}(", f"def {name}(", 1)])
    for cell in nb.cells:
        if cell.cell_type != "code" or f"def {name}(" not in cell.source:
            continue
        lines = cell.source.splitlines()
        [node] = [n for n in ast.parse(cell.source).body
                  if isinstance(n, ast.FunctionDef) and n.name == name]
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
        cell.source = "\n".join([*lines[:start], *imports, "", source.rstrip(),
                                 *lines[node.end_lineno:]])
        return nb
    raise AssertionError(f"no cell of {solution.name} defines {name}")


def expected_feedback(question_id: str, mutant) -> str:
    """The check's feedback on the mutant, run here."""
    question = get_question(question_id)
    verdict = decide(question, observe(question, mutant))
    assert not verdict.passed
    return verdict.message


def write_class(folder: Path, part: str) -> dict[str, str]:
    """The class of one exercise in ``folder``; each file's kind: right, wrong, empty,
    json, v3, other, twice."""
    folder.mkdir(parents=True)
    solution = SOLUTIONS[part].read_bytes()
    question, mutant = MUTANT[part]
    wrong = nbformat.writes(mutant_notebook(SOLUTIONS[part], question, mutant)).encode()
    other = next(p for stem, p in SOLUTIONS.items() if stem != part).read_bytes()
    v3 = json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                     "worksheets": [{"cells": []}]}).encode()
    kinds = {}
    contents = [("right", solution)] * RIGHT + [("wrong", wrong)] * WRONG + [
        ("empty", b""), ("json", b'{"cells": [ this is not json'), ("v3", v3),
        ("other", other)]
    for n, (kind, content) in enumerate(contents):
        name = f"s{n:03d}_{part}.ipynb"
        (folder / name).write_bytes(content)
        kinds[name] = kind
    # Student 0 submitted again, a wrong answer this time.
    (folder / "s000_late.ipynb").write_bytes(wrong)
    kinds["s000_late.ipynb"] = "twice"
    return kinds


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@dataclass
class GradedClass:
    part: str
    folder: Path  # the submissions
    out: Path  # the results
    kinds: dict[str, str]  # file name → what write_class made it
    batch: Batch
    before: dict[str, str]  # file name → sha256 of the submission before grading


@pytest.fixture(scope="module", params=sorted(SOLUTIONS))
def graded_class(request, tmp_path_factory) -> GradedClass:
    part = request.param
    folder = tmp_path_factory.mktemp("class") / part
    kinds = write_class(folder, part)
    before = digests(folder)
    out = folder.parent / "out"
    batch = grade_batch([folder], out, id_pattern=ID_PATTERN, jobs=2)
    write_gradebook(batch, out)
    return GradedClass(part, folder, out, kinds, batch, before)


def rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as stream:
        return {row["file"]: row for row in csv.DictReader(stream)}


def test_the_class_has_more_than_30_submissions_and_two_distinct_gradings(graded_class):
    batch = graded_class.batch
    assert len(batch.submissions) == len(graded_class.kinds) >= 30
    assert batch.part == graded_class.part and not batch.interrupted
    assert batch.graded_now == 2  # the solution and the mutant: copies come from the cache


def test_grades_csv_has_the_expected_points(graded_class):
    exercise, kinds = get_part(graded_class.part), graded_class.kinds
    question, _ = MUTANT[exercise.id]
    lost = get_question(question).points
    table = rows(graded_class.out)
    assert set(table) == set(kinds)
    for name, kind in kinds.items():
        row = table[name]
        assert row["max"] == str(exercise.max_points)
        if kind in ("right", "wrong", "twice"):
            right = kind == "right"
            assert row["status"] == GRADED, row
            assert row["total"] == str(exercise.max_points - (0 if right else lost)), row
            for q in exercise.questions:
                full = right or q.id != question
                assert row[q.id] == str(q.points if full else 0), (name, q.id)
        else:
            assert row["total"] == "" and all(row[q.id] == "" for q in exercise.questions)
    status = {kinds[name]: row["status"] for name, row in table.items()}
    assert status["empty"] == status["json"] == NOT_A_NOTEBOOK
    assert status["v3"] == OTHER_VERSION
    assert status["other"] == WRONG_EXERCISE
    assert "is empty" in table[next(n for n, k in kinds.items() if k == "empty")]["detail"]
    assert "version 3" in table[next(n for n, k in kinds.items() if k == "v3")]["detail"]


def test_two_submissions_of_one_student_each_say_so(graded_class):
    table = rows(graded_class.out)
    first = next(row for name, row in table.items()
                 if name.startswith("s000_") and name != "s000_late.ipynb")
    late = table["s000_late.ipynb"]
    assert first["id"] == late["id"] == "s000"
    assert first["same id as"] == "s000_late.ipynb"
    assert late["same id as"] == first["file"]
    assert all(r["same id as"] == "" for r in table.values() if r["id"] != "s000")


def test_the_tally_counts_the_mutant_s_feedback_first(graded_class):
    question, mutant = MUTANT[graded_class.part]
    feedback = expected_feedback(question, mutant)
    top = tally_mistakes(graded_class.batch)[0]
    assert (top.question, top.message) == (question, named_mistake(feedback))
    # A line of the feedback, but not the input (the same for every student) nor the hint.
    assert top.message in feedback.splitlines()[1:], feedback
    assert not top.message.startswith("hint:"), feedback
    assert top.count == WRONG + 1  # the mutant's copies and the late submission
    summary = (graded_class.out / "summary.md").read_text(encoding="utf-8")
    assert f"| {WRONG + 1} | {question} | wrong |" in summary


def test_feedback_for_each_student_and_a_self_contained_summary_page(graded_class):
    batch, kinds, feedback = graded_class.batch, graded_class.kinds, graded_class.out / "feedback"
    names = {feedback_name(s) for s in batch.submissions}
    assert len(names) == len(kinds)  # the two files of student 0 get one each
    assert {p.stem for p in feedback.glob("*.md")} == names
    assert {p.stem for p in feedback.glob("*.html")} == names
    some = next(s for s in batch.submissions if kinds[s.path.name] == "wrong")
    question, mutant = MUTANT[graded_class.part]
    assert named_mistake(expected_feedback(question, mutant)) in \
        (feedback / f"{feedback_name(some)}.md").read_text(encoding="utf-8")
    empty = next(s for s in batch.submissions if kinds[s.path.name] == "empty")
    assert "was not graded: not a notebook" in \
        (feedback / f"{feedback_name(empty)}.md").read_text(encoding="utf-8")
    page = (graded_class.out / "summary.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 2  # the totals' histogram and the questions' bars
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page)  # nothing to fetch: no CDN
    assert "<metadata>" not in page  # no date: the same class gives the same page


def test_no_submission_is_modified(graded_class):
    assert digests(graded_class.folder) == graded_class.before


# One exercise shows it: each new content costs a notebook run.
@pytest.mark.parametrize("graded_class", ["0-getting-started"], indirect=True)
def test_a_second_run_grades_only_the_late_submissions(graded_class, tmp_path):
    part, folder, out = graded_class.part, graded_class.folder, graded_class.out
    extra = tmp_path / "late"
    extra.mkdir()
    # A copy of the solution (already graded) and a new content, answering nothing.
    (extra / "s100_copy.ipynb").write_bytes(SOLUTIONS[part].read_bytes())
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("I ran out of time")])
    nb.metadata["dlvision"] = {"part": part}
    nbformat.write(nb, extra / "s101_blank.ipynb")
    again = grade_batch([folder], out, id_pattern=ID_PATTERN, jobs=2)
    assert again.graded_now == 0 and all(s.cached for s in again.submissions if s.report)
    later = grade_batch([folder, extra], out, id_pattern=ID_PATTERN, jobs=2)
    assert later.graded_now == 1
    status = {s.path.name: (s.cached, s.report.score) for s in later.submissions if s.report}
    assert status["s100_copy.ipynb"] == (True, get_part(part).max_points)
    assert status["s101_blank.ipynb"] == (False, 0)


@pytest.mark.parametrize("graded_class", ["0-getting-started"], indirect=True)
def test_a_half_written_cache_entry_is_never_read(graded_class):
    part, folder, cache = graded_class.part, graded_class.folder, graded_class.out / CACHE
    assert not list(cache.glob("*.tmp"))  # no temporary file left
    # The entries of this class's submissions (another test of the module may have added
    # others, of submissions outside its folder).
    names = {path.name for path in folder.glob("*.ipynb")}
    entries = [entry for entry in sorted(cache.glob("*.json"))
               if Path(json.loads(entry.read_text())["notebook"]).name in names]
    assert entries
    entries[0].write_text(entries[0].read_text()[:100])  # as if cut short by a crash
    calls = []

    def grader(*args):
        calls.append(args)
        return grade_one(*args)

    grade_batch([folder], graded_class.out, id_pattern=ID_PATTERN, jobs=1, grader=grader)
    assert len(calls) == 1  # the unreadable entry was graded again, the others not
    assert json.loads(entries[0].read_text())["part"] == part


def test_ctrl_c_keeps_the_grades_finished_before_it(tmp_path):
    """A stand-in grader (no kernel) interrupted at the third submission."""
    folder = tmp_path / "class"
    folder.mkdir()
    nb = nbformat.read(SOLUTIONS["0-getting-started"], as_version=4)
    for n in range(5):
        nb.cells.append(nbformat.v4.new_markdown_cell(f"student {n}"))  # five distinct files
        nbformat.write(nb, folder / f"s{n:03d}_x.ipynb")
    calls, interrupt_at = [], [3]

    def grader(source, name, part, timeout, deadline, entry):
        calls.append(name)
        if len(calls) in interrupt_at:
            raise KeyboardInterrupt
        data = {"notebook": name, "part": part, "score": 0, "max_score": 5, "questions": [],
                "cells": [], "problems": [], "seconds": 0.0}
        Path(entry).write_text(json.dumps(data))
        return data

    first = grade_batch([folder], tmp_path / "out", jobs=1, grader=grader)
    assert first.interrupted and first.graded_now == 2
    calls.clear()
    interrupt_at.clear()
    second = grade_batch([folder], tmp_path / "out", jobs=1, grader=grader)
    assert not second.interrupted and second.graded_now == 3
    assert calls == ["s002_x.ipynb", "s003_x.ipynb", "s004_x.ipynb"]  # not the first two


def test_a_graded_notebook_says_which_cell_killed_its_kernel_or_the_deadline_left():
    def report(*cells: CellRun) -> Report:
        return Report("x.ipynb", "0-getting-started", [], list(cells))

    assert status_of(report()) == (GRADED, "")
    assert status_of(report(CellRun(4, "error", "NameError: x"))) == (GRADED, "")
    status, why = status_of(report(CellRun(7, "kernel died", "the kernel died")))
    assert status == KERNEL_DIED and "the kernel died in cell 7" in why
    status, why = status_of(report(CellRun(3, "timeout", "..."), CellRun(5, NOT_RUN, "..."),
                                   CellRun(6, NOT_RUN, "...")))
    assert status == DEADLINE_REACHED and "before cell 5: 2 code cells were not run" in why


def test_a_grade_cut_short_by_a_time_limit_is_not_cached():
    def report(results=(), cells=()) -> Report:
        return Report("x.ipynb", "0-getting-started", list(results), list(cells))

    passed = CheckResult("normalize", PASSED, 2, 2)
    assert cacheable(report([passed], [CellRun(4, "error", "NameError: x")]))
    assert cacheable(report([passed], [CellRun(7, "kernel died", "the kernel died")]))
    assert not cacheable(report([CheckResult("normalize", TIMEOUT, 0, 2, "ran longer")]))
    assert not cacheable(report([passed], [CellRun(3, "timeout", "ran longer than 120 s")]))
    assert not cacheable(report([passed], [CellRun(5, NOT_RUN, "the deadline")]))


def test_a_cached_grade_keeps_every_feedback_level():
    wrong = CheckResult("normalize", "wrong", 0, 2, "the mean is 0.5, expected 0: hint: x - m",
                        mistake="the mean is 0.5, expected 0")
    replaced_later = CheckResult("gray-to-rgb", PASSED, 1, 1, "replaced in cell 9")
    original = Report("x.ipynb", "0-getting-started", [wrong, replaced_later])
    again = report_from_dict(json.loads(json.dumps(report_dict(original))))
    for level in FEEDBACK_LEVELS:
        assert [r.feedback(level) for r in again.results] == \
            [r.feedback(level) for r in original.results], level
    assert again.results[0].feedback("mistakes") == "the mean is 0.5, expected 0"


def test_the_batch_s_exercise_is_the_one_most_submissions_name():
    assert choose_part(["3-gans", "3-gans", None, "0-getting-started"], None) == "3-gans"
    assert choose_part(["3-gans"], "0-getting-started") == "0-getting-started"
    with pytest.raises(ValueError, match="as many submissions answer .* pass --part"):
        choose_part(["3-gans", "0-getting-started"], None)
    with pytest.raises(ValueError, match="pass --part"):
        choose_part([None, "9-unknown"], None)


def test_folders_are_searched_but_not_checkpoints_nor_the_results(tmp_path):
    for name in ("a.ipynb", "sub/b.ipynb", ".ipynb_checkpoints/a-checkpoint.ipynb",
                 "out/feedback/x.ipynb", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found = find_submissions([tmp_path, tmp_path / "a.ipynb"], out=tmp_path / "out")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == ["a.ipynb",
                                                                         "sub/b.ipynb"]


def test_student_ids_come_from_the_pattern_or_the_stem():
    regex = id_regex(ID_PATTERN)
    assert student_id(Path("s042_3-gans (1).ipynb"), regex) == ("s042", "")
    ident, note = student_id(Path("homework.ipynb"), regex)
    assert ident == "homework" and "does not match --id-pattern" in note
    assert student_id(Path("homework.ipynb"), None) == ("homework", "")

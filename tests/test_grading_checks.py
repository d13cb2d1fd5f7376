"""The checks themselves, in process: they tell right answers from wrong, empty or broken ones.

No kernel here: ``check`` runs the answer and judges it in the test process. The mutants and
the alternative right answers are in ``tests/mutants/``; the right answers themselves are those
of the solution notebooks, read from them.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mutants import ALTERNATIVES, MUTANTS
from mutants import conditional_gans as cg_mutants
from mutants import gans as gans_mutants
from mutants import getting_started as gs_mutants
from mutants import transfer_learning as tl_mutants
from mutants import visualization as vis_mutants
from sklearn.decomposition import PCA
from torch import nn

from dlvision.data import normalize, to_rgb
from dlvision.gan import Generator, discriminator_loss, generator_loss
from dlvision.gan.conditional import ConditionalGenerator, label_maps, one_hot
from dlvision.grading import PARTS, QUESTIONS, check, get_part
from dlvision.grading.checks import PART_MODULES
from dlvision.grading.checks.gans import _reference_step
from dlvision.grading.decide import decide
from dlvision.grading.observe import (
    Opaque,
    ReferenceRefused,
    decode,
    encode,
    observe,
    public_name,
    refusing,
    to_data,
)
from dlvision.grading.question import (
    ERROR,
    FULL,
    MISTAKES,
    NOT_ANSWERED,
    PASSED,
    SCORES,
    WRONG,
)
from dlvision.grading.report import Report, format_report
from dlvision.models import parameters_per_layer
from dlvision.transfer import extract_features, preprocess, svm_accuracy, truncate
from dlvision.visualize import class_visualization_step, fooling_step, saliency_map

ROOT = Path(__file__).resolve().parents[1]
# What the solution notebooks import before the cells that define the answers.
PRELUDE = """\
import torch
import torch.nn.functional as F
from torch import nn

from dlvision.data import IMAGENET_MEAN, IMAGENET_STD
"""


def solution_answers() -> dict[str, object]:
    """Each question's answer as its solution notebook writes it: the cell that defines it, run
    after the notebook's imports."""
    answers = {}
    for part in PARTS.values():
        notebook = json.loads((ROOT / "solutions" / f"{part.id}.ipynb").read_text())
        sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
        # One namespace per notebook, the answers defined in order: a later answer may call
        # an earlier one (exercise 2's loop calls its own fooling step).
        namespace = {"__name__": "solution"}
        exec(PRELUDE, namespace)
        for q in part.questions:
            exec(next(s for s in sources if f"def {q.name}(" in s or f"class {q.name}(" in s),
                 namespace)
            answers[q.id] = namespace[q.name]
    return answers


SOLUTIONS = solution_answers()


def relu7_extractor(vgg):
    return truncate(vgg, "relu7").eval()


def extract_l2_features(extractor, dataset, batch_size=64):
    return extract_features(extractor, dataset, batch_size=batch_size, cache=False,
                            progress=False, num_workers=0)


def pca_features(X_train, X_test, n_components):
    pca = PCA(n_components).fit(X_train)
    return pca.transform(X_train), pca.transform(X_test)


def make_fooling_image(model, x, target, lr=1.0, max_iter=100):
    from dlvision.grading.checks.visualization import _fooling_path as fooling_path

    return fooling_path(model, x, target, lr=lr, max_iter=max_iter)[-1]


def regularized_step(model, x, target, *, dy, dx, blur_sigma=0.0, l2_reg=1e-3, lr=5.0):
    from dlvision.grading.checks.visualization import _regularized_step as reference

    return reference(model, x, target, dy=dy, dx=dx, blur_sigma=blur_sigma, l2_reg=l2_reg,
                     lr=lr)


def sampled_grid(G, z):
    """The package's sampler, which draws its own noise: refused to a labelled grid."""
    from dlvision.gan.runs import sample

    return sample(G, 10 * len(z), labels=torch.arange(10).repeat_interleave(len(z)))


# Each question's answer written with the package's own implementation, or with the check's own
# reference: refused, but for pca-features, whose reference is scikit-learn's.
REFERENCES = {"normalize": normalize, "gray-to-rgb": to_rgb,
              "parameters-per-layer": parameters_per_layer,
              "relu7-extractor": relu7_extractor, "preprocess-grey": preprocess,
              "l2-features": extract_l2_features, "svm-accuracy": svm_accuracy,
              "pca-features": pca_features, "saliency-map": saliency_map,
              "fooling-step": fooling_step, "fooling-image": make_fooling_image,
              "class-visualization-step": class_visualization_step,
              "regularized-step": regularized_step,
              "discriminator-loss": discriminator_loss, "generator-loss": generator_loss,
              "generator": Generator, "training-step": _reference_step,
              "one-hot": one_hot, "label-maps": label_maps,
              "conditional-generator": ConditionalGenerator, "labelled-grid": sampled_grid}


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_every_question_has_at_least_two_mutants(question):
    assert len(MUTANTS.get(question, [])) >= 2, (
        f"question {question!r} has {len(MUTANTS.get(question, []))} mutants; add at least two "
        "wrong answers it must catch to tests/mutants/")


def test_mutants_are_for_registered_questions():
    assert set(MUTANTS) <= set(QUESTIONS), set(MUTANTS) - set(QUESTIONS)
    assert set(ALTERNATIVES) <= set(QUESTIONS), set(ALTERNATIVES) - set(QUESTIONS)


@pytest.mark.parametrize(("question", "mutant"),
                         [(q, m) for q, ms in sorted(MUTANTS.items()) for m in ms],
                         ids=lambda v: getattr(v, "__name__", v))
def test_mutant_is_caught(question, mutant):
    verdict = check(question, mutant)
    assert not verdict.passed and verdict.points == 0, f"{mutant.__doc__} passed the check"
    assert verdict.status in (WRONG, ERROR)
    assert "on input:" in verdict.message  # the student is told which input went wrong


@pytest.mark.parametrize(("question", "answer"),
                         [(q, a) for q, ans in sorted(ALTERNATIVES.items()) for a in ans],
                         ids=lambda v: getattr(v, "__name__", v))
def test_right_answers_written_differently_pass(question, answer):
    verdict = check(question, answer)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("question", sorted(SOLUTIONS))
def test_solution_passes(question):
    # No time limit here: a busy machine must not fail a right answer. The checks stay fast
    # because their inputs are tiny (a few hundred milliseconds per question on a quiet CPU).
    verdict = check(question, SOLUTIONS[question])
    assert verdict.passed, verdict.message
    assert verdict.points == verdict.max_points == QUESTIONS[question].points


def test_every_question_has_a_solution_and_a_reference_here():
    assert set(SOLUTIONS) == set(REFERENCES) == set(QUESTIONS)


@pytest.mark.parametrize("question", sorted(REFERENCES))
def test_calling_the_package_s_reference_is_refused(question):
    verdict = check(question, REFERENCES[question])
    if not QUESTIONS[question].refuses:  # pca-features: the reference is scikit-learn's
        assert verdict.passed, verdict.message
        return
    assert verdict.status == ERROR and verdict.points == 0
    assert re.search(r"calls `(dlvision\.[\w.]+)`: write this yourself; `\1` is the "
                     r"package's own code, refused while your answer is checked\non input: ",
                     verdict.message), verdict.message


def _reached(reference, how: str):
    """An answer that calls ``reference`` (a function or a class of the package, or a check's
    own reference) found another way than by the name the notebook imported."""
    module, name = reference.__module__, reference.__name__

    def find():
        if how == "importlib":
            return getattr(importlib.import_module(module), name)
        if how == "getattr":
            return getattr(__import__(module, fromlist=[name]), name)
        return vars(sys.modules[module])[name]  # sys.modules

    def answer(*args, **kwargs):
        return find()(*args, **kwargs)

    return answer


# The questions whose answer may be the refused object itself, called with the same arguments.
REACHABLE = sorted(q for q, ref in REFERENCES.items() if ref in QUESTIONS[q].refuses)


@pytest.mark.parametrize("how", ["importlib", "getattr", "sys.modules"])
@pytest.mark.parametrize("question", REACHABLE)
def test_the_reference_is_refused_however_it_is_reached(question, how):
    verdict = check(question, _reached(REFERENCES[question], how))
    assert verdict.status == ERROR and verdict.points == 0, verdict.message
    assert "write this yourself" in verdict.message


def test_every_exercise_has_a_reference_reached_otherwise():
    parts = {part.id for part in PARTS.values() for q in part.questions if q.id in REACHABLE}
    assert parts == set(PARTS), set(PARTS) - parts


class InheritedGenerator(Generator):
    """The package's DCGAN generator inherited whole, with a forward of its own."""

    def forward(self, z):
        return self.main(z.view(len(z), -1, 1, 1))


class InheritedConditionalGenerator(ConditionalGenerator):
    """The package's cDCGAN generator inherited, its forward called through super()."""

    def forward(self, z, labels):
        return super().forward(z, labels)


class GeneratorFromConditionalBlocks(nn.Module):
    """The DCGAN generator assembled from the package's cDCGAN generator: its noise branch at
    twice the width is the first block, its body (last bias dropped) the rest."""

    def __init__(self, nz=100, ngf=32, nc=1):
        super().__init__()
        body = list(ConditionalGenerator(nz=nz, ngf=ngf, nc=nc).main)
        body[-2] = nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False)
        first = ConditionalGenerator(nz=nz, ngf=2 * ngf, nc=nc).z_branch
        self.main = nn.Sequential(*first, *body)

    def forward(self, z):
        return self.main(z.view(len(z), -1, 1, 1))


class ConditionalGeneratorFromBlocks(nn.Module):
    """The cDCGAN generator assembled from the package's DCGAN generator: its first block at
    half the width is each branch, its other blocks (last bias added) the body."""

    def __init__(self, nz=100, ngf=32, nc=1):
        super().__init__()
        self.z_branch = Generator(nz=nz, ngf=ngf // 2, nc=nc).main[:3]
        self.y_branch = Generator(nz=10, ngf=ngf // 2, nc=nc).main[:3]
        body = list(Generator(nz=nz, ngf=ngf, nc=nc).main[3:])
        body[-2] = nn.ConvTranspose2d(ngf, nc, 4, 2, 1)
        self.main = nn.Sequential(*body)

    def forward(self, z, y):
        y = y.view(len(y), 10, 1, 1)
        return self.main(torch.cat([self.z_branch(z), self.y_branch(y)], 1))


def training_step_by_the_check_s_reference(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    """The grader's own reference step, reached by its module path."""
    import dlvision.grading.checks.gans as checks

    return checks._reference_step(G, D, opt_G, opt_D, reals, noises_D, noises_G)


@pytest.mark.parametrize(("question", "answer"), [
    ("generator", InheritedGenerator),
    ("conditional-generator", InheritedConditionalGenerator),
    ("generator", GeneratorFromConditionalBlocks),
    ("conditional-generator", ConditionalGeneratorFromBlocks),
    ("training-step", training_step_by_the_check_s_reference),
])
def test_no_points_without_the_work(question, answer):
    verdict = check(question, answer)
    assert verdict.status == ERROR and verdict.points == 0, verdict.message
    assert "write this yourself" in verdict.message


def test_the_checks_own_references_are_private_and_refused():
    refused = {f for q in QUESTIONS.values() for f in q.refuses}
    own = {f for f in refused if f.__module__.startswith("dlvision.grading.checks")}
    assert {f.__name__ for f in own} == {"_reference_step", "_fooling_path",
                                         "_regularized_step", "_reference_grid"}
    for part in PARTS.values():
        module = importlib.import_module(f"dlvision.grading.checks.{PART_MODULES[part.id]}")
        exported = {getattr(module, name) for name in getattr(module, "__all__", ())}
        assert not exported & refused, (part.id, exported & refused)


def _code_of(item) -> object:
    if isinstance(item, type):
        return dict(vars(item))
    return getattr(item, "__wrapped__", item).__code__


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_refused_functions_raise_inside_the_block_only(question):
    functions = QUESTIONS[question].refuses
    codes = [_code_of(f) for f in functions]
    with refusing(functions):
        for function in functions:
            with pytest.raises(ReferenceRefused, match=r"write this yourself; `dlvision\."):
                function(None)
    assert [_code_of(f) for f in functions] == codes


def test_a_refused_class_is_refused_whole_and_given_back():
    with refusing([Generator]):
        with pytest.raises(ReferenceRefused, match="dlvision.gan.Generator"):
            Generator()
        with pytest.raises(ReferenceRefused):
            InheritedGenerator()  # its inherited __init__
    G = InheritedGenerator(nz=4, ngf=2, nc=1)  # after the block, as before
    assert G(torch.randn(2, 4)).shape == (2, 1, 32, 32)


def test_refusal_is_undone_when_the_answer_raises():
    with pytest.raises(ReferenceRefused), refusing([normalize]):
        normalize(torch.zeros(3, 1, 1))
    assert torch.equal(normalize(torch.zeros(3, 1, 1)),
                       -torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1) / torch.tensor(
                           [0.229, 0.224, 0.225]).view(3, 1, 1))


def test_refused_functions_are_named_by_their_public_path():
    assert public_name(normalize) == "dlvision.data.normalize"
    assert public_name(truncate) == "dlvision.models.truncate"
    assert public_name(extract_features) == "dlvision.transfer.extract_features"
    assert public_name(parameters_per_layer) == "dlvision.models.parameters_per_layer"


def not_answered(*args, **kwargs):
    raise NotImplementedError()


def raises(*args, **kwargs):
    raise ValueError("bad input")


def exits(*args, **kwargs):
    raise SystemExit(3)


def returns_none(*args, **kwargs):
    return None


def returns_numpy(*args, **kwargs):
    return np.zeros((2, 3))


def returns_nan(*args, **kwargs):
    x = args[0] if args else None  # a class question passes keywords only
    if isinstance(x, torch.Tensor):  # float NaNs, whatever the input's dtype (labels: int64)
        return torch.full(x.shape, float("nan"))
    return {"0": float("nan")}


@pytest.mark.parametrize("question", sorted(QUESTIONS))
@pytest.mark.parametrize("answer", [returns_none, returns_numpy, returns_nan],
                         ids=lambda f: f.__name__)
def test_wrong_kinds_of_result_are_wrong_answers(question, answer):
    verdict = check(question, answer)
    assert verdict.status == WRONG and verdict.points == 0


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_not_implemented_is_not_answered_yet(question):
    verdict = check(question, not_answered)
    assert verdict.status == NOT_ANSWERED and verdict.points == 0
    assert "not answered yet" in verdict.message


@pytest.mark.parametrize("answer", [raises, exits], ids=lambda f: f.__name__)
def test_an_exception_is_reported_not_raised(answer):
    verdict = check("normalize", answer)
    assert verdict.status == ERROR and verdict.points == 0
    assert "on input: a batch of 2 random images" in verdict.message
    assert ("ValueError: bad input" if answer is raises else "SystemExit: 3") in verdict.message


def test_passing_the_result_instead_of_the_function_is_explained():
    verdict = check("normalize", torch.zeros(1, 3, 2, 2))
    assert verdict.status == ERROR
    assert "expected the function `imagenet_normalize` itself" in verdict.message


def test_unknown_question_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown question 'normalise'.*normalize"):
        check("normalise", SOLUTIONS["normalize"])


def test_check_prints_the_verdict_and_returns_it(capsys):
    verdict = check("gray-to-rgb", SOLUTIONS["gray-to-rgb"])
    assert capsys.readouterr().out == "✔ gray-to-rgb: passed (1/1 points)\n"
    assert (verdict.passed, verdict.points, verdict.max_points) == (True, 1, 1)

    wrong = MUTANTS["gray-to-rgb"][0]
    verdict = check("gray-to-rgb", wrong)
    out = capsys.readouterr().out
    assert out.startswith("✘ gray-to-rgb: wrong (0/1 points)\n")
    assert "on input:" in out and "expected shape" in out and "hint:" in out
    assert out == f"{verdict}\n"


def test_check_leaves_the_random_state_alone():
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    check("parameters-per-layer", SOLUTIONS["parameters-per-layer"])  # builds models: draws
    check("normalize", lambda x: torch.rand_like(x))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_observations_travel_as_json_unchanged():
    value = {"t": torch.arange(6, dtype=torch.float32).reshape(2, 3), "u": torch.tensor([1, 2],
             dtype=torch.uint8), 3: (1.5, None, "s", [True]), "nan": float("nan"),
             "opaque": np.zeros(2)}
    data = to_data(value)
    back = decode(encode({"cases": [{"output": data}]}))["cases"][0]["output"]
    assert set(back) == {"t", "u", 3, "nan", "opaque"}
    assert torch.equal(back["t"], value["t"]) and back["t"].dtype == torch.float32
    assert back["u"].dtype == torch.uint8
    assert back[3] == (1.5, None, "s", [True])
    assert np.isnan(back["nan"])
    assert back["opaque"] == Opaque("numpy.ndarray")


def test_decoding_builds_only_plain_data():
    forged = json.dumps({"__tensor__": {"dtype": "object", "shape": [1], "values": [0]}})
    with pytest.raises(KeyError):
        decode(forged.encode())
    assert decode(b'{"__reduce__": "os.system"}') == {"__reduce__": "os.system"}


def test_observe_records_an_input_changed_in_place():
    question = QUESTIONS["normalize"]
    cases = observe(question, lambda x: x.mul_(2))["cases"]
    assert cases[0]["modified_input"] is True
    cases = observe(question, SOLUTIONS["normalize"])["cases"]
    assert not any(case["modified_input"] for case in cases)


def test_registry_matches_the_solution_notebooks():
    stems = {p.stem for p in (ROOT / "solutions").glob("*.ipynb")}
    assert stems == set(PARTS), "every solutions/<part>.ipynb needs a checks module, and back"
    for part in PARTS.values():
        notebook = json.loads((ROOT / "solutions" / f"{part.id}.ipynb").read_text())
        assert notebook["metadata"]["dlvision"]["part"] == part.id
        sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
        for q in part.questions:
            defining = [i for i, s in enumerate(sources)
                        if f"def {q.name}(" in s or f"class {q.name}" in s]
            assert defining, f"{part.id} does not define {q.name}"
            # Instant feedback: the cell after the definition checks it.
            assert f'check("{q.id}", {q.name})' in sources[defining[0] + 1]


def test_question_index_matches_the_checks_modules():
    from dlvision.grading.checks import PART_QUESTIONS

    assert {part_id: tuple(q.id for q in part.questions) for part_id, part in PARTS.items()} \
        == dict(PART_QUESTIONS)


def test_a_part_s_checks_are_imported_only_when_needed():
    """Checking a question of exercise 0 imports neither Part 1's checks nor transfer."""
    code = ("import sys\n"
            "from dlvision.grading import check, get_question\n"
            "get_question('normalize')\n"
            "print(sorted(m for m in sys.modules if m.startswith('dlvision.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "dlvision.grading.checks.getting_started" in out
    assert "dlvision.grading.checks.transfer_learning" not in out
    assert "dlvision.transfer" not in out


def test_unknown_part_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown exercise '9-nope'.*0-getting-started"):
        get_part("9-nope")


def test_results_add_up():
    for part in PARTS.values():
        assert part.max_points == sum(q.points for q in part.questions) > 0
    assert sum(p.max_points for p in PARTS.values()) == sum(q.points for q in QUESTIONS.values())
    verdict = check("normalize", SOLUTIONS["normalize"])
    assert verdict.to_dict() == {"id": "normalize", "status": PASSED, "passed": True,
                                 "points": 2, "max_points": 2, "feedback": ""}


def test_reference_counts_vgg16_layer_by_layer():
    """The reference against figures computed by hand from VGG16's architecture."""
    import torchvision

    with torch.device("meta"):  # shapes without memory: the counts do not need the weights
        vgg = torchvision.models.vgg16()
    counts = parameters_per_layer(vgg)
    assert counts["features.0"] == 3 * 64 * 3 * 3 + 64
    assert counts["classifier.0"] == 512 * 7 * 7 * 4096 + 4096  # fc6: 102,764,544
    assert counts["classifier.6"] == 4096 * 1000 + 1000
    assert len(counts) == 13 + 3
    assert sum(counts.values()) == 138_357_544
    assert list(counts)[:2] == ["features.0", "features.2"]  # in the network's order


@pytest.mark.parametrize(("question", "mutant", "says"), [
    ("normalize", gs_mutants.statistics_in_float32,
     "float16 in [0, 1]\nexpected dtype torch.float16, got torch.float32"),
    ("parameters-per-layer", gs_mutants.leaf_modules_only,
     "`block` has children and also parameters of its own (scale: 4 values)"),
    ("l2-features", tl_mutants.unguarded_division,
     "row 1 of your X is NaN: image 1's features are all zero"),
    ("svm-accuracy", tl_mutants.fitted_on_test_set,
     "that is the accuracy of an SVM fitted on the test set"),
    ("svm-accuracy", tl_mutants.trained_on_train_and_test,
     "that is the accuracy of an SVM fitted on the test set (alone or with the training set)"),
    ("svm-accuracy", tl_mutants.training_accuracy, "that is the accuracy on the training set"),
    ("svm-accuracy", tl_mutants.train_and_test_swapped,
     "fitted on the test set and scored on the training set"),
], ids=lambda v: getattr(v, "__name__", None))
def test_feedback_names_the_mistake(question, mutant, says):
    verdict = check(question, mutant)
    assert verdict.points == 0 and says in verdict.message, verdict.message


@pytest.mark.parametrize(("question", "guard"), [
    ("normalize", "dtype=images.dtype"),
    ("parameters-per-layer", "do not keep the leaves only"),
    ("l2-features", ".clamp_min(1e-12), so that a row of zeros stays zero"),
])
def test_hints_name_the_guard(question, guard):
    hint = QUESTIONS[question].hint
    assert guard in hint
    # No norm without its guard: dividing by a bare norm turns a row of zeros into NaN.
    assert not re.search(r"norm\(dim=1, keepdim=True\)(?!\.clamp_min)", hint)


def test_answers_built_from_torchvision_and_sklearn_pieces_pass():
    """Refusing the package's references leaves torch, torchvision and scikit-learn alone."""
    for question, answer in [("normalize", gs_mutants.normalize_with_torchvision),
                             ("preprocess-grey", tl_mutants.preprocess_with_transforms),
                             ("l2-features", tl_mutants.features_with_sklearn),
                             ("pca-features", pca_features)]:
        assert check(question, answer).passed, question


# --- one mistake costs once: an answer built on another is checked with the course's ----------


def _names_used(answer) -> set[str]:
    """The global names an answer's code reads: its functions', nested ones' and, for a
    class, its methods'."""
    functions = [v for v in vars(answer).values() if callable(v)] \
        if isinstance(answer, type) else [answer]
    names: set[str] = set()
    codes = [f.__code__ for f in functions if hasattr(f, "__code__")]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, type(code))]
    return names


def _question_named(name: str):
    [question] = [q for q in QUESTIONS.values() if q.name == name]
    return question


@pytest.mark.parametrize("part", sorted(PARTS))
def test_every_answer_built_on_another_declares_it(part):
    """Each solution that calls another answer of its exercise by name declares it in
    ``Question.uses``, with a course version the question does not refuse."""
    questions = PARTS[part].questions
    answers = {q.name for q in questions}
    for q in questions:
        called = _names_used(SOLUTIONS[q.id]) & (answers - {q.name})
        assert called == set(q.uses), (q.id, called, set(q.uses))
        assert not {id(f) for f in q.uses.values()} & {id(f) for f in q.refuses}, q.id


# (question, the answer it calls, a wrong version of that answer): every mutant of the answer
# called, in place of the solution's, in the namespace of the solution built on it.
CHAINED = [(q.id, name, mutant) for q in sorted(QUESTIONS.values(), key=lambda q: q.id)
           for name in sorted(q.uses) for mutant in MUTANTS[_question_named(name).id]]


@pytest.mark.parametrize(("question", "name", "mutant"), CHAINED,
                         ids=lambda v: getattr(v, "__name__", v))
def test_a_wrong_answer_costs_only_its_own_points(question, name, mutant, monkeypatch):
    answer = SOLUTIONS[question]
    monkeypatch.setitem(answer.__globals__, name, mutant)
    verdict = check(question, answer)
    assert verdict.passed and verdict.points == verdict.max_points, verdict.message
    upstream = _question_named(name).id
    assert name in verdict.substituted
    assert f"your `{name}` " in verdict.message, verdict.message
    assert f"(question {upstream}): fix it first" in verdict.message, verdict.message
    assert answer.__globals__[name] is mutant  # the notebook's own is put back


# The held-out wrong losses of issue 22, each of which cost the training step its 3 points.
HELD_OUT_LOSSES = [("discriminator_loss", gans_mutants.d_loss_swapped_labels),
                   ("discriminator_loss", gans_mutants.d_loss_summed),
                   ("generator_loss", gans_mutants.g_loss_flag_reversed),
                   ("generator_loss", gans_mutants.g_loss_maximized)]
# A wrong answer that changes what the solution built on it does, for each chain.
CHAIN_BREAKERS = [("training-step", *pair) for pair in HELD_OUT_LOSSES] + [
    ("fooling-image", "fooling_step", vis_mutants.fooling_step_not_normalized),
    ("regularized-step", "class_visualization_step", vis_mutants.class_step_without_penalty),
    ("labelled-grid", "one_hot", cg_mutants.one_hot_reversed)]


@pytest.mark.parametrize(("question", "name", "mutant"), CHAIN_BREAKERS,
                         ids=lambda v: getattr(v, "__name__", v))
def test_without_the_course_s_version_the_wrong_answer_would_cost_twice(question, name, mutant,
                                                                         monkeypatch):
    """The control of the test above: the mutants do break the answer built on them."""
    monkeypatch.setitem(SOLUTIONS[question].__globals__, name, mutant)
    unchained = dataclasses.replace(QUESTIONS[question], uses={})
    verdict = decide(unchained, observe(unchained, SOLUTIONS[question]))
    assert not verdict.passed, f"{mutant.__name__} does not change {question}"
    verdict = check(question, SOLUTIONS[question])
    assert verdict.passed, verdict.message
    # Its feedback does not send the student to the answer that has no mistake.
    assert "values are wrong" not in verdict.message and "hint:" not in verdict.message


WRONG_STEP = '''
def training_step(G, D, opt_G, opt_D, reals, noises_D, noises_G):
    for real, z in zip(reals, noises_D, strict=True):
        loss_D = discriminator_loss(D(real), D(G(z).detach()))
        loss_D.backward()
        opt_D.step()
    for z in noises_G:
        loss_G = generator_loss(D(G(z)))
        loss_G.backward()
        opt_G.step()
    return loss_D.item(), loss_G.item()
'''


def test_two_wrong_answers_each_named_and_the_one_called_to_fix_first():
    namespace = {"discriminator_loss": gans_mutants.d_loss_swapped_labels,
                 "generator_loss": SOLUTIONS["generator-loss"]}
    exec(WRONG_STEP, namespace)  # a step that never resets the gradients, on a wrong loss
    verdict = check("training-step", namespace["training_step"])
    assert verdict.status == WRONG and verdict.points == 0
    assert "the gradients were never reset" in verdict.message, verdict.message
    assert ("your `discriminator_loss` is wrong (question discriminator-loss): fix it first; "
            "`training-step` was checked with the course's `discriminator_loss` in place of "
            "yours, so the mistake above is in this answer itself") in verdict.message
    assert "generator_loss` is" not in verdict.message  # the student's own is right


# --- feedback levels ----------------------------------------------------------------------------

# What shows the code of a fix: a method call (`x.pow(2)`, `opt_D.zero_grad()`), an optimizer,
# an index. Mathematical notation (log D(x), ‖g‖), a type (torch.float16, nn.Module), a layer
# named as expected (ConvTranspose2d(...)) are not, nor are the lines that describe the input
# or quote the error the answer raised.
CODE = re.compile(r"\w\.\w+\(|\bopt_\w|\w\[:, ")


def _code_shown(text: str) -> list[str]:
    """The lines of ``text`` that show the code of a fix."""
    return [line for line in text.splitlines() if CODE.search(line)
            and not line.startswith("on input:") and " raised " not in line]


@pytest.mark.parametrize(("question", "mutant"),
                         [(q, m) for q, ms in sorted(MUTANTS.items()) for m in ms],
                         ids=lambda v: getattr(v, "__name__", v))
def test_the_mistake_is_named_without_the_hint_or_code(question, mutant):
    verdict = check(question, mutant)
    mistake = verdict.feedback(MISTAKES)
    assert verdict.feedback(FULL) == verdict.message
    assert verdict.feedback(SCORES) == ""
    assert mistake and "on input:" in mistake
    assert QUESTIONS[question].hint not in mistake and "hint:" not in mistake
    assert not _code_shown(mistake), f"code in the mistake of {mutant.__name__}: {mistake}"


def test_a_mistake_keeps_its_diagnosis_and_the_full_feedback_its_fix():
    verdict = check("training-step", gans_mutants.step_without_zero_grad)
    assert "the gradients were never reset" in verdict.feedback(MISTAKES)
    assert "zero_grad" not in verdict.feedback(MISTAKES)
    assert "the gradients were never reset: .backward() adds to .grad, so call " \
        "opt_D.zero_grad()" in verdict.feedback(FULL)
    assert f"hint: {QUESTIONS['training-step'].hint}" in verdict.feedback(FULL)


def test_the_report_shows_the_level_it_is_given():
    results = [check("training-step", gans_mutants.step_without_zero_grad),
               check("discriminator-loss", SOLUTIONS["discriminator-loss"])]
    texts = {}
    for level in (FULL, MISTAKES, SCORES):
        report = Report(notebook="n.ipynb", part="3-gans", results=results, feedback=level)
        data = report.to_dict()
        assert data["feedback_level"] == level
        assert data["questions"][0]["feedback"] == results[0].feedback(level)
        texts[level] = format_report(report)
    assert "opt_D.zero_grad()" in texts[FULL] and "hint:" in texts[FULL]
    assert "the gradients were never reset" in texts[MISTAKES]
    assert "zero_grad" not in texts[MISTAKES] and "hint:" not in texts[MISTAKES]
    assert "Feedback:" not in texts[SCORES] and "never reset" not in texts[SCORES]
    assert "0/3" in texts[SCORES]
    with pytest.raises(ValueError, match="choose one of full, mistakes, scores"):
        Report(notebook="n.ipynb", part="3-gans", results=results, feedback="hints")


# --- a declared question: cases, reference, tolerance and named mistakes -----------------------


def _declared(**fields):
    from dlvision.grading.question import Case, Question

    cases = [Case("x = [1, 2, 3]", (torch.tensor([1.0, 2.0, 3.0]),))]
    return Question(id="double", name="double", points=1, title="2x", hint="return 2 * x",
                    cases=lambda: cases, **fields)


def test_a_declared_question_compares_with_its_reference_and_names_the_mistake():
    from dlvision.grading.question import Feedback

    question = _declared(reference=lambda x: 2 * x, tolerance=0.1, mistakes=(
        (Feedback("you tripled x", "2 * x"), lambda x: 3 * x),
        ("you squared x", lambda x: x * x),
    ))
    (case,) = question.cases()
    assert question.decide(case, torch.tensor([2.05, 4.0, 6.0])) is None  # within tolerance
    problem = question.decide(case, torch.tensor([3.0, 6.0, 9.0]))
    assert isinstance(problem, Feedback) and problem.fix == "2 * x"
    assert problem.mistake.startswith("3 of 3 values are wrong")
    assert problem.mistake.endswith("\nyou tripled x")
    assert question.decide(case, torch.tensor([1.0, 4.0, 9.0])).endswith("\nyou squared x")
    assert question.decide(case, torch.zeros(3)).startswith("3 of 3 values are wrong")
    assert "\n" not in question.decide(case, torch.zeros(3))  # no mistake matches: none named


def test_a_declared_question_may_say_what_to_do_when_no_mistake_matches():
    question = _declared(reference=lambda x: 2 * x, mistakes=(("row by row", None),),
                         compare_with=lambda want, got: None if torch.equal(want, got) else "no")
    (case,) = question.cases()
    assert question.decide(case, torch.zeros(3)) == "no\nrow by row"
    assert question.decide(case, torch.tensor([2.0, 4.0, 6.0])) is None


def test_a_declared_question_names_a_symptom_of_what_came_back():
    from dlvision.grading.question import Feedback, symptom

    question = _declared(reference=lambda x: 2 * x, mistakes=(
        symptom("your values are all negative", lambda want, got, x: bool((got < 0).all())),
        lambda want, got, x: Feedback(f"off by {float((got - want).mean()):g}", "2 * x")
        if bool((got - want == (got - want)[0]).all()) else None,
    ))
    (case,) = question.cases()
    assert question.decide(case, -torch.ones(3)).endswith("\nyour values are all negative")
    shifted = question.decide(case, torch.tensor([3.0, 5.0, 7.0]))
    assert shifted.mistake.endswith("\noff by 1") and shifted.fix == "2 * x"
    assert "\n" not in question.decide(case, torch.tensor([0.0, 4.0, 7.0]))  # neither shows
    assert question.decide(case, torch.tensor([2.0, 4.0, 6.0])) is None


def test_a_question_has_a_reference_or_a_compare():
    with pytest.raises(ValueError, match="either reference or compare"):
        _declared()
    with pytest.raises(ValueError, match="either reference or compare"):
        _declared(reference=lambda x: x, compare=lambda case, got: None)


def test_keywords_leaves_the_answer_s_defaults_when_a_case_gives_none():
    from dlvision.grading.question import Case, keywords

    def answer(x, *, lr=1.0, steps=3):
        return x, lr, steps

    apply = keywords("lr", "steps")
    assert apply(answer, Case("", (0, None, None))) == (0, 1.0, 3)
    assert apply(answer, Case("", (0, 0.5, None))) == (0, 0.5, 3)
    assert apply(answer, Case("", (0, None, 7))) == (0, 1.0, 7)

"""Worksheets as STACK questions: Moodle XML that Moodle's STACK question type imports, marked
by the computer algebra system Maxima.

One category per variant, as in ``quiz.xml``.  Each question has the structure of STACK's own
sample questions: question variables, a question text with ``[[input:…]]`` and
``[[validation:…]]``, inputs with the teacher's answer, and a potential response tree (PRT)
per answer, with question tests (``qtest``) that STACK runs to confirm the tree.

* **derive**: an *algebraic* input whose teacher's answer is the tutor's derivative written in
  Maxima (:mod:`tutor.renderers.maxima`).  The tree's first node tests algebraic equivalence
  (``AlgEquiv``) with it; each following node tests equivalence with one common mistake of
  the problem (:mod:`tutor.assessment.slips`: a sign, a constant factor, a chain-rule factor
  left out, a term missing) and says what ``tutor grade`` says about that answer.  When the
  lesson assumes an equation (Σ yᵢ = 1) the answer is compared after substituting it.
* **evaluate**, **gd_step**, **backward**: a *numerical* input per number, with a tree that
  tests ``NumAbsolute`` with the key's tolerance, and a node for the number with its sign
  flipped (where that is wrong).
* **mistake**: a numerical input for the number of the wrong step.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tutor.assessment.problems import punctuation
from tutor.assessment.worksheet import Worksheets
from tutor.errors import TutorError
from tutor.i18n import N_, _
from tutor.renderers.assessment.moodle import _float, question_parts, segments_html
from tutor.renderers.assessment.sheet import Math
from tutor.renderers.maxima import maxima

#: the penalty for each further try, as in STACK's sample questions
PENALTY = "0.1000000"
TYPING = N_("Type your answer in the variables {variables} only, with * for products and ^ for "
            "powers; the functions are exp, log, sqrt, tanh …, and σ(u) is written sigma(u) or "
            "1/(1 + exp(-u)).")
STEP_TYPING = N_("Write a step [u > 0] (the derivative of ReLU) as charfun(u > 0).")
#: σ written out for a student who types sigma(u) (as the sentence above says)
SIGMA = "sigma = lambda([u], 1/(1 + exp(-u)))"


def _sub(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    e = ET.SubElement(parent, tag, {k: v for k, v in attrs.items()})
    if text is not None:
        e.text = text
    return e


def _texted(parent, tag: str, text: str = "", fmt: str | None = "html") -> ET.Element:
    e = _sub(parent, tag, **({"format": fmt} if fmt else {}))
    _sub(e, "text", text)
    return e


def _tolerance(tol: float) -> str:
    """The key's tolerance to six digits, as a plain decimal."""
    return _float(float(f"{tol:.6g}"))


def _fixed(value) -> str:
    return f"{float(value):.7f}"


class _Tree:
    """One potential response tree: nodes appended in order, each false branch leading to the
    next node."""

    def __init__(self, name: str, sans: str, feedbackvariables: str = ""):
        self.name, self.sans, self.feedbackvariables = name, sans, feedbackvariables
        self.nodes: list[tuple] = []

    def node(self, test: str, tans: str, options: str, score: int, feedback: str = "") -> str:
        """Append a node; returns its answer note when true."""
        self.nodes.append((test, tans, options, score, feedback))
        return f"{self.name}-{len(self.nodes) - 1}-T"

    def xml(self, question: ET.Element, value: float = 1.0) -> None:
        prt = _sub(question, "prt")
        _sub(prt, "name", self.name)
        _sub(prt, "value", _fixed(value))
        _sub(prt, "autosimplify", "1")
        _sub(prt, "feedbackstyle", "1")
        _texted(prt, "feedbackvariables", self.feedbackvariables, fmt=None)
        last = len(self.nodes) - 1
        for k, (test, tans, options, score, feedback) in enumerate(self.nodes):
            node = _sub(prt, "node")
            _sub(node, "name", str(k))
            _sub(node, "description", "")
            _sub(node, "answertest", test)
            _sub(node, "sans", self.sans)
            _sub(node, "tans", tans)
            _sub(node, "testoptions", options)
            _sub(node, "quiet", "0")
            for branch, branch_score, nxt, text in (
                    ("true", score, -1, feedback), ("false", 0, k + 1 if k < last else -1, "")):
                _sub(node, f"{branch}scoremode", "=")
                _sub(node, f"{branch}score", _fixed(branch_score))
                _sub(node, f"{branch}penalty", "")
                _sub(node, f"{branch}nextnode", str(nxt))
                _sub(node, f"{branch}answernote", f"{self.name}-{k}-{branch[0].upper()}")
                _texted(node, f"{branch}feedback", text)


def _input(question, name: str, kind: str, tans: str, boxsize: int) -> None:
    inp = _sub(question, "input")
    for tag, text in (("name", name), ("type", kind), ("tans", tans), ("boxsize", str(boxsize)),
                      ("strictsyntax", "1"), ("insertstars", "0"), ("syntaxhint", ""),
                      ("syntaxattribute", "0"), ("forbidwords", "diff,int"),
                      ("allowwords", ""), ("forbidfloat", "1" if kind == "algebraic" else "0"),
                      ("requirelowestterms", "0"), ("checkanswertype", "0"),
                      ("mustverify", "1"), ("showvalidation", "1"), ("options", "")):
        _sub(inp, tag, text)


def _qtest(question, case: int, inputs: dict, expected: list[tuple[str, int, str]]) -> None:
    """A question test: these inputs give each tree this score and answer note."""
    t = _sub(question, "qtest")
    _sub(t, "testcase", str(case))
    _sub(t, "description", "")
    for name, value in inputs.items():
        ti = _sub(t, "testinput")
        _sub(ti, "name", name)
        _sub(ti, "value", value)
    for prt, score, note in expected:
        e = _sub(t, "expected")
        _sub(e, "name", prt)
        _sub(e, "expectedscore", _fixed(score))
        _sub(e, "expectedpenalty", _fixed(0 if score == 1 else float(PENALTY)))
        _sub(e, "expectedanswernote", note)


def _header(question, ids: tuple[str, str], text: str, feedback: str, variables: str,
            specific: str, note: str) -> None:
    name, idnumber = ids
    _sub(_sub(question, "name"), "text", name)
    _texted(question, "questiontext", text)
    _texted(question, "generalfeedback", feedback)
    _sub(question, "defaultgrade", "1")
    _sub(question, "penalty", PENALTY)
    _sub(question, "hidden", "0")
    _sub(question, "idnumber", idnumber)
    _sub(_sub(question, "stackversion"), "text", "")
    _texted(question, "questionvariables", variables, fmt=None)
    _texted(question, "specificfeedback", specific)
    _texted(question, "questionnote", note, fmt="moodle_auto_format")
    _texted(question, "questiondescription", "", fmt="moodle_auto_format")
    for tag, text in (("questionsimplify", "1"), ("assumepositive", "0"), ("assumereal", "0")):
        _sub(question, tag, text)
    _texted(question, "prtcorrect", _("Correct."))
    _texted(question, "prtpartiallycorrect", _("Partly correct."))
    _texted(question, "prtincorrect", _("Incorrect."))
    for tag, text in (("decimals", "."), ("scientificnotation", "*10"),
                      ("multiplicationsign", "dot"), ("sqrtsign", "1"), ("complexno", "i"),
                      ("inversetrig", "cos-1"), ("logicsymbol", "lang"), ("matrixparens", "[")):
        _sub(question, tag, text)
    _sub(question, "variantsselectionseed", "")


def _fresh(base: str, taken: set[str]) -> str:
    """A question variable's name that no variable of the problem has."""
    name = base
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _derive(question, p, ids, statement, feedback) -> None:
    cm = p.common_mistakes
    if cm is None:
        raise TutorError(_("a STACK export needs the common mistakes of each derive problem "
                           "(make the worksheets with common_mistakes=True)"))
    taken = {s.name for s in p.variables} | {s.name for s in cm.function.free_symbols}
    f, ta, sa = _fresh("f", taken), _fresh("ta", taken), _fresh("sa", taken)
    slips = [_fresh(f"slip{k}", taken) for k in range(1, len(cm.slips) + 1)]
    lines = [f"{f}: {maxima(cm.function)};", f"{ta}: {maxima(cm.answer)};"]
    lines += [f"{name}: {maxima(s.answer)};" for name, s in zip(slips, cm.slips)]
    variables = punctuation(", ").join(sorted(s.name for s in cm.function.free_symbols))
    typing = _(TYPING).format(variables=variables)
    if "charfun" in maxima(cm.answer):
        typing += " " + _(STEP_TYPING)
    text = statement + f"<p>{typing}</p><p>[[input:ans1]] [[validation:ans1]]</p>"
    wrt = p.wrt[0].name
    _header(question, ids, text, feedback, "\n".join(lines), "<p>[[feedback:prt1]]</p>",
            f"\\[ \\frac{{\\partial {p.function_latex}}}{{\\partial {wrt}}} = {{@{ta}@}} \\]")
    _input(question, "ans1", "algebraic", ta, 40)
    # the student's answer as the nodes compare it: σ written out, each assumption substituted
    rewrites = [SIGMA] if "sigma" not in taken else []
    rewrites += [f"{s.name} = {maxima(v)}" for s, v in cm.under]
    tree = _Tree("prt1", sa, f"{sa}: subst([{', '.join(rewrites)}], ans1);" if rewrites
                 else f"{sa}: ans1;")
    right = tree.node("AlgEquiv", ta, "", 1)
    notes = []
    for name, s in zip(slips, cm.slips):
        sentence = s.diagnosis.describe(lambda e: segments_html([Math(e)], p.names))
        notes.append((name, tree.node("AlgEquiv", name, "", 0, f"<p>{sentence}</p>")))
    tree.xml(question)
    _qtest(question, 1, {"ans1": ta}, [("prt1", 1, right)])
    for case, (name, note) in enumerate(notes, start=2):
        _qtest(question, case, {"ans1": name}, [("prt1", 0, note)])


def _numbers(question, p, ids, statement, feedback) -> None:
    if p.answer_type == "step":
        wanted = [(None, p.wrong_step, 0)]
    else:
        wanted = [(n.label, n.value, n.tolerance) for n in p.numbers]
    fields, trees, variables = [], [], []
    for k, (label, value, tol) in enumerate(wanted, start=1):
        shown = segments_html([Math(label)], p.names) + " = " if label is not None else ""
        fields.append(f"<p>{shown}[[input:ans{k}]] [[validation:ans{k}]]</p>")
        # a step's number is a whole number, compared as one (not as the float 3.0)
        shown_value = str(int(value)) if p.answer_type == "step" else _float(value)
        variables.append(f"ta{k}: {shown_value};")
        tree = _Tree(f"prt{k}", f"ans{k}")
        if p.answer_type == "step":
            tree.node("AlgEquiv", f"ta{k}", "", 1)
        else:
            tree.node("NumAbsolute", f"ta{k}", _tolerance(tol), 1)
            if 2 * abs(float(value)) > tol:  # else −value is right too
                tree.node("NumAbsolute", f"-ta{k}", _tolerance(tol), 0,
                          f"<p>{_('the sign is wrong')}</p>")
        trees.append(tree)
    specific = "".join(f"<p>[[feedback:{t.name}]]</p>" for t in trees)
    _header(question, ids, statement + "".join(fields), feedback, "\n".join(variables),
            specific, " ".join(f"{{@ta{k}@}}" for k in range(1, len(wanted) + 1)))
    for k in range(1, len(wanted) + 1):
        _input(question, f"ans{k}", "numerical", f"ta{k}", 10)
    for t in trees:
        t.xml(question, 1.0 / len(trees))
    _qtest(question, 1, {f"ans{k}": f"ta{k}" for k in range(1, len(wanted) + 1)},
           [(t.name, 1, f"{t.name}-0-T") for t in trees])
    if any(len(t.nodes) > 1 for t in trees):
        # every number with its sign flipped: the sign node where there is one (a number
        # within half the tolerance of 0 has none, and is still right)
        _qtest(question, 2, {f"ans{k}": f"-ta{k}" for k in range(1, len(wanted) + 1)},
               [(t.name, 0, f"{t.name}-1-T") if len(t.nodes) > 1 else (t.name, 1, f"{t.name}-0-T")
                for t in trees])


def stack_xml(ws: Worksheets) -> str:
    """Every problem of every sheet as a STACK question, in Moodle XML."""
    quiz = ET.Element("quiz")
    for sheet in ws.sheets:
        category = _sub(quiz, "question", type="category")
        _sub(_sub(category, "category"), "text",
             f"$course$/tutor worksheets/seed {ws.seed}/{sheet.id}")
        for p, title, statement, feedback in question_parts(sheet):
            if p.answer_type == "matrix":  # Maxima reads no NumPy notation: not a STACK question
                continue
            question = _sub(quiz, "question", type="stack")
            ids = (f"{sheet.id} · {p.number}. {title}", f"{sheet.id}-{p.number}")
            make = _derive if p.answer_type == "expression" else _numbers
            make(question, p, ids, statement, feedback)
    ET.indent(quiz, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"

"""Explanations as a complete LaTeX document (compiles with pdflatex)."""

from __future__ import annotations

import re


from tutor.calculus.table import FUNCTIONS
from tutor.explaining.explanation import Explanation
from tutor.i18n import N_, _
from tutor.calculus.steps import Derivation, Step
from tutor.renderers.notation import (RULE_NAMES, _wide, chain_latex, latex, paragraph, text,
                                      visible_steps)
from tutor.renderers.numbers import numeric_rows


def step_latex(step: Step, names=None) -> str:
    names = names or {}
    if step.is_rewrite:
        return "= " + latex(step.after, names)
    return _derivative(step, names) + " = " + latex(step.after, names)


def _derivative(step: Step, names) -> str:
    return rf"\frac{{d}}{{d{latex(step.wrt)}}}\left({latex(step.before, names)}\right)"


def _escape(s: str) -> str:
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
             "<": "$<$", ">": "$>$", "|": r"$\vert$"}
    return "".join(table.get(ch, ch) for ch in s)


#: a step whose derivative and result are longer than this (in characters of the terminal's
#: one-line form) is set on two lines, so that the page is wide enough for it
LONG = 70


def derivation_latex(d: Derivation, names=None) -> str:
    names = names or {}
    rows = []
    # numbered as the terminal and Markdown number them, so a hint's "step 6" is this line
    for k, (depth, step) in enumerate(visible_steps(d), start=1):
        rule = (RULE_LATEX.get(step.rule)
                or rf"\text{{{_escape(_(RULE_NAMES.get(step.rule, step.rule)))}}}")
        if step.is_rewrite or len(text(step.before)) + len(text(step.after)) <= LONG:
            rows.append(rf"\text{{{k}.}}\quad & \hspace{{{1.5 * depth}em}} "
                        rf"{step_latex(step, names)} && {rule}")
        else:  # too long for one line: the result on the next, under the derivative
            rows.append(rf"\text{{{k}.}}\quad & \hspace{{{1.5 * depth}em}} "
                        rf"{_derivative(step, names)} && {rule}")
            rows.append(rf"& \hspace{{{1.5 * depth + 2}em}} = {latex(step.after, names)} &&")
        # the step's inner functions and its note, on unnumbered lines under it, as in the
        # terminal
        under = rf"& \hspace{{{1.5 * depth + 1}em}} "
        if step.paths:
            rows.append(under + chain_latex(step, names) + " &&")
        for sym, expr in step.bindings:
            where = _("where {binding}").split("{binding}")
            binding = rf"{latex(sym)} = {latex(expr, names)}"
            rows.append(under + binding.join(_words(w) for w in where) + " &&")
        if step.note:
            rows.append(under + r"\text{\parbox[t]{0.6\linewidth}{\raggedright "
                        + prose(step.note) + "}} &&")
    return r"\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}"


_SYMBOLS = {"−": "$-$", "·": r"$\cdot$", "′": "'", "½": r"$\frac12$", "¼": r"$\frac14$",
            "Σ": r"$\Sigma$", "→": r"$\to$", "≥": r"$\ge$", "≤": r"$\le$", "∂": r"$\partial$",
            "×": r"$\times$", "∇": r"$\nabla$", "∈": r"$\in$", "—": "---", "–": "--",
            "…": r"\ldots{}", "≈": r"$\approx$", "≠": r"$\ne$", "√": r"$\surd$", "∞": r"$\infty$",
            "“": "``", "”": "''", "’": "'", "‘": "`", "ᵀ": r"$^T$", "ℓ": r"$\ell$",
            "⊙": r"$\odot$", "⁻": "$^{-}$", "←": r"$\leftarrow$", "✓": r"$\checkmark$",
            "✗": r"$\times$", "‖": r"$\Vert$", "∏": r"$\prod$", "𝟏": r"$\mathbf{1}$"}

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lamda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
          "omega"}


def _char(ch: str) -> str:
    """One non-ASCII character as something pdflatex typesets without extra packages."""
    import unicodedata

    if ch in _SYMBOLS:
        return _SYMBOLS[ch]
    if _wide(ch):
        return ch  # Chinese: typeset by the CJK environment the document then opens
    name = unicodedata.name(ch, "")
    if "SUBSCRIPT" in name or "SUPERSCRIPT" in name or name.startswith("MODIFIER LETTER SMALL"):
        base = unicodedata.normalize("NFKC", ch)
        if base.isascii():
            return ("$_{%s}$" if "SUBSCRIPT" in name else "$^{%s}$") % base
    if name.startswith("GREEK SMALL LETTER ") or name.startswith("GREEK CAPITAL LETTER "):
        word = name.split()[-1].lower()
        if word in _GREEK:
            word = "lambda" if word == "lamda" else word
            if "CAPITAL" in name:
                word = word.capitalize()
            return rf"$\{word}$"
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed[:1].isalpha() and decomposed[1:] == "\u0302":
        return rf"$\hat{{{decomposed[0]}}}$"
    if decomposed[:1].isascii() and decomposed[:1].isalpha():
        return decomposed[0]
    return "?"


def prose(s: str) -> str:
    """Narrative text for LaTeX: special characters escaped, Unicode mathematics mapped."""
    out = []
    text = paragraph(s)
    k = bars = quotes = 0
    while k < len(text):
        ch = text[k]
        if k + 1 < len(text) and text[k + 1] == "\u0302":  # ŷ written as y + combining hat
            out.append(rf"$\hat{{{ch}}}$")
            k += 2
            continue
        exponent = _exponent(text, k) if ch == "^" else None
        if exponent is not None:  # e^(−z): a superscript, not a printed ^
            inner, k = exponent
            out.append("$^{" + prose(inner).replace("$", "") + "}$")
            continue
        if ch == "|" and (bars % 2 or "|" in text[k + 1:]):  # |z| as \lvert z\rvert
            out.append(r"$\rvert$" if bars % 2 else r"$\lvert$")
            bars += 1
            k += 1
            continue
        if ch == "-" and text.startswith("-", k + 1):  # --matrix, not an en dash
            out.append("-{}")
            k += 1
            continue
        if ch == '"':  # opening and closing quotes, not two closing ones
            out.append("''" if quotes % 2 else "``")
            quotes += 1
            k += 1
            continue
        out.append(_escape(ch) if ch.isascii() else _char(ch))
        k += 1
    joined = "".join(out)
    # runs of sub- or superscript characters become one: δᵢⱼ → $\delta_{ij}$
    while True:
        merged = re.sub(r"_\{([^{}$]*)\}\$\$_\{", r"_{\1", joined)
        merged = re.sub(r"\^\{([^{}$]*)\}\$\$\^\{", r"^{\1", merged)
        if merged == joined:
            break
        joined = merged
    return joined.replace("$$", "")


def _words(s: str) -> str:
    """Words inside a formula, with the spaces at their ends kept."""
    if not s.strip():
        return r"\ " if s else ""
    return ((r"\ " if s[0] == " " else "") + rf"\text{{{prose(s)}}}"
            + (r"\ " if s[-1] == " " else ""))


_EXPONENT = re.compile(r"[−\-]?[\w.′]+")


def _exponent(text: str, k: int) -> tuple[str, int] | None:
    """The exponent written after the ^ at ``k`` (``^(−2z − 2)`` or ``^2``) and where the
    text goes on, or None when what follows is no exponent."""
    if text.startswith("^(", k):
        depth = 0
        for j in range(k + 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                return text[k + 2:j], j + 1
        return None
    m = _EXPONENT.match(text, k + 1)
    return (m.group(), m.end()) if m else None


RULE_LATEX = {"variable": r"\tfrac{d}{dx} x = 1",
              # a function's own rule, as its declaration states it
              **{f.rule: f.statement_latex for f in FUNCTIONS if f.statement_latex}}


def latex_name(name: str) -> str:
    """A function's name in LaTeX math: s1 → s_{1}, σ → \\sigma, ℓ → \\ell."""
    m = re.fullmatch(r"(.*?)(\d+)", name)
    base, sub = (m.group(1), m.group(2)) if m else (name, "")
    base = prose(base).replace("$", "")
    if len(base) > 1 and base.isalpha():  # ReLU, not R·e·L·U
        base = rf"\mathrm{{{base}}}"
    return f"{base}_{{{sub}}}" if sub else base


#: \fitwidth{…}: its content as it is, or scaled down to the width of the text when it is
#: wider (a derivation of a whole network, a table of twelve inputs)
FIT_WIDTH = (r"\newsavebox{\fitbox}",
             r"\newcommand{\fitwidth}[1]{\sbox{\fitbox}{#1}\ifdim\wd\fitbox>\linewidth"
             r"\resizebox{\linewidth}{!}{\usebox{\fitbox}}\else\usebox{\fitbox}\fi}")


def explanation_latex(exp: Explanation) -> str:
    lesson = exp.lesson
    names = {n.symbol: n.latex for n in lesson.named if n.latex}
    body = [rf"\section*{{{prose(lesson.title)}}}"]
    if lesson.summary:
        body.append(rf"\emph{{{prose(lesson.summary)}}}")
    if not lesson.is_vector:
        formula = latex(lesson.outputs[0])
        # ReLU(z), not ReLU = ReLU(z): a function the tutor knows by name is its own formula
        same = formula.startswith(lesson.function_latex + r"\left(")
        body.append(rf"\[ {'' if same else lesson.function_latex + ' = '}{formula} \]")
    if lesson.text.get("intro"):
        body.append(prose(lesson.text["intro"]))
    for item in exp.items:
        d = item.derivation
        body.append(rf"\subsection*{{$\partial {latex_name(d.name)} / \partial {latex(d.wrt)}$}}")
        body.append(r"\[ \fitwidth{$\displaystyle " + derivation_latex(d, names) + r"$} \]")
        check = item.numeric
        cols = list(check.at)
        body.append(r"\begin{center}\fitwidth{\begin{tabular}{" + "r" * (len(cols) + 4) + "}")
        body.append(" & ".join([f"${latex(lesson.symbols[c])}$" for c in cols]
                               + [prose(_(h)) for h in ("value", "derivative", "finite diff.",
                                                        "rel. error")]) + r" \\ \hline")
        for row in numeric_rows(check, cols):
            body.append(" & ".join(r.replace("−", "$-$") for r in row) + r" \\")
        body.append(r"\end{tabular}}\end{center}")
    for key, heading in (("batch", N_("Over a batch")), ("insight", N_("Insight"))):
        if lesson.text.get(key):
            body.append(rf"\paragraph{{{prose(_(heading))}.}} " + prose(lesson.text[key]))
    return document(body)


def document(body: list[str]) -> str:
    """A whole LaTeX article around ``body``'s lines, for pdflatex (Chinese in the CJK
    package's UTF-8 environment when the body has any)."""
    preamble = [r"\documentclass[11pt]{article}", r"\usepackage[utf8]{inputenc}",
                r"\usepackage{amsmath,amssymb}", r"\usepackage[margin=2cm]{geometry}",
                r"\usepackage{graphicx}", *FIT_WIDTH]
    if any(_wide(ch) for line in body for ch in line):
        # Chinese with pdflatex: the CJK package's UTF-8 environment and its Song font
        preamble.append(r"\usepackage{CJKutf8}")
        body = [r"\begin{CJK}{UTF8}{gbsn}", *body, r"\end{CJK}"]
    return "\n".join([*preamble, r"\begin{document}", *body, r"\end{document}"]) + "\n"

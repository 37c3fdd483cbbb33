"""The tutor from Python and in a notebook: each command's Python call returns what the command
shows (the JSON of both is the same), bad input raises the line the command prints (naming
the parameter where the command names its option), every result renders as self-contained
HTML with the right numbers, and ``%tutor`` runs the command line in IPython's shell."""

import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

import tutor
from tutor.cli import main
from tutor.cli.base import option_for
from tutor.errors import ParameterError, TutorError

MATHML = "{http://www.w3.org/1998/Math/MathML}"
SVG = "{http://www.w3.org/2000/svg}"


def _cli(args):
    result = CliRunner().invoke(main, args + ["--lang", "en"], env={"COLUMNS": "100"})
    return result.exit_code, result.stdout, result.output


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


# -- the Python calls equal the commands ---------------------------------------------------
def test_explain_from_python_is_the_command():
    code, out, _ = _cli(["explain", "sigmoid", "--at", "z=-2,0,2", "--format", "json"])
    assert code == 0
    e = tutor.explain("sigmoid", at={"z": [-2, 0, 2]})
    assert json.loads(tutor.render(e, "json")) == json.loads(out)
    # the numbers, from σ′ = σ(1 − σ) worked with math.exp
    derivative = json.loads(out)["derivatives"][0]["numeric"]["derivative"]
    assert derivative == pytest.approx([_sigmoid(z) * (1 - _sigmoid(z)) for z in (-2, 0, 2)])


def test_explain_of_an_expression_and_a_family():
    code, out, _ = _cli(["explain", "--expr", "tanh(w*x + b)", "--wrt", "w", "--at", "w=0.5",
                         "--at", "x=2", "--at", "b=0", "--format", "json"])
    e = tutor.explain(expr="tanh(w*x + b)", wrt="w", at={"w": 0.5, "x": 2, "b": 0})
    assert code == 0 and json.loads(tutor.render(e, "json")) == json.loads(out)
    code, out, _ = _cli(["explain", "linear", "--wrt", "w", "--at", "x=1,2,3", "--format", "json"])
    e = tutor.explain("linear", wrt=["w"], at={"x": [1, 2, 3]})
    assert code == 0 and json.loads(tutor.render(e, "json")) == json.loads(out)


def test_check_from_python_is_the_command():
    answer = "exp(-z)/(1+exp(-z))^2"
    code, out, _ = _cli(["check", "sigmoid", answer, "--format", "json"])
    verdict = tutor.check("sigmoid", answer)
    assert code == 0 and verdict.correct
    assert json.loads(tutor.render(verdict, "json")) == json.loads(out)
    wrong = tutor.check("sigmoid", "exp(-z)/(1+exp(-z))")
    assert not wrong.correct and wrong.verdict.diagnosis is not None
    # a claim: (w·x + b − y)²/2 by w at w=2, b=1, x=1,2,3, y=6,9,12, the mean of x·(wx + b − y)
    claim = tutor.check(expr="(w*x + b - y)^2/2", wrt="w", at={"w": 2, "b": 1, "x": [1, 2, 3],
                                                              "y": [6, 9, 12]},
                        reduce="mean", claim=-8.6667)
    by_hand = sum(x * (2 * x + 1 - y) for x, y in ((1, 6), (2, 9), (3, 12))) / 3
    assert claim.claim.value == pytest.approx(by_hand) and claim.verdict is None
    # the number is judged to the digits it shows, as the command line judges the text
    assert by_hand == pytest.approx(-8.6667, abs=5e-5) and claim.correct
    code, out, _ = _cli(["check", "--expr", "(w*x + b - y)^2/2", "--wrt", "w", "--at", "w=2",
                         "--at", "b=1", "--at", "x=1,2,3", "--at", "y=6,9,12", "--reduce", "mean",
                         "--claim", "-8.6667", "--format", "json"])
    assert code == 0 and json.loads(tutor.render(claim, "json")) == json.loads(out)


def test_backprop_and_jacobian_from_python_are_the_command():
    code, out, _ = _cli(["backprop", "neuron", "--format", "json"])
    bp = tutor.backprop("neuron")
    assert code == 0 and json.loads(tutor.render(bp, "json")) == json.loads(out)
    code, out, _ = _cli(["backprop", "jacobian", "softmax", "--at", "z=1,2,3", "--format", "json"])
    J = tutor.jacobian("softmax", at={"z": [1, 2, 3]})
    assert code == 0 and json.loads(tutor.render(J, "json")) == json.loads(out)
    assert tutor.render(tutor.backprop("jacobian", "softmax", at={"z": [1, 2, 3]}), "json") == \
        tutor.render(J, "json")


def _timeless(d):
    """A training run's JSON without what the clock measured."""
    if isinstance(d, dict):
        return {k: _timeless(v) for k, v in d.items() if k not in ("seconds", "time")}
    if isinstance(d, list):
        return [_timeless(v) for v in d]
    return d


def test_train_from_python_is_the_command():
    args = ["train", "--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2,3", "--data",
            "y=2,4,6", "--init", "w=0", "--lr", "0.02", "--epochs", "8", "--format", "json"]
    code, out, _ = _cli(args)
    run = tutor.train(expr="(w*x - y)**2", params="w", data=["x=1,2,3", "y=2,4,6"],
                      init={"w": 0}, lr=0.02, epochs=8)
    assert code == 0
    assert _timeless(json.loads(tutor.render(run, "json"))) == _timeless(json.loads(out))
    # gradient descent on L(w) = (14/3)(w − 2)², by a plain loop
    w = 0.0
    for _ in range(8):
        w -= 0.02 * 28 / 3 * (w - 2)
    assert float(run.history.params["w"]) == pytest.approx(w, rel=1e-12)
    # the data as a dict of columns is the same run
    again = tutor.train(expr="(w*x - y)**2", params=["w"], data={"x": [1, 2, 3], "y": [2, 4, 6]},
                        init={"w": 0}, lr=0.02, epochs=8)
    assert float(again.history.params["w"]) == float(run.history.params["w"])


def test_worksheet_from_python_is_the_command(tmp_path):
    code, _, _ = _cli(["worksheet", "sigmoid", "-n", "2", "-k", "2", "--seed", "3", "--format",
                       "md", "--out", str(tmp_path / "cli")])
    ws = tutor.worksheet("sigmoid", problems=2, variants=2, seed=3, out=str(tmp_path / "py"),
                         formats="md")
    assert code == 0
    for name in ("key.json", "variant-01.md", "variant-02.md", "answers/variant-02.md"):
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()
    assert json.loads(tutor.render(ws, "json")) == json.loads((tmp_path / "cli" / "key.json")
                                                              .read_text("utf-8"))


# -- bad input: the command's line, the parameter named -------------------------------------
@pytest.mark.parametrize("call,args", [
    (lambda: tutor.explain("sigmoid", at={"z": "x"}), ["explain", "sigmoid", "--at", "z=x"]),
    (lambda: tutor.explain("sigmoid", expr="x**2"), ["explain", "sigmoid", "--expr", "x**2"]),
    (lambda: tutor.explain(expr="x**2", size=3), ["explain", "--expr", "x**2", "--size", "3"]),
    (lambda: tutor.train("linear_regression", lr=0), ["train", "linear_regression", "--lr", "0"]),
    (lambda: tutor.train("linear_regression", synthetic=True),
     ["train", "linear_regression", "--synthetic"]),
    (lambda: tutor.check("sigmoid"), ["check", "sigmoid"]),
    (lambda: tutor.check("softmax", "1", size=3, wrt="z1", of="s9"),
     ["check", "softmax", "--size", "3", "--wrt", "z1", "--of", "s9", "1"]),
    (lambda: tutor.backprop("neuron", sample=0), ["backprop", "neuron", "--sample", "0"]),
    (lambda: tutor.backprop("neuron", reduce="sum"), ["backprop", "neuron", "--reduce", "sum"]),
    (lambda: tutor.backprop("jacobian", "softmax", wrt="z"),
     ["backprop", "jacobian", "softmax", "--wrt", "z"]),
    (lambda: tutor.explain("nosuchlesson"), ["explain", "nosuchlesson"]),
    (lambda: tutor.train("linear_regression", synthetic=True, true_w=[1], momentum=0.5),
     ["train", "linear_regression", "--synthetic", "--true-w", "1", "--momentum", "0.5"]),
    (lambda: tutor.train("linear_regression", synthetic=True, true_w=[1], lr_min=0.1),
     ["train", "linear_regression", "--synthetic", "--true-w", "1", "--lr-min", "0.1"]),
    (lambda: tutor.backprop("deep", layers=0), ["backprop", "deep", "--layers", "0"]),
    (lambda: tutor.backprop("deep", init="he,zeros"), ["backprop", "deep", "--init", "he,zeros"]),
    (lambda: tutor.backprop("deep", std=2, init="he"),
     ["backprop", "deep", "--std", "2", "--init", "he"]),
    (lambda: tutor.backprop("deep", at={"x": 1}), ["backprop", "deep", "--at", "x=1"]),
    (lambda: tutor.backprop("neuron", activation="relu"),
     ["backprop", "neuron", "--activation", "relu"]),
    (lambda: tutor.descend(), ["descend"]),
    (lambda: tutor.descend("square", lr=[0.1, 0.2]), ["descend", "square", "--lr", "0.1,0.2"]),
    (lambda: tutor.descend("square", set={"k": 2}), ["descend", "square", "--set", "k=2"]),
    (lambda: tutor.descend("square", optimizer="sgd", beta1=0.5),
     ["descend", "square", "--optimizer", "sgd", "--beta1", "0.5"]),
])
def test_bad_input_raises_the_line_the_command_prints(call, args):
    code, _, output = _cli(args)
    assert code == 2 and output.count("\n") == 1
    with pytest.raises(TutorError) as caught:
        call()
    said = (caught.value.called(option_for) if isinstance(caught.value, ParameterError)
            else str(caught.value))
    assert "error: " + said == output.strip()
    # from Python the parameter is named as Python names it
    assert "--" not in str(caught.value) or not isinstance(caught.value, ParameterError)


def test_python_values_are_checked():
    with pytest.raises(ParameterError, match=r"^at z: nan is not a finite number"):
        tutor.explain("sigmoid", at={"z": [1, float("nan")]})
    with pytest.raises(ParameterError, match=r"^at: give a dict"):
        tutor.explain("sigmoid", at=[1, 2])
    with pytest.raises(ParameterError, match=r"^lr must be a positive number, not -1"):
        tutor.train("linear_regression", synthetic=True, true_w=[1], lr=-1)
    with pytest.raises(ParameterError, match=r"^fmt 'pdf': a Explanation is rendered as text, "
                                              r"markdown, latex, json, html$"):
        tutor.render(tutor.explain("sigmoid"), "pdf")
    with pytest.raises(ParameterError, match="lang"):
        tutor.set_language("fr")


def test_help_reads_well():
    for name in ("explain", "check", "backprop", "jacobian", "train", "descend", "worksheet",
                 "render", "set_language"):
        doc = getattr(tutor, name).__doc__
        assert doc and len(doc.split()) > 15, name
    assert "at=" in tutor.explain.__doc__ or "``at``" in tutor.explain.__doc__


def test_import_stays_light():
    out = subprocess.run([sys.executable, "-c", "import tutor, sys; tutor.explain; "
                          "print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, timeout=120, check=True).stdout.split()
    assert "numpy" not in out and "matplotlib" not in out and "IPython" not in out


# -- HTML: self-contained, the right numbers, MathML and SVG --------------------------------
class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _checked_html(html: str) -> tuple[ET.Element, str]:
    """The fragment parsed twice: as HTML (tags and text) and as XML (it is well formed)."""
    assert "<script" not in html.lower() and "http://" not in html.replace(
        "http://www.w3.org/", "")  # no script, nothing fetched
    parser = _Tags()
    parser.feed(html)
    assert parser.tags[0] == "div" and "style" in parser.tags
    root = ET.fromstring(html)
    return root, "".join(parser.text)


def test_explanation_html_has_mathml_and_the_numbers():
    root, text = _checked_html(tutor.render(tutor.explain("sigmoid", at={"z": [1, 2]}), "html"))
    assert root.get("lang") == "en"
    maths = root.findall(f".//{MATHML}math")
    assert len(maths) >= 8  # the function, each step, the result
    for z in (1, 2):
        assert f"{_sigmoid(z) * (1 - _sigmoid(z)):.4f}" in text
    assert "chain rule" in text and "✓" in text
    # the steps' MathML has the derivative d/dz and a fraction
    assert root.findall(f".//{MATHML}mfrac")


def test_backprop_html_has_two_tables_and_the_graph():
    root, text = _checked_html(tutor.render(tutor.backprop("neuron"), "html"))
    # the neuron's first sample, x = 0.5, b = −0.2, w = 0.8, t = 0, by hand
    a = _sigmoid(0.8 * 0.5 - 0.2)
    dw = (a - 0) * a * (1 - a) * 0.5
    for number in (a, (a - 0) ** 2 / 2, dw):
        assert f"{number:.4f}" in text
    assert len(root.findall(".//table")) >= 3  # forward, backward, gradients
    assert "forward pass" in text and "backward pass" in text
    assert len(root.findall(f".//{SVG}svg")) == 1


def test_training_html_has_the_loss_curve_and_the_landscape():
    run = tutor.train(expr="(w*x - y)**2", params="w", data={"x": [1, 2, 3], "y": [2, 4, 6]},
                      init={"w": 0}, lr=0.02, epochs=8)
    root, text = _checked_html(tutor.render(run, "html"))
    w = 0.0
    for _ in range(8):
        w -= 0.02 * 28 / 3 * (w - 2)
    assert f"w = {w:.5f}" in text
    assert len(root.findall(f".//{SVG}svg")) == 3  # loss, fit, landscape
    assert "⠑" not in text  # the terminal's text chart is drawn as a picture instead


def test_check_topic_and_worksheet_html():
    _root, text = _checked_html(tutor.render(tutor.check("sigmoid", "sigmoid(z)"), "html"))
    assert "✗" in text and "diagnosis" in text
    root, text = _checked_html(tutor.render(tutor.jacobian("softmax", at={"z": [0, 0, 0]}), "html"))
    assert "0.2222" in text and "−0.1111" in text  # 1/3·(1 − 1/3) and −1/3·1/3
    root, text = _checked_html(tutor.render(tutor.worksheet("sigmoid", problems=2, seed=1), "html"))
    assert root.findall(f".//{MATHML}math")


def test_html_follows_the_language():
    from tutor.i18n import current_language, speaking

    assert current_language() == "en"
    with speaking("zh"):
        root, text = _checked_html(tutor.render(tutor.explain("sigmoid"), "html"))
    assert root.get("lang") == "zh" and "链式法则" in text


def test_html_colours_follow_the_theme():
    html = tutor.render(tutor.backprop("neuron"), "html")
    style = html[html.index("<style>"):html.index("</style>")]
    assert "currentColor" in style and "inherit" in style
    assert not re.search(r"(?<!-)color:\s*#(000|111|fff)", style)
    assert not re.search(r"background(-color)?:\s*#", style)


# -- IPython: display and the %tutor magic --------------------------------------------------
@pytest.fixture(scope="module")
def shell():
    globalipapp = pytest.importorskip("IPython.testing.globalipapp")
    globalipapp.start_ipython()  # once per process; the shell it made after that
    ip = globalipapp.get_ipython()
    import importlib

    importlib.reload(tutor)  # registers with the running shell
    ip.run_line_magic("load_ext", "tutor")
    ip.display_formatter.formatters["text/html"].enabled = True  # as in a notebook
    return ip


def test_every_result_displays_as_html(shell):
    results = [tutor.explain("sigmoid"), tutor.explain("sigmoid").items[0].derivation,
               tutor.check("sigmoid", "1"), tutor.backprop("neuron"), tutor.jacobian("softmax"),
               tutor.train("linear_regression", synthetic=True, true_w=[2, -3.4], true_b=4.2,
                           samples=100, epochs=2),
               tutor.worksheet("sigmoid", problems=1),
               tutor.backprop("deep", layers=3, width=8, batch=16),
               tutor.descend("square", optimizer="sgd,adam")]
    html = shell.display_formatter.formatters["text/html"]
    plain = shell.display_formatter.formatters["text/plain"]
    for result in results:
        shown = html(result)
        assert shown and shown.startswith('<div class="tutor-result"'), type(result)
        assert "dataclass" not in plain(result) and len(plain(result)) < 20_000


def test_the_magic_runs_the_command_line(shell, capsys):
    shown = shell.run_line_magic("tutor", "explain sigmoid --at z=1,2")
    bundle = shown._repr_mimebundle_()
    assert f"{_sigmoid(1) * (1 - _sigmoid(1)):.4f}" in bundle["text/html"]
    assert bundle["text/plain"].startswith("Sigmoid")
    assert type(shown.result).__name__ == "Explanation"
    capsys.readouterr()
    assert shell.run_line_magic("tutor", "explain sigmoid --at z=1,x") is None
    err = capsys.readouterr().err
    assert err == "error: --at z: 'x' is not a number\n"  # one line, no traceback
    assert shell.run_line_magic("tutor", "explain 'sigmoid") is None
    assert capsys.readouterr().err.startswith("error: ")


def test_the_magic_speaks_the_commands_language(shell):
    from tutor.i18n import current_language

    shown = shell.run_line_magic("tutor", "backprop neuron --lang zh")
    assert 'lang="zh"' in shown._repr_mimebundle_()["text/html"]
    assert "前向传播" in shown._repr_mimebundle_()["text/html"]
    assert current_language() == "en"  # the notebook's language again
    tutor.set_language("zh")
    try:
        shown = shell.run_line_magic("tutor", "check sigmoid 'sigmoid(z)*(1-sigmoid(z))'")
        assert "等于" in shown._repr_mimebundle_()["text/plain"]
    finally:
        tutor.set_language("en")


def test_the_magic_prints_text_formats_and_other_commands(shell, capsys):
    assert shell.run_line_magic("tutor", "explain sigmoid --format json") is None
    assert json.loads(capsys.readouterr().out)["lesson"] == "sigmoid"
    assert shell.run_line_magic("tutor", "list") is None
    assert "sigmoid" in capsys.readouterr().out


# -- the README's excerpt stays true --------------------------------------------------------
def test_the_readme_python_excerpt_runs_as_shown():
    import doctest
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")
    section = readme[readme.index("## From Python and in a notebook"):readme.index("## Layout")]
    blocks = [b.split("\n", 1)[1] for b in section.split("```python")[1:]]
    examples = [b[:b.index("```")] for b in blocks if b.lstrip().startswith(">>>")]
    assert len(examples) == 1
    test = doctest.DocTestParser().get_doctest(examples[0], {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    outcome = runner.summarize(verbose=False)
    assert outcome.attempted >= 5 and outcome.failed == 0


# -- sliders (the notebook extra) -----------------------------------------------------------
def test_the_point_slider_evaluates_where_it_is_moved():
    pytest.importorskip("ipywidgets", reason="the notebook extra (ipywidgets) is not installed")
    slider, shown = tutor.point_slider("sigmoid", low=-6, high=6).children
    assert f"{_sigmoid(0) * (1 - _sigmoid(0)):.4f}" in shown.value
    slider.value = 1.5
    _root, text = _checked_html(shown.value)
    assert f"{_sigmoid(1.5) * (1 - _sigmoid(1.5)):.4f}" in text
    assert shown.value.count("<svg") == 1


def test_the_learning_rate_slider_runs_the_descent_again():
    pytest.importorskip("ipywidgets", reason="the notebook extra (ipywidgets) is not installed")
    slider, shown = tutor.learning_rate_slider(
        expr="(w*x - y)**2", params="w", data={"x": [1, 2, 3], "y": [2, 4, 6]}, init={"w": 0},
        lr=0.02, high=0.5, epochs=8).children
    for lr in (0.02, 0.2):
        slider.value = lr
        w = 0.0
        for _ in range(8):  # descent on (14/3)(w − 2)², by a plain loop
            w -= lr * 28 / 3 * (w - 2)
        _root, text = _checked_html(shown.value)
        assert f"w = {w:.5f}" in text and shown.value.count("<svg") == 3
    slider.value = 0.3  # past the bound 2/λ_max = 3/14 on a stable step
    assert "expect divergence" in shown.value and "stopped" in shown.value


def test_the_sliders_say_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(TutorError, match=r"ipywidgets: pip install \"gradient-tutor\[notebook\]\""):
        tutor.point_slider("sigmoid")


def test_the_magic_says_where_it_wrote_files(shell, capsys, tmp_path):
    plot = tmp_path / "sigmoid.svg"
    assert shell.run_line_magic("tutor", f"explain sigmoid --plot {plot}") is None
    assert f"plot written to {plot}" in capsys.readouterr().out and plot.exists()


@pytest.mark.parametrize("call", [
    lambda: tutor.explain("sigmoid", wrt=5),
    lambda: tutor.explain("sigmoid", size="3"),
    lambda: tutor.explain(42),
    lambda: tutor.explain("sigmoid", at={"z": [[1, 2], [3]]}),
    lambda: tutor.explain("sigmoid", at={"z": []}),
    lambda: tutor.explain("sigmoid", at={"z": True}),
    lambda: tutor.train("linear_regression", data=5),
    lambda: tutor.train("linear_regression", synthetic=True, true_w=[1, 2], batch_size=2.5),
    lambda: tutor.train("linear_regression", synthetic=True, true_w=[1, 2], reduce="avg"),
    lambda: tutor.train("linear_regression", synthetic=True, true_w="1,x"),
    lambda: tutor.train("linear_regression", synthetic=True, true_w=[1, 2], seed=-1),
    lambda: tutor.check("sigmoid", 5),
    lambda: tutor.check("sigmoid", claim="abc", at={"z": 1}),
    lambda: tutor.backprop("neuron", output=3),
    lambda: tutor.backprop("neuron", "sigmoid"),
    lambda: tutor.backprop("linear_regression", matrix=True, reduce="avg"),
    lambda: tutor.jacobian("nosuch"),
    lambda: tutor.worksheet(),
    lambda: tutor.worksheet("sigmoid", problems="3x"),
    lambda: tutor.worksheet("sigmoid", kinds="nope"),
    lambda: tutor.render(5, "text"),
    lambda: tutor.train("linear_regression", synthetic=True, true_w=[1], optimizer="adam",
                        beta1="high"),
    lambda: tutor.train("linear_regression", synthetic=True, true_w=[1], optimizer="lion"),
    lambda: tutor.train("linear_regression", synthetic=True, true_w=[1], schedule="step",
                        step_size=0.5),
    lambda: tutor.backprop("deep", activation=["relu", 3]),
    lambda: tutor.backprop("deep", layers="ten"),
    lambda: tutor.descend(42),
    lambda: tutor.descend("square", start=[1, 2]),
    lambda: tutor.descend("square", optimizer=["sgd", "sgd"]),
    lambda: tutor.descend("square", steps=0),
])
def test_bad_python_values_raise_the_librarys_error(call):
    with pytest.raises(TutorError) as caught:
        call()
    assert "\n" not in str(caught.value) and str(caught.value)


def test_an_optimizer_from_python_is_the_command():
    args = ["train", "--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2,3", "--data",
            "y=2,4,6", "--init", "w=0", "--lr", "0.1", "--epochs", "5", "--optimizer", "momentum",
            "--momentum", "0.5", "--format", "json"]
    code, out, _ = _cli(args)
    run = tutor.train(expr="(w*x - y)**2", params="w", data=["x=1,2,3", "y=2,4,6"],
                      init={"w": 0}, lr=0.1, epochs=5, optimizer="momentum", momentum=0.5)
    assert code == 0
    assert _timeless(json.loads(tutor.render(run, "json"))) == _timeless(json.loads(out))
    # torch's heavy-ball momentum on L(w) = (14/3)(w − 2)², by a plain loop: v = μv + g
    w, v = 0.0, 0.0
    for _ in range(5):
        v = 0.5 * v + 28 / 3 * (w - 2)
        w -= 0.1 * v
    assert float(run.history.params["w"]) == pytest.approx(w, rel=1e-12)


def test_a_schedule_from_python_is_the_command():
    args = ["train", "--expr", "(w*x - y)**2", "--params", "w", "--data", "x=1,2,3", "--data",
            "y=2,4,6", "--init", "w=0", "--lr", "0.1", "--epochs", "4", "--optimizer", "adam",
            "--beta1", "0.8", "--schedule", "step", "--step-size", "2", "--gamma", "0.5",
            "--format", "json"]
    code, out, _ = _cli(args)
    run = tutor.train(expr="(w*x - y)**2", params="w", data=["x=1,2,3", "y=2,4,6"],
                      init={"w": 0}, lr=0.1, epochs=4, optimizer="adam", beta1=0.8,
                      schedule="step", step_size=2, gamma=0.5)
    assert code == 0
    assert _timeless(json.loads(tutor.render(run, "json"))) == _timeless(json.loads(out))
    # Adam (β₁ = 0.8, β₂ = 0.999, ε = 1e-8) on L(w) = (14/3)(w − 2)², η halved after 2 epochs
    w, m, v = 0.0, 0.0, 0.0
    for t in range(1, 5):
        lr = 0.1 * 0.5 ** ((t - 1) // 2)
        g = 28 / 3 * (w - 2)
        m, v = 0.8 * m + 0.2 * g, 0.999 * v + 0.001 * g * g
        w -= lr * (m / (1 - 0.8 ** t)) / (math.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    assert float(run.history.params["w"]) == pytest.approx(w, rel=1e-12)


def test_backprop_deep_from_python_is_the_command():
    code, out, _ = _cli(["backprop", "deep", "--layers", "3", "--width", "8", "--batch", "16",
                         "--activation", "tanh,relu", "--init", "he", "--seed", "5",
                         "--format", "json"])
    topic = tutor.backprop("deep", layers=3, width=8, batch=16, activation=["tanh", "relu"],
                           init="he", seed=5)
    assert code == 0 and json.loads(tutor.render(topic, "json")) == json.loads(out)
    # the first layer's activations by hand, in the order the topic draws them: the batch x,
    # then the weights W₁ … W₃ (He: variance 2/8), then the gradient g
    import numpy as np

    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 8))
    w1 = rng.standard_normal((8, 8)) * math.sqrt(2 / 8)
    for run, h1 in zip(json.loads(out)["runs"], (np.tanh(x @ w1), np.maximum(x @ w1, 0))):
        assert run["activation_variance"][0] == pytest.approx(float(np.var(h1)), rel=1e-9)


def test_descend_from_python_is_the_command():
    code, out, _ = _cli(["descend", "square", "--optimizer", "sgd,momentum", "--lr", "0.2",
                         "--steps", "10", "--momentum", "0.5", "--format", "json"])
    race = tutor.descend("square", optimizer=["sgd", "momentum"], lr=0.2, steps=10, momentum=0.5)
    assert code == 0 and json.loads(tutor.render(race, "json")) == json.loads(out)
    # f(x) = x²: each plain step multiplies x by 1 − 2η = 0.6, from x = 10
    sgd, momentum = json.loads(out)["runs"]
    assert sgd["final"][0] == pytest.approx(10 * 0.6 ** 10, rel=1e-12)
    x, v = 10.0, 0.0
    for _ in range(10):
        v = 0.5 * v + 2 * x
        x -= 0.2 * v
    assert momentum["final"][0] == pytest.approx(x, rel=1e-12)
    # the same race from an expression, a constant set by name
    again = tutor.descend(expr="k*x^2", set={"k": 1}, start=[10], optimizer="sgd", lr=0.2,
                          steps=10)
    assert float(again.runs[0].final[0]) == pytest.approx(10 * 0.6 ** 10, rel=1e-12)
    shown = tutor.render(race, "html")
    assert "<svg" in shown and "momentum" in shown

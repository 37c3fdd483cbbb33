"""The tour notebooks (lessons/tour.ipynb, in English, and lessons/tour-zh.ipynb, in Chinese)
run top to bottom in a real kernel: no cell raises, every result displays as HTML, and the
numbers in it are the right ones, worked here by hand.  Where Chromium is installed, the
notebook's results are drawn in it headless: the MathML is laid out as mathematics and the
pictures are drawn."""

import html
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {"en": ROOT / "lessons" / "tour.ipynb", "zh": ROOT / "lessons" / "tour-zh.ipynb"}

pytestmark = pytest.mark.slow


def _execute(path: Path):
    nbformat = pytest.importorskip("nbformat", reason="the test extras (nbformat) are not installed")
    nbclient = pytest.importorskip("nbclient", reason="the test extras (nbclient) are not installed")
    pytest.importorskip("ipykernel", reason="the test extras (ipykernel) are not installed")
    nb = nbformat.read(str(path), as_version=4)
    # run from the checkout, so that the kernel imports this tutor
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


@pytest.fixture(scope="module")
def executed():
    return {lang: _execute(path) for lang, path in NOTEBOOKS.items()}


def _cells(nb):
    """(source, outputs) of every code cell."""
    return [(c.source, c.outputs) for c in nb.cells if c.cell_type == "code"]


def _html_of(nb, start: str) -> str:
    """The HTML the cell whose code starts with ``start`` shows, as plain text."""
    for source, outputs in _cells(nb):
        if source.startswith(start):
            shown = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
            assert len(shown) == 1, (start, [o.get("output_type") for o in outputs])
            return html.unescape(re.sub(r"<[^>]+>", " ", shown[0].split("</style>", 1)[1]))
    raise AssertionError(f"no cell starts with {start!r}")


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_cell_raises_and_every_result_displays_as_html(executed, lang):
    nb = executed[lang]
    for source, outputs in _cells(nb):
        assert not [o for o in outputs if o.output_type == "error"], source
        assert not [o for o in outputs if o.get("name") == "stderr"], source
        last = source.strip().splitlines()[-1]
        if last.startswith(("tutor.", "%tutor", "run")) and not last.endswith(";") \
                and last != "run.history.params":
            data = [o["data"] for o in outputs if "data" in o]
            assert len(data) == 1 and "text/html" in data[0], source
            assert "<script" not in data[0]["text/html"]
            assert f'lang="{lang}"' in data[0]["text/html"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_numbers_are_the_right_ones(executed, lang):
    nb = executed[lang]
    # 1. linear regression recovers w = [2, −3.4], b = 4.2 (noise 0.01, 3 epochs)
    text = _html_of(nb, 'run = tutor.train("linear_regression"')
    w1, w2, b = (float(v.replace("−", "-")) for v in re.search(
        r"w = \[([−\d.]+), ([−\d.]+)\]\s+b = ([−\d.]+)", text).groups())
    assert abs(w1 - 2) < 0.01 and abs(w2 + 3.4) < 0.01 and abs(b - 4.2) < 0.01
    # 2. σ′(z) = σ(z)(1 − σ(z)) at −2, 0, 2
    text = _html_of(nb, 'tutor.explain("sigmoid"')
    for z in (-2, 0, 2):
        assert f"{_sigmoid(z) * (1 - _sigmoid(z)):.4f}" in text
    # 3. the softmax Jacobian at z = (1, 2, 0.5): J = diag(s) − s sᵀ
    text = _html_of(nb, 'tutor.jacobian("softmax"')
    e = [math.exp(z) for z in (1, 2, 0.5)]
    s = [v / sum(e) for v in e]
    for i in range(3):
        for j in range(3):
            entry = s[i] * ((i == j) - s[j])
            assert f"{entry:.4f}".replace("-", "−") in text
    # 4. the neuron's first sample: x = 0.5, b = −0.2, w = 0.8, t = 0
    text = _html_of(nb, 'tutor.backprop("neuron"')
    a = _sigmoid(0.8 * 0.5 - 0.2)
    for number in (a, a ** 2 / 2, a * a * (1 - a), a * a * (1 - a) * 0.5):
        assert f"{number:.4f}" in text
    # 5. backward(v) of ((inp + 1)²)ᵀ with v = ones: 2(inp + 1), so 4 on the diagonal, 2 off it
    text = _html_of(nb, 'tutor.backprop("accumulate"')
    assert re.search(r"4\s+2\s+2\s+2\s+2", text) and re.search(r"8\s+4\s+4\s+4\s+4", text)
    # 6. descent on (14/3)(w − 2)² from w = 0 with η = 0.02, eight steps
    text = _html_of(nb, 'tutor.train(expr=')
    w = 0.0
    for _ in range(8):
        w -= 0.02 * 28 / 3 * (w - 2)
    assert f"w = {w:.5f}" in text
    # 7. the right answer is right, the wrong one is not
    assert "✓" in _html_of(nb, 'tutor.check("sigmoid", "exp(-z)/(1+exp(-z))^2")')
    assert "✗" in _html_of(nb, 'tutor.check("sigmoid", "exp(-z)/(1+exp(-z))")')
    # the magic: tanh′ = 1 − tanh² at 0 and 1
    text = _html_of(nb, "%tutor explain tanh")
    assert "1.0000" in text and f"{1 - math.tanh(1) ** 2:.4f}" in text


def test_the_chinese_tour_speaks_chinese(executed):
    text = _html_of(executed["zh"], 'tutor.backprop("neuron"')
    assert "前向传播" in text and "反向传播" in text
    markdown = [c.source for c in executed["zh"].cells if c.cell_type == "markdown"]
    assert all(re.search(r"[\u4e00-\u9fff]", m) for m in markdown)


# -- drawn by a browser ---------------------------------------------------------------------
MEASURE = """<script>
window.addEventListener("load", () => {
  const size = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const fracs = [...document.querySelectorAll("mfrac")].map(f => {
    const [a, b] = [...f.children].map(c => size(c)[1]);
    return size(f)[1] >= 0.9 * (a + b) && a > 0 && b > 0;
  });
  const report = {
    math: document.querySelectorAll("math").length,
    drawn_fractions: fracs.filter(x => x).length, fractions: fracs.length,
    svg: [...document.querySelectorAll("svg")].map(size),
  };
  document.getElementById("report").textContent = JSON.stringify(report);
});
</script>"""


def _browser():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_a_browser_draws_the_mathml_and_the_pictures(executed, tmp_path):
    browser = _browser()
    if browser is None:
        pytest.skip("Chromium is not installed")
    parts = []
    for source, outputs in _cells(executed["en"]):
        parts += [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    page = tmp_path / "tour.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                    + "".join(parts) + "<pre id='report'></pre>" + MEASURE + "</body></html>",
                    encoding="utf-8")
    out = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="report">(.*?)</pre>', out.stdout, re.S)
    assert found and found.group(1), out.stderr[-2000:]
    report = json.loads(html.unescape(found.group(1)))
    assert report["math"] >= 15
    # every fraction is set as one: numerator over denominator, as tall as both
    assert report["fractions"] >= 10 and report["drawn_fractions"] == report["fractions"]
    # the graph, the loss curves, the fits and the landscapes, each drawn at a size
    assert len(report["svg"]) >= 7
    assert all(w > 200 and h > 150 for w, h in report["svg"]), report["svg"]


@pytest.mark.parametrize("first", ["import tutor\nimport IPython", "import IPython\nimport tutor",
                                   "from tutor import explain, jacobian, train\nimport tutor"])
def test_results_display_as_html_whatever_was_imported_first(first):
    nbformat = pytest.importorskip("nbformat", reason="the test extras (nbformat) are not installed")
    nbclient = pytest.importorskip("nbclient", reason="the test extras (nbclient) are not installed")
    pytest.importorskip("ipykernel", reason="the test extras (ipykernel) are not installed")
    from nbformat.v4 import new_code_cell, new_notebook

    shown = ['tutor.explain("sigmoid")', 'tutor.explain("sigmoid").items[0].derivation',
             'tutor.check("sigmoid", "1")', 'tutor.backprop("neuron")', 'tutor.jacobian("softmax")',
             'tutor.train("linear_regression", synthetic=True, true_w=[2], samples=50, epochs=1)',
             'tutor.worksheet("sigmoid", problems=1)']
    nb = new_notebook(cells=[new_code_cell(first)] + [new_code_cell(c) for c in shown])
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    for cell in nb.cells[1:]:
        (out,) = cell.outputs
        assert out["data"]["text/html"].startswith('<div class="tutor-result"'), cell.source

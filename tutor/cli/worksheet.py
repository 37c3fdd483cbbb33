"""``tutor worksheet``: printable sheets with randomised numbers, answer keys, a machine key."""

from __future__ import annotations

import click

from tutor.cli.base import command, keep
from tutor.cli.options import FormatChoice, Bounded
from tutor.requests.worksheet import SEED as SEED_RANGE

FORMATS = ("md", "tex", "html", "pdf")
#: the kinds of problem, as tutor.assessment.kinds names them (read without loading SymPy,
#: so that --help answers at once; tests/test_kinds.py checks they are the registry's)
KINDS = ("derive", "evaluate", "gd_step", "backward", "mistake", "matrix_gradient")
SEED = Bounded(*SEED_RANGE)


@command()
@click.argument("lessons", nargs=-1, required=True, metavar="LESSON...")  # or matrix:NAME
@click.option("--problems", "-n", type=int, default=6, show_default=True, metavar="N",
              help="Problems on each sheet (1–40).")
@click.option("--variants", "-k", type=int, default=1, show_default=True, metavar="K",
              help="How many different sheets (1–500).")
@click.option("--seed", type=SEED, default=0, show_default=True, metavar="S",
              help="The same seed gives the same sheets, byte for byte.")
@click.option("--out", "out", required=True, metavar="DIR",
              help="Folder for the sheets, the answer keys and key.json.")
@click.option("--format", "formats", multiple=True, type=FormatChoice(FORMATS),
              help="md, tex, html or pdf (repeatable; default: all four).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Only these kinds of problem (repeatable; default: all the lessons offer).")
@click.option("--export", "exports", multiple=True,
              type=click.Choice(("moodle", "gift", "stack")),
              help="Also write the problems for a quiz system: quiz.xml (Moodle XML), "
                   "quiz.gift (GIFT) or stack.xml (STACK questions, marked by Maxima). "
                   "Repeatable.")
@click.option("--title", metavar="TEXT", help='The sheets\' title (default "Worksheet <id>").')
@click.option("--field", "fields", multiple=True, metavar="LABEL[=VALUE]",
              help='A header line under Name: "Course" leaves a blank to fill, "Date=12 May" '
                   "fills it (repeatable).")
@click.option("--space", type=click.IntRange(0, 40), default=0, show_default=True, metavar="N",
              help="Blank lines left after each problem, room to work.")
@click.option("--force", is_flag=True, help="Replace the sheets of an earlier run in DIR.")
def worksheet(lessons, problems, variants, seed, out, formats, kinds, exports, title, fields,
              space, force):
    """Printable worksheets with randomised numbers, answer keys and a machine key.

    \b
    tutor worksheet sigmoid softmax --variants 30 --seed 7 --out sheets/
    tutor worksheet linear_regression neuron -n 10 -k 5 --format pdf --out week3/
    tutor grade sheets/key.json class/
    tutor worksheet sigmoid --title "Week 3" --field Course --field "Date=12 May" --space 6 --out week3b/
    tutor worksheet sigmoid tanh --kind derive --export stack --format md --out moodle/
    tutor worksheet matrix:dense_layer matrix:softmax_regression -k 4 --format md --out layers/

    A matrix lesson (tutor matrix list) is named matrix:NAME; it gives matrix_gradient problems:
    the gradient in NumPy notation, with the shape of each term.
    """
    from tutor.assessment.worksheet import check_counts
    from tutor.renderers.assessment.files import check_folder, render_files, write_files
    from tutor.renderers.assessment.report import written_summary
    from tutor.renderers.assessment.sheet import page
    from tutor.requests.worksheet import worksheet as make

    check_counts(problems, variants)
    folder = check_folder(out, force=force)
    chosen = tuple(dict.fromkeys(formats)) or FORMATS
    ws = keep(make(*lessons, problems=problems, variants=variants, seed=seed, kinds=kinds,
                   common_mistakes="stack" in exports))
    files = render_files(ws, chosen, tuple(dict.fromkeys(exports)), page(title, fields, space))
    write_files(folder, files, force=force)
    written_summary(out, ws, chosen, files)
    if "pdf" in chosen:
        from tutor.renderers.assessment.pdf import pdf_language

        note = pdf_language()[1]
        if note:
            click.echo(note, err=True)

"""``tutor grade``: students' answers marked against a worksheet's key."""

from __future__ import annotations

from pathlib import Path

import click

from tutor.cli.base import UserError, command
from tutor.cli.options import check_output_path
from tutor.i18n import _


@command()
@click.argument("key", metavar="KEY")
@click.argument("answers", metavar="ANSWERS")
@click.option("--csv", "csv_path", metavar="FILE",
              help="Write the class's scores to FILE (.csv) instead of printing them.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="How to show one student's grading.")
@click.option("--force", is_flag=True, help="Replace the --csv file if it exists.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, metavar="N",
              help="Processes grading a folder at once (default: every core); the results "
                   "are the same for any N.")
def grade(key, answers, csv_path, fmt, force, jobs):
    """Grade answers against a worksheet's key (key.json, or one variant's key).

    ANSWERS is one student's answers file, or a folder of them (*.txt): one answer per line,
    "3: 0.125", with a line "variant: s7-v03" naming the sheet (see the README).

    \b
    tutor grade sheets/key.json class/ada.txt
    tutor grade sheets/key.json class/ --csv scores.csv
    tutor grade sheets/key.json class/ --jobs 2 --csv scores.csv --force
    """
    from tutor.assessment.classroom import grade_files
    from tutor.assessment.grade import answer_files, grade_path, scores_csv
    from tutor.assessment.key import read_key
    from tutor.files import write_text
    from tutor.renderers.assessment import report

    check_output_path(csv_path, force=force, suffixes=(".csv",), option="--csv")
    keys = read_key(key)
    target = Path(answers)
    if not target.exists():
        raise UserError(_("answers {path}: no such file or folder").format(path=answers))
    if target.is_dir():
        files = answer_files(target)
        with report.GradingProgress(len(files)) as done:
            results = grade_files(keys, files, jobs=jobs, on_done=done)
        if not csv_path:
            return click.echo(scores_csv(results), nl=False)
        write_text(csv_path, scores_csv(results))
        return report.class_summary(results, csv_path)
    result = grade_path(keys, target, strict=True)
    if csv_path:
        write_text(csv_path, scores_csv([result]))
    if fmt == "json":
        click.echo(report.graded_json(result))
    else:
        report.render_graded(result)

"""Writing a run of worksheets to a folder: every file whole, or none of them.

Layout of the folder::

    variant-01.md  variant-01.tex  variant-01.html  variant-01.pdf   the sheets
    sheets.html                                                      all sheets, one per page
    answers/variant-01.md … answers/variant-01.pdf                   the answer keys
    answers/variant-01.json                                          one variant's machine key
    answers/answers.html                                             all keys, one per page
    key.json                                                         every variant's key
    quiz.xml  quiz.gift  stack.xml               with --export: a Moodle question bank, GIFT,
                                                 STACK questions

Everything is made in a hidden folder inside the output first; only when all of it exists is
it moved into place, under a journal that the next run finishes if this one is killed, so the
folder never keeps a mix of an earlier run and this one (:func:`tutor.files.file_set`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from tutor.errors import TutorError
from tutor.files import file_set, recover
from tutor.i18n import _
from tutor.assessment.key import dumps, sheet_key, worksheets_key
from tutor.assessment.worksheet import Worksheets

FORMATS = ("md", "tex", "html", "pdf")
#: files a run writes, to recognise an earlier run in a folder
_OURS = re.compile(r"variant-\d+\.(md|tex|html|pdf|json)|key\.json|sheets\.html|answers\.html"
                   r"|quiz\.(xml|gift)|stack\.xml")


class OutputError(TutorError):
    """An output folder that cannot be used."""


def earlier_run(folder: Path) -> list[str]:
    """Files of an earlier run in ``folder`` (and its answers/ folder)."""
    found = []
    for where in (folder, folder / "answers"):
        if where.is_dir():
            found += sorted(str(p.relative_to(folder)) for p in where.iterdir()
                            if _OURS.fullmatch(p.name))
    return found


def check_folder(out: str | os.PathLike, *, force: bool) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise OutputError(_("--out {out}: is a file, not a folder").format(out=out))
    parent = folder.resolve().parent
    if not folder.exists() and not parent.is_dir():
        raise OutputError(_("--out {out}: the folder {parent} does not exist")
                          .format(out=out, parent=parent))
    if folder.is_dir() and os.access(folder, os.W_OK):
        recover(folder)  # a run killed while moving into place is finished first
    if folder.exists():
        old = earlier_run(folder)
        if old and not force:
            first = (_("{first} and {n} more").format(first=old[0], n=len(old) - 1)
                     if len(old) > 1 else old[0])
            raise OutputError(_("--out {out}: holds earlier sheets ({first}); add --force to "
                                "replace them").format(out=out, first=first))
        if (folder / "answers").exists() and not (folder / "answers").is_dir():
            raise OutputError(_("--out {out}: answers is a file, not a folder").format(out=out))
    if not os.access(folder if folder.exists() else parent, os.W_OK):
        raise OutputError(_("--out {out}: the folder is not writable").format(out=out))
    return folder


EXPORTS = ("moodle", "gift", "stack")


def render_files(ws: Worksheets, formats=FORMATS, exports=(), page=None) -> dict[str, bytes]:
    """Every file of the run, by its path inside the output folder; ``page`` is how the sheets
    look (a title, header lines, room to work: see ``sheet.Page``)."""
    from tutor.renderers.assessment import sheet as sheets

    sheets.PAGE[0] = page or sheets.Page()
    try:
        return _render_files(ws, formats, exports)
    finally:
        sheets.PAGE[0] = sheets.Page()


def _render_files(ws: Worksheets, formats, exports) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    renderers = {}
    if "md" in formats:
        from tutor.renderers.assessment.markdown import sheet_markdown
        renderers["md"] = sheet_markdown
    if "tex" in formats:
        from tutor.renderers.assessment.latex import sheet_latex
        renderers["tex"] = sheet_latex
    if "html" in formats:
        from tutor.renderers.assessment.html import sheet_html, sheets_html
        renderers["html"] = sheet_html
    if "pdf" in formats:
        from tutor.renderers.assessment.pdf import sheet_pdf
    width = max(2, len(str(len(ws.sheets))))
    for sheet in ws.sheets:
        stem = f"variant-{sheet.variant:0{width}d}"
        for fmt, render in renderers.items():
            files[f"{stem}.{fmt}"] = render(sheet).encode("utf-8")
            files[f"answers/{stem}.{fmt}"] = render(sheet, key=True).encode("utf-8")
        if "pdf" in formats:
            files[f"{stem}.pdf"] = sheet_pdf(sheet)
            files[f"answers/{stem}.pdf"] = sheet_pdf(sheet, key=True)
        files[f"answers/{stem}.json"] = dumps(sheet_key(sheet)).encode("utf-8")
    if "html" in formats:
        files["sheets.html"] = sheets_html(ws.sheets).encode("utf-8")
        files["answers/answers.html"] = sheets_html(ws.sheets, key=True).encode("utf-8")
    if "moodle" in exports:
        from tutor.renderers.assessment.moodle import moodle_xml
        files["quiz.xml"] = moodle_xml(ws).encode("utf-8")
    if "gift" in exports:
        from tutor.renderers.assessment.gift import gift
        files["quiz.gift"] = gift(ws).encode("utf-8")
    if "stack" in exports:
        from tutor.renderers.assessment.stack import stack_xml
        files["stack.xml"] = stack_xml(ws).encode("utf-8")
    files["key.json"] = dumps(worksheets_key(ws)).encode("utf-8")
    return files


def write_files(folder: Path, files: dict[str, bytes], *, force: bool) -> None:
    """Write all ``files`` into ``folder`` as one set (:func:`tutor.files.file_set`), removing
    the files of an earlier run that this one does not replace: the folder never keeps a mix
    of two runs, even if this one is killed."""
    folder.mkdir(exist_ok=True)
    def remove() -> list[str]:  # read in this run's turn: another run may write before it
        return [rel for rel in earlier_run(folder) if rel not in files] if force else []

    with file_set(folder, list(files), remove=remove) as staged:
        for rel, data in files.items():
            Path(staged[rel]).write_bytes(data)

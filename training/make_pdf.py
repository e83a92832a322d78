"""Build the training PDFs from their sources: `pdf-src/<name>.md` -> `docs/<name>.pdf`.

The writers of the training data describe a report in a small markdown dialect (front matter, `#` headings,
paragraphs, pipe tables with a caption line before them, footnote lines); this turns it into an A4 PDF with a
real text layer, ruled tables (cells placed by position, as a real report's are), PDF metadata and a running
footer, so that the assistant reads the kind of PDF it meets in the wild. Usage:
    python training/make_pdf.py training/data/<slug> [...]
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import yaml
from fpdf import FPDF
from fpdf.fonts import FontFace

# Core fonts speak Latin-1 only: typographic punctuation is written as its plain form.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...",
                        "†": "+", "−": "-", "\u00a0": " "})


def _latin1(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


class _Report(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, _latin1(f"{self.footer_text} - Page {self.page_no()} of {{nb}}"), align="C")


def _line(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _blocks(body: str) -> list[list[str]]:
    blocks, current = [], []
    for line in body.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def build(source: Path, target: Path) -> None:
    text = source.read_text(encoding="utf-8")
    meta: dict = {}
    if text.startswith("---"):
        _, front, text = text.split("---", 2)
        meta = yaml.safe_load(front) or {}
    pdf = _Report(str(meta.get("footer") or meta.get("title") or source.stem))
    pdf.set_title(_latin1(str(meta.get("title", ""))))
    pdf.set_author(_latin1(str(meta.get("author", ""))))
    created = meta.get("created")
    if created:
        day = created if isinstance(created, dt.date) else dt.date.fromisoformat(str(created))
        pdf.set_creation_date(dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=dt.UTC))
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    for block in _blocks(text):
        rows = [line for line in block if line.lstrip().startswith("|")]
        if block[0].startswith("#"):
            level = len(block[0]) - len(block[0].lstrip("#"))
            pdf.set_font("Helvetica", "B", size={1: 16, 2: 13}.get(level, 11))
            _line(pdf, 8, block[0].lstrip("#").strip())
            pdf.ln(2)
            block = block[1:]
            if not block:
                continue
        if rows:
            caption = [line for line in block if not line.lstrip().startswith("|")]
            before = [line for line in caption if block.index(line) < block.index(rows[0])]
            after = [line for line in caption if line not in before]
            pdf.set_font("Helvetica", "B", size=10)
            for line in before:
                _line(pdf, 6, line)
            cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows
                     if not set(r.replace("|", "").strip()) <= set("-: ")]
            pdf.set_font("Helvetica", size=9)
            with pdf.table(headings_style=FontFace(emphasis="BOLD"), line_height=6) as table:
                for row in cells:
                    r = table.row()
                    for c in row:
                        r.cell(_latin1(c))
            pdf.set_font("Helvetica", size=8)
            for line in after:
                _line(pdf, 5, line)
            pdf.ln(3)
            continue
        pdf.set_font("Helvetica", size=10)
        for line in block:
            bullet = line.lstrip().startswith(("- ", "* ")) and not line.lstrip().startswith("* fewer")
            _line(pdf, 5.5, ("  - " + line.lstrip()[2:]) if bullet else line)
        pdf.ln(2)
    target.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(target))


def main(folders: list[str]) -> None:
    for folder in map(Path, folders):
        for source in sorted((folder / "pdf-src").glob("*.md")):
            target = folder / "docs" / f"{source.stem}.pdf"
            build(source, target)
            print(f"{source} -> {target}")


if __name__ == "__main__":
    main(sys.argv[1:])

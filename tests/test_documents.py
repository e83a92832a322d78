"""Loaders: every format, metadata, and broken files reported and skipped without stopping the rest."""

from __future__ import annotations

import io

import pypdf
import pytest

from assistant.documents import Document, LoadError, Skipped, load_file, load_paths

from .conftest import EVAL_DOCS


def test_markdown_front_matter_and_dates():
    doc = load_file(EVAL_DOCS / "wvp-press-2024-07-16-register-figures.md")
    assert doc.title.startswith("Register figures for 2023/24")
    assert doc.publisher == "Wessex Vale Police"
    assert doc.published == "2024-07-16"  # YAML date, converted to ISO text
    assert doc.doc_type == "press_release"
    assert doc.url.startswith("https://")
    assert not doc.text.startswith("---")


def test_markdown_null_date_stays_null():
    doc = load_file(EVAL_DOCS / "seed-oxfordshire-register.md")
    assert doc.published is None
    assert "310 registered offenders" in doc.text


def test_html_keeps_main_content_only():
    doc = load_file(EVAL_DOCS / "wvp-news-2024-11-12-foreign-travel-checks.html")
    assert doc.title == "Operation Waymark: eight arrested after foreign travel checks"
    assert doc.published == "2024-11-12"
    assert doc.publisher == "Wessex Vale Police"
    assert "268 foreign travel notifications" in doc.text
    assert "397" not in doc.text  # the related-news teaser outside <main>
    assert "cookie" not in doc.text.lower()
    assert "a trip you did not tell us about is a trip we will find out about" in doc.text


def test_pdf_metadata_text_and_table_rows():
    doc = load_file(EVAL_DOCS / "wv-community-safety-partnership-report-2024.pdf")
    assert doc.title == "Wessex Vale Community Safety Partnership: annual report 2023/24"
    assert doc.publisher == "Wessex Vale Community Safety Partnership"
    assert doc.published == "2024-12-03"
    # The ruled table is read cell by cell (pdfplumber), as a markdown table under its header row.
    assert "| Quarter | Applications received | Disclosures made |\n|---|---|---|" in doc.text
    assert "| Q3 (October to December 2023) | 48 | 7 |" in doc.text
    assert "Page 1 of 2" not in doc.text  # running footer removed


def test_pdf_tables_and_sentences_over_page_breaks(tmp_path):
    """A training PDF (fpdf2, ruled tables, a footnote, a sentence that runs over a page break): every table
    row keeps its cells apart, a wrapped cell is one cell, and the broken sentence is one paragraph."""
    from .conftest import ROOT

    doc = load_file(ROOT / "training" / "data" / "ashenvale" / "docs" / "ashenvale-mappa-annual-report-2024-25.pdf")
    assert "| District | 2024 | 2025 | Change |" in doc.text
    assert "| Cobble Hythe | 237 | 252 | +15 |" in doc.text
    assert "| Level 3: active multi-agency management | * | 6 |" in doc.text
    assert "| Registered sex offenders charged with breach of notification requirements | 58 | 71 |" in doc.text
    assert "published by Ashenvale Police in July 2025, after 15 records" in doc.text


def test_plain_text_takes_title_from_first_line(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("Guidance for residents\n\nSome text here.\n")
    doc = load_file(path)
    assert doc.title == "Guidance for residents"
    assert doc.published is None


def _blank_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.md", b"\x00\x01\x02PNG\x00" * 50, "binary"),
        ("bad-yaml.md", b"---\ntitle: [unclosed\n---\nBody\n", "front matter"),
        ("list-yaml.md", b"---\n- a\n- b\n---\nBody\n", "front matter"),
        ("empty.txt", b"", "empty"),
        ("scan.pdf", _blank_pdf(), "text layer"),
        ("broken.pdf", b"%PDF-1.4 not really a pdf", "PDF"),
        ("data.csv", b"a,b\n1,2\n", "unsupported"),
    ],
)
def test_broken_files_are_reported_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason):
        load_file(path)


def test_yaml_tags_never_construct_objects(tmp_path):
    path = tmp_path / "hostile.md"
    path.write_text("---\ntitle: !!python/object/apply:os.system ['echo hi']\n---\nBody text.\n")
    with pytest.raises(LoadError, match="front matter"):
        load_file(path)


def test_one_bad_file_does_not_stop_the_rest(tmp_path):
    (tmp_path / "good.md").write_text("# Good\n\nFine text.\n")
    (tmp_path / "bad.md").write_bytes(b"\x00" * 100)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "also-good.txt").write_text("Also good\n\nMore text.\n")
    results = list(load_paths([tmp_path]))
    loaded = sorted(r.source for r in results if isinstance(r, Document))
    skipped = [r for r in results if isinstance(r, Skipped)]
    assert loaded == ["good.md", "sub/also-good.txt"]  # sources are relative to the folder given
    assert [s.source for s in skipped] == ["bad.md"] and "binary" in skipped[0].reason


def test_non_utf8_text_is_loaded_readably(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\xe9 opening times\n\nOpen daily.".encode("cp1252"))
    assert load_file(path).title == "Café opening times"


def test_two_files_with_one_name_keep_the_first_and_report_the_second(tmp_path):
    """A document is known by its name in the index: a second file of that name would silently replace it."""
    for folder, figure in (("a", "310"), ("b", "999")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "release.md").write_text(f"# Release\n\nThere are {figure} registered offenders.\n")
    items = list(load_paths([tmp_path / "a", tmp_path / "b"]))
    assert [type(i) for i in items] == [Document, Skipped]
    assert "310" in items[0].text
    assert "same name" in items[1].reason and "rename" in items[1].reason


def test_header_block_gives_date_and_publisher_of_plain_text_and_bare_markdown():
    """A statement's header block ("Made by: <a person>", "Issued by: <the office>", "Date: Monday 3 November
    2025") and a bare markdown page's "Published 3 March 2025" line are read as metadata."""
    from .conftest import ROOT

    data = ROOT / "training" / "data"
    statement = load_file(data / "fenwold" / "docs" / "fenwold-opcc-statement-2025-11-03-mappa-report.txt")
    assert statement.published == "2025-11-03"
    assert statement.publisher == "Office of the Police and Crime Commissioner for Fenwold"
    bulletin = load_file(data / "corrowmere" / "docs" / "corrowmere-marrowgate-csp-bulletin-2024-08.txt")
    assert bulletin.publisher == "Marrowgate Borough Council"  # "... on behalf of the Partnership" is not its name
    guidance = load_file(data / "ashenvale" / "docs" / "ashenvale-guidance-notification-requirements.md")
    assert guidance.published == "2025-03-03"


def _page(head: str) -> str:
    body = "<p>" + "There were 310 registered sex offenders living in Testshire at 31 March 2024. " * 4 + "</p>"
    return (f"<html><head><title>Register figures</title>{head}</head><body><article><h1>Register figures</h1>"
            f"{body}</article></body></html>")


def test_an_html_page_publisher_is_its_own_name_never_its_domain(tmp_path):
    pages = {
        "og.html": '<meta property="og:site_name" content="Testshire Police">'
                   '<link rel="canonical" href="https://www.example-testshire-police.uk/news/1">',
        "ld.html": '<script type="application/ld+json">{"@type": "NewsArticle", "publisher": '
                   '{"@type": "Organization", "name": "Testshire Gazette"}}</script>',
        "bare.html": '<link rel="canonical" href="https://www.example-testshire-police.uk/news/2">',
    }
    got = {}
    for name, head in pages.items():
        (tmp_path / name).write_text(_page(head), encoding="utf-8")
        got[name] = load_file(tmp_path / name).publisher
    assert got == {"og.html": "Testshire Police", "ld.html": "Testshire Gazette", "bare.html": None}, got

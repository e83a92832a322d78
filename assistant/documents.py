"""Stage 1: files -> `Document` (plain text plus metadata), or a `Skipped` record saying why not.

Every format is turned into one light, markdown-like text (headings as `#`, lists as `-`, tables as rows)
so that the chunker has a single grammar to follow. Citations point into exactly this text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path

from . import config

DOC_TYPES = ("press_release", "guidance", "statistics", "faq", "statement", "news")


class LoadError(Exception):
    """A file that cannot be turned into a document; the message is shown to the user as the reason."""


@dataclass(frozen=True)
class Document:
    source: str  # path relative to the ingested folder: the document's identity
    text: str
    title: str
    publisher: str | None = None
    published: str | None = None  # ISO YYYY-MM-DD
    url: str | None = None
    doc_type: str | None = None

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a citation shows would change."""
        meta = "\x1f".join(str(v) for v in self.metadata().values())
        return hashlib.sha256((meta + "\x1e" + self.text).encode()).hexdigest()[:32]

    def metadata(self) -> dict[str, str | None]:
        """Everything but the text (read per chunk at ingest, so no `asdict`, which copies the text)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "text"}


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


# --- walking the paths ---------------------------------------------------------------------------------

def iter_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str] | Skipped]:
    """Yield (file, source) pairs; source is relative to the folder given, or the bare name for a file. What
    cannot be read as a plain file is yielded as `Skipped` with its reason: a symbolic link (never followed, so
    nothing outside the folders given is read), a FIFO, socket or device (reading one would hang), a folder
    that cannot be listed (its source ends in "/", so `--prune` keeps the documents under it)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():  # a folder named by the user is read even through a link; links inside it are not
            yield from _walk(path, path)
        else:
            problem = _not_a_plain_file(path, follow=True)
            yield Skipped(path.name, problem) if problem else (path, path.name)


def _walk(root: Path, folder: Path) -> Iterator[tuple[Path, str] | Skipped]:
    rel = folder.relative_to(root).as_posix()
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Skipped(f"{rel}/" if rel != "." else "./", f"folder cannot be read ({exc.strerror or exc}); "
                      "its documents are left as they are")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        source = path.relative_to(root).as_posix()
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(root, path)
            continue
        problem = _not_a_plain_file(path)
        yield Skipped(source, problem) if problem else (path, source)


def _not_a_plain_file(path: Path, follow: bool = False) -> str | None:
    try:
        mode = (path.stat() if follow else path.lstat()).st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISLNK(mode):
        return "is a symbolic link; links are not followed (copy the file into the folder instead)"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a FIFO, socket or device); only files are read"
    return None


def load_paths(paths: Iterable[str | Path]) -> Iterator[Document | Skipped]:
    """Load everything under `paths`; one bad file never stops the rest, and none takes longer than its budget."""
    first: dict[str, Path] = {}
    with _Fenced() as fenced:
        for item in iter_files(paths):
            if isinstance(item, Skipped):
                yield item
                continue
            file, source = item
            if first.setdefault(source, file) != file:  # a document is known by its name: two can't share one
                yield Skipped(source, f"{file} has the same name as {first[source]}, read first; rename one of them")
                continue
            try:
                yield fenced.load(file, source)
            except LoadError as exc:
                yield Skipped(source, str(exc))
            except OSError as exc:  # unreadable, or gone since it was listed
                yield Skipped(source, f"cannot be read ({exc.strerror or exc})")


class _Fenced:
    """Reads PDFs and large files in one worker process, stopped (and started again for the next file) when a
    file is not read within `config.FILE_SECONDS`: the PDF parsers are pure Python and cannot be interrupted
    from a thread, and every other file type's reading is linear in its size. The worker is spawned, not
    forked (the parent runs onnxruntime's threads), once per ingest and only when such a file comes."""

    def __init__(self) -> None:
        self.pool = None

    def __enter__(self) -> _Fenced:
        return self

    def __exit__(self, *_) -> None:
        self._stop()

    def _stop(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def load(self, file: Path, source: str) -> Document:
        try:
            fenced = file.suffix.lower() == ".pdf" or file.stat().st_size > config.FENCED_LOAD_BYTES
        except OSError:
            fenced = False  # load_file says why it cannot be read
        if not fenced:
            return load_file(file, source)
        if self.pool is None:
            self.pool = multiprocessing.get_context("spawn").Pool(1)
            self.pool.apply(os.getpid)  # started and ready: the budget counts reading only
        job = self.pool.apply_async(load_file, (file, source))
        try:
            return job.get(timeout=config.FILE_SECONDS)
        except multiprocessing.TimeoutError:
            self._stop()
            raise LoadError(f"not read within {config.FILE_SECONDS:g} s (a damaged or hostile file?); "
                            "skipped") from None


def load_file(path: Path, source: str | None = None) -> Document:
    source = source or path.name
    suffix = path.suffix.lower()
    if suffix not in config.SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported file type {suffix or '(none)'}; supported: "
                        + ", ".join(config.SUPPORTED_SUFFIXES))
    if not path.exists():
        raise LoadError("no such file")
    problem = _not_a_plain_file(path, follow=True)
    if problem:
        raise LoadError(problem)
    size = path.stat().st_size
    if size > config.MAX_FILE_BYTES:
        raise LoadError(f"file is {size / 1e6:.0f} MB, over the {config.MAX_FILE_BYTES / 1e6:.0f} MB limit; "
                        "split it into smaller documents")
    data = path.read_bytes()
    if suffix == ".pdf":
        doc = _load_pdf(data, source)
    elif suffix in (".html", ".htm"):
        doc = _load_html(_decode(data), source)
    elif suffix in (".md", ".markdown"):
        doc = _load_markdown(_decode(data), source)
    else:
        doc = _load_plain(_decode(data), source)
    if not doc.text.strip():
        raise LoadError("no text to index (the file is empty once loaded)")
    return doc


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError("looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # old Windows exports: keep them readable
        sample = text[:20_000]
        readable = sum(ch.isalnum() or ch.isspace() or ch in ".,;:!?'\"()-–—£$%&/*+=#@[]" for ch in sample)
        if readable < 0.85 * len(sample):  # random bytes decode as cp1252 too, mostly into symbols
            raise LoadError("looks like binary data, not text (under 85% of it reads as words)") from None
    return _clean_text(text)


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Control characters (other than tab and newline) carry nothing a reader needs.
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)


# --- markdown and plain text ---------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)


def _load_markdown(text: str, source: str) -> Document:
    meta: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        meta = _parse_front_matter(match.group(1))
        text = text[match.end():]
    text = text.strip("\n")
    published, publisher = _opening_metadata(text) if not match else (None, None)  # no front matter: read the top
    return Document(
        source=source,
        text=text,
        title=_as_str(meta.get("title")) or _first_heading(text) or source,
        publisher=_as_str(meta.get("publisher")) or publisher,
        published=_as_date(meta.get("published")) or published,
        url=_as_str(meta.get("url")),
        doc_type=_as_doc_type(meta.get("doc_type")),
    )


_CAPS_HEADING = re.compile(r"^(?=[^a-z\n]*[A-Z]{3})[A-Z0-9][A-Z0-9 ,'’&()/:?-]{2,80}$", re.M)
_DATE_WORD = re.compile(r"\b(published|issued|issue|date|dated|updated)\b", re.I)
_DATE_IN_LINE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)? (january|february|march|april|may|june|july|august|"
                           r"september|october|november|december) (\d{4})\b|\b(\d{4}-\d{2}-\d{2})\b", re.I)
_BY_LINE = re.compile(r"^\W*(issued by|published by|made by)\s*:?\s*(.+)$", re.I)
_BY_LINE_END = re.compile(r"\s+on behalf of\s+|\s+\(|,?\s+(?:on\s+)?\d{1,2} [A-Z][a-z]+ \d{4}")  # after the name
_BY_PREFERENCE = ("issued by", "published by", "made by")  # an office issues what a named person made


def _opening_metadata(text: str) -> tuple[str | None, str | None]:
    """(published, publisher) from a document's opening lines: "Date: Monday 3 November 2025", "Issue 31,
    published 3 December 2025", "Published by Marrowgate Borough Council on behalf of ...", "Made by: ...".
    A "last updated" date is used only when no other date is given."""
    dates: list[tuple[bool, str]] = []
    by: dict[str, str] = {}
    for line in text.splitlines()[:12]:
        line = line.strip().strip("*_#").strip()[:200]
        word = _DATE_WORD.search(line)
        found = _DATE_IN_LINE.search(line) if word else None
        if found:
            iso = found.group(4) or _text_date(f"{found.group(1)} {found.group(2)} {found.group(3)}")
            if iso and _as_date(iso):
                dates.append((word.group(1).lower() == "updated", iso))
        named = _BY_LINE.match(line)
        if named:
            who = _BY_LINE_END.split(named.group(2))[0]
            by.setdefault(named.group(1).lower(), who.strip(" .,;:"))
    published = next((d for updated, d in sorted(dates, key=lambda x: x[0])), None)
    publisher = next((by[k] for k in _BY_PREFERENCE if by.get(k)), None)
    return published, publisher


def _load_plain(text: str, source: str) -> Document:
    """Plain text has no markup, but it often has SHOUTED headings and a header block ("Date: 3 November
    2025", "Made by: ..."): mark the first as headings, read the second as the date and publisher."""
    text = text.strip("\n")
    title = _first_heading(text) or source
    text = _CAPS_HEADING.sub(lambda m: "## " + m.group(0), text)
    head = "\n".join(text.splitlines()[:12])
    published, publisher = _opening_metadata(text)
    url = next(iter(re.findall(r"^\s*(https?://\S+)\s*$", head, re.M)), None)
    return Document(source=source, text=text, title=title, publisher=publisher, published=published, url=url)


def _text_date(text: str) -> str | None:
    for fmt in ("%d %B %Y", "%d %b %Y", "%Y-%m-%d", "%B %d, %Y"):
        try:
            return dt.datetime.strptime(text.strip().rstrip("."), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _parse_front_matter(raw: str) -> dict:
    import yaml

    if len(raw) > config.MAX_FRONT_MATTER_CHARS:
        raise LoadError("front matter is too large to be metadata")
    try:
        # The safe loader (YAML tags never construct objects), in C where libyaml is there: 10x faster.
        meta = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        raise LoadError(f"malformed YAML front matter: {str(exc).splitlines()[0]}") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise LoadError("front matter is not a mapping of keys to values")
    return meta


def _first_heading(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return None


def _as_str(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    value = str(value).strip()
    return value[:500] or None


def _as_date(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            return None
    return None


def _as_doc_type(value: object) -> str | None:
    value = _as_str(value)
    return value if value in DOC_TYPES else None


# --- HTML ----------------------------------------------------------------------------------------------

def _load_html(html: str, source: str) -> Document:
    import trafilatura

    # favor_precision keeps the article and drops navigation, cookie banners, asides and footers.
    body = trafilatura.extract(html, output_format="markdown", include_tables=True, include_links=False,
                               include_images=False, include_comments=False, favor_precision=True)
    if not body:
        raise LoadError("no main content found in the HTML page")
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta and meta.title else None) or _first_heading(body) or source
    text = _clean_text(body).strip("\n")
    if not text.lstrip().startswith("#"):
        text = f"# {title}\n\n{text}"
    return Document(
        source=source,
        text=text,
        title=title,
        publisher=_html_publisher(html, meta.sitename if meta else None),
        published=_as_date(meta.date) if meta else None,
        url=(meta.url if meta else None) or None,
        doc_type=None,
    )


_DOMAIN = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)+$")


def _html_publisher(html: str, sitename: str | None) -> str | None:
    """Who published a page, as it names itself: og:site_name, a JSON-LD publisher, or the site name the
    extractor found; never a bare domain ("example-police.uk" is an address, not a publisher)."""
    import lxml.html

    try:
        tree = lxml.html.fromstring(html.encode("utf-8", "replace"))
    except (ValueError, lxml.etree.ParserError):
        return None
    found = tree.xpath('string(//meta[@property="og:site_name"]/@content)').strip()
    for script in tree.xpath('//script[@type="application/ld+json"]/text()')[:5] if not found else []:
        try:
            data = json.loads(script[:100_000])
        except ValueError:
            continue
        for item in data if isinstance(data, list) else [data]:
            publisher = item.get("publisher") if isinstance(item, dict) else None
            name = publisher.get("name") if isinstance(publisher, dict) else publisher
            if isinstance(name, str) and name.strip():
                found = name.strip()
                break
        if found:
            break
    found = found or (sitename or "").strip()
    return found if found and not _DOMAIN.match(found) else None


# --- PDF -----------------------------------------------------------------------------------------------

def _load_pdf(data: bytes, source: str) -> Document:
    import io

    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = _pdf_pages(data, reader)
        info = reader.metadata or {}
    except Exception as exc:  # pypdf raises many types for damaged files
        raise LoadError(f"unreadable PDF ({type(exc).__name__}: {exc})") from None
    if not any(isinstance(s, list) or s.strip() for p in pages for s in p):
        raise LoadError("the PDF has no text layer (a scan?); run OCR on it first")
    text = _reflow_pdf(pages)
    title = _as_str(info.get("/Title")) or _first_heading(text) or source
    return Document(
        source=source,
        text=text,
        title=title,
        publisher=_as_str(info.get("/Author")),
        published=_pdf_date(info.get("/CreationDate")),
        url=None,
        doc_type=None,
    )


Segment = str | list[list[str]]  # a run of text lines, or a table's rows of cells


def _pdf_pages(data: bytes, reader) -> list[list[Segment]]:
    """Each page as its text and its ruled tables, in reading order. pdfplumber finds a table's cells by their
    position on the page (pypdf gives a row as one line with no column boundaries, and a cell that wraps as two
    lines); pages without a ruled table keep pypdf's text, which the reflow below was built on."""
    import io

    import pdfplumber

    pages: list[list[Segment]] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page, plain in zip(pdf.pages, reader.pages, strict=True):
            try:
                tables = sorted(page.find_tables(), key=lambda t: t.bbox[1])
            except Exception:  # a malformed page: its text layer is still worth reading
                tables = []
            if not tables:
                pages.append([plain.extract_text() or ""])
                continue
            segments: list[Segment] = []
            top = 0.0
            for table in tables:
                if table.bbox[1] > top + 1:
                    segments.append(page.crop((0, top, page.width, table.bbox[1])).extract_text() or "")
                rows = [[" ".join((cell or "").split()).replace("|", "/") for cell in row] for row in table.extract()]
                segments.append([row for row in rows if any(row)])
                top = max(top, table.bbox[3])
            if page.height > top + 1:
                segments.append(page.crop((0, top, page.width, page.height)).extract_text() or "")
            pages.append(segments)
    return pages


def _pdf_date(value: object) -> str | None:
    match = re.match(r"D:(\d{4})(\d{2})(\d{2})", str(value or ""))
    if not match:
        return None
    return _as_date("-".join(match.groups()))


_NUMBER = r"-?\d[\d,]*(?:\.\d+)?%?"
_ROW = re.compile(rf"\S.*?(?:\s{_NUMBER}){{2,}}")  # a label followed by two or more figures
_SENTENCE_END = re.compile(r"[.!?:;\"”)]$")


def _reflow_pdf(pages: list[list[Segment]]) -> str:
    """Join the text layer's hard-wrapped lines into paragraphs, drop running headers and footers, and mark
    short title-like lines as headings, so a PDF chunks like any other document; ruled tables become markdown
    tables, a row per line under its header row."""
    lines_by_page = [[ln.strip() for seg in page if isinstance(seg, str) for ln in seg.splitlines()]
                     for page in pages]
    repeated = _running_lines(lines_by_page)
    blocks: list[str] = []
    for page, page_lines in zip(pages, lines_by_page, strict=True):
        kept = [ln for ln in page_lines if ln and _mask_digits(ln) not in repeated]
        width = sorted(len(ln) for ln in kept)[int(len(kept) * 0.9)] if kept else 80
        for seg in page:
            if isinstance(seg, list):
                blocks.append(_GRID + _markdown_table(seg))
            else:
                lines = [ln.strip() for ln in seg.splitlines()]
                more = _text_blocks([ln for ln in lines if ln and _mask_digits(ln) not in repeated], width)
                if blocks and more and _continues(blocks[-1], more[0]):
                    blocks[-1] += " " + more.pop(0)  # a sentence that runs over a page break
                blocks += more
    return "\n\n".join(_heading_or_text(b) for b in _join_table_rows(blocks))


_GRID = "\x00grid"


def _continues(before: str, after: str) -> bool:
    return not before.startswith(_GRID) and not _SENTENCE_END.search(before) and after[:1].islower()


def _markdown_table(rows: list[list[str]]) -> str:
    width = max(len(r) for r in rows)
    lines = ["| " + " | ".join(r + [""] * (width - len(r))) + " |" for r in rows]
    return "\n".join([lines[0], "|" + "---|" * width, *lines[1:]])


def _text_blocks(lines: list[str], width: int) -> list[str]:
    """A page's text lines as paragraphs: a paragraph's lines run to full width except its last."""
    blocks: list[str] = []
    current, last = "", ""
    for line in lines:
        wrapped = len(last) >= 0.8 * width and not _ROW.fullmatch(last)
        starts_new = last.endswith((".", ":", "?", "!")) and _title_like(line)
        if current and wrapped and not starts_new and not _ROW.fullmatch(line):
            current += " " + line
        else:
            if current:
                blocks.append(current)
            current = line
        last = line
    if current:
        blocks.append(current)
    return blocks


def _running_lines(lines_by_page: list[list[str]]) -> set[str]:
    if len(lines_by_page) < 2:
        return set()
    counts: dict[str, int] = {}
    for lines in lines_by_page:
        for ln in {_mask_digits(ln) for ln in lines if ln}:
            counts[ln] = counts.get(ln, 0) + 1
    return {ln for ln, n in counts.items() if n >= max(2, len(lines_by_page) // 2 + 1)}


def _mask_digits(line: str) -> str:
    return re.sub(r"\d+", "#", line)


def _join_table_rows(blocks: list[str]) -> list[str]:
    """Consecutive number-ending lines form a table: keep them (and the header line before them) in one
    block, one row per line, so the chunker sees a table."""
    out: list[str] = []
    for block in blocks:
        is_row = "\n" not in block and _ROW.fullmatch(block) and len(block) < 120
        if is_row and out and out[-1].startswith("\x00table"):
            out[-1] += "\n" + block
        elif is_row:
            header = out.pop() if out and not _SENTENCE_END.search(out[-1]) and len(out[-1]) < 120 else None
            out.append("\x00table" + ((header + "\n") if header else "") + block)
        else:
            out.append(block)
    return out


def _title_like(line: str) -> bool:
    return (len(line.split()) <= 12 and line[:1].isupper() and line.count(",") <= 1 and ". " not in line
            and not re.search(r"[.,;:!?\"”)]$", line))


def _heading_or_text(block: str) -> str:
    if block.startswith(_GRID):
        return block[len(_GRID):]
    if block.startswith("\x00table"):
        return "\n".join("| " + ln for ln in block[len("\x00table"):].splitlines())
    return "## " + block if _title_like(block) else block

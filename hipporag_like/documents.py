"""Text and title out of document formats: Markdown, PDF (text layer) and HTML (main text).

PDF and HTML need the `docs` extra (pypdf, BeautifulSoup); they are imported on first use and
a missing one is a `MissingExtraError` naming the extra. Nothing here decides passages: the
reader (`corpus.py`) cuts what these return.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, MissingExtraError

# pypdf logs what it repairs or cannot read ("invalid pdf header") as warnings, which Python
# prints on stderr when the application configured no logging; our own one-line error (or the
# text read) says what matters. Applications that configure logging still receive them.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

PDF_PAGE_BREAK = "\n\n"  # between the text of two pages; page numbers stay in the provenance

_MARKDOWN_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_SPACES = re.compile(r"[ \t\r\f\v\n]+")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")

# HTML: dropped whole (not text a reader of the page reads as its content)...
_HTML_DROP = frozenset({"script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "head",
                        "nav", "aside", "form", "button", "select"})
# ...and elements that start a new paragraph.
_HTML_BLOCKS = frozenset({"address", "article", "blockquote", "caption", "dd", "details", "div", "dl", "dt", "fieldset",
                          "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
                          "main", "ol", "p", "pre", "section", "summary", "table", "tr", "ul", "body"})


def markdown_title(text: str) -> str | None:
    """The first ATX heading (`# Title`), without its marks; None when there is none."""
    match = _MARKDOWN_HEADING.search(text)
    return match.group(1).strip() if match else None


@dataclass(frozen=True)
class PdfText:
    """A PDF's text layer: the pages' text joined by PDF_PAGE_BREAK, where each page starts in
    it (page numbers are 1-based, empty pages included in the numbering) and the title."""

    text: str
    page_starts: tuple[tuple[int, int], ...]  # (offset in text, page number), pages with text only
    title: str | None
    pages: int

    def pages_of(self, start: int, end: int) -> list[int]:
        """First and last page numbers of the span [start, end)."""
        first = last = self.page_starts[0][1]
        for offset, page in self.page_starts:
            if offset <= start:
                first = page
            if offset < end:
                last = page
        return [first, last]


def read_pdf(path: Path) -> PdfText:
    """Extract the text layer of every page. A PDF with no text layer gives empty text.

    Raises:
        MissingExtraError: pypdf is not installed.
        InputError: the file is not a readable PDF, or it is encrypted.
    """
    try:
        from pypdf import PdfReader
    except ImportError:
        raise MissingExtraError("pypdf", "docs") from None
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{path}: the PDF is encrypted; decrypt it first")
        parts: list[str] = []
        starts: list[tuple[int, int]] = []
        at = 0
        for number, page in enumerate(reader.pages, start=1):
            text = (page.extract_text() or "").strip()
            if not text:
                continue
            if parts:
                at += len(PDF_PAGE_BREAK)
            starts.append((at, number))
            parts.append(text)
            at += len(text)
        title = _pdf_title(reader.metadata)
        pages = len(reader.pages)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on damaged files; all mean "unreadable"
        raise InputError(f"{path}: not a readable PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
    return PdfText(PDF_PAGE_BREAK.join(parts), tuple(starts), title, pages)


def _pdf_title(metadata: Any) -> str | None:
    try:
        title = metadata.title if metadata is not None else None
    except Exception:  # noqa: BLE001 - a malformed info dictionary only loses the title
        return None
    title = _SPACES.sub(" ", str(title)).strip() if title else ""
    return title or None


def read_html(data: bytes, path: Path) -> tuple[str | None, str]:
    """(title, main text) of an HTML page. The title is <title>, else the first <h1>; the text
    is that of <main> (else the only <article>, else <body>) without scripts, styles,
    navigation and forms, one paragraph per block element, white space collapsed outside <pre>.

    Raises:
        MissingExtraError: BeautifulSoup is not installed.
        InputError: the page is nested too deeply to walk.
    """
    try:
        from bs4 import BeautifulSoup
    except ImportError:
        raise MissingExtraError("beautifulsoup4", "docs") from None
    try:
        soup = BeautifulSoup(data, "html.parser")
        title = _element_text(soup.title) or _element_text(soup.find("h1"))
        articles = soup.find_all("article")
        root = soup.find("main") or (articles[0] if len(articles) == 1 else None) or soup.body or soup
        parts: list[str] = []
        _walk(root, parts, preformatted=False)
    except RecursionError:
        raise InputError(f"{path}: HTML nested too deeply to read") from None
    paragraphs = (p.strip() for p in _PARAGRAPH.split("".join(parts)))
    return title, "\n\n".join(p for p in paragraphs if p)


def _element_text(element: Any) -> str | None:
    if element is None:
        return None
    text = _SPACES.sub(" ", element.get_text(" ")).strip()
    return text or None


def _walk(node: Any, out: list[str], preformatted: bool) -> None:
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    for child in node.children:
        if isinstance(child, PreformattedString):  # comments, CDATA, doctypes, processing instructions
            continue
        if isinstance(child, NavigableString):
            out.append(str(child) if preformatted else _SPACES.sub(" ", str(child)))
            continue
        if not isinstance(child, Tag) or child.name in _HTML_DROP:
            continue
        if child.name == "br":
            out.append("\n")
            continue
        block = child.name in _HTML_BLOCKS
        if block:
            out.append("\n\n")
        if child.name in ("td", "th"):
            out.append(" ")
        _walk(child, out, preformatted or child.name == "pre")
        if block:
            out.append("\n\n")


__all__ = ["markdown_title", "read_pdf", "read_html", "PdfText", "PDF_PAGE_BREAK"]

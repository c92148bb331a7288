"""Shared reportlab plumbing for the documents the centre issues (docs/architecture.md §6).

- one CJK font, registered once: an embedded TrueType font when one is installed (Debian's
  fonts-wqy-zenhei, else fonts-arphic), else the non-embedded CID font STSong-Light (logged);
- paragraph styles with ``wordWrap='CJK'``;
- ``esc()``: every user string goes through it before it enters a ``Paragraph``;
- a page template with the document number and date in the header, "第 x 页 / 共 y 页"
  in the footer (``NumberedCanvas``: totals are written when the document is saved), and the
  verification code + URL line.

Builders are pure functions: data dict in, PDF bytes out. Nothing here touches the database.
"""
from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape as _xml_escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

logger = logging.getLogger(__name__)

FONT_NAME = "JRCJK"

# (path, subfontIndex) candidates, first found wins. TrueType only: reportlab cannot embed CFF .otf.
FONT_CANDIDATES: Sequence[tuple[str, int]] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
)


@dataclass(frozen=True)
class FontInfo:
    name: str
    embedded: bool
    source: str


@lru_cache(maxsize=1)
def cjk_font() -> FontInfo:
    """Register the CJK font once per process and say which one it is."""
    from reportlab.pdfbase.ttfonts import TTFont

    env_path = os.environ.get("JR_PDF_FONT")
    candidates = ([(env_path, 0)] if env_path else []) + list(FONT_CANDIDATES)
    for path, index in candidates:
        if path and os.path.exists(path):
            try:
                pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=index))
            except Exception:  # pragma: no cover - a broken font file: try the next one
                logger.exception("could not register the CJK font %s", path)
                continue
            return FontInfo(FONT_NAME, True, path)
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    logger.warning(
        "No TrueType CJK font found (install fonts-wqy-zenhei); using the non-embedded CID font STSong-Light"
    )
    return FontInfo("STSong-Light", False, "STSong-Light (CID, not embedded)")


# What one field may print (issue 8): a text longer than its cap is cut and the note below is printed
# in its place, so that no input (not even one stored before the limits existed) can make a document
# impossible to render or hundreds of pages long. The caps are at least the model limits
# (jointreview.limits): text that passed validation is always printed in full.
TRUNCATION_NOTE = "（内容过长，已截断，完整内容见系统）"
FIELD_CAP = 500  # names, numbers, standards, clauses, short reasons and notes
TEXT_CAP = 5000  # a finding, the owner's answer to it, a condition (FINDING_TEXT_MAX)
SUMMARY_CAP = 10000  # the summary of an opinion (OPINION_SUMMARY_MAX)
CELL_CAP = 300  # a table cell (a row of a table cannot be split across pages)


def cap(value: object, limit: int = FIELD_CAP) -> tuple[str, bool]:
    """(the text, at most ``limit`` characters; whether it was cut)."""
    text = "" if value is None else str(value)
    if len(text) <= limit:
        return text, False
    return text[:limit], True


def esc(value: object, limit: int = FIELD_CAP) -> str:
    """Escape a user string for a reportlab Paragraph (its mini-markup is XML), cut at ``limit``
    characters with the visible note ``TRUNCATION_NOTE``."""
    text, cut = cap(value, limit)
    out = _xml_escape(text).replace("\n", "<br/>")
    return out + TRUNCATION_NOTE if cut else out


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    font = cjk_font().name
    base = ParagraphStyle("jr-body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("jr-small", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#444444")),
        "title": ParagraphStyle(
            "jr-title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=6
        ),
        "subtitle": ParagraphStyle("jr-subtitle", parent=base, fontSize=11, leading=16, alignment=TA_CENTER),
        "h1": ParagraphStyle("jr-h1", parent=base, fontSize=13, leading=19, spaceBefore=10, spaceAfter=4),
        "h2": ParagraphStyle("jr-h2", parent=base, fontSize=11.5, leading=17, spaceBefore=6, spaceAfter=2),
        "finding": ParagraphStyle("jr-finding", parent=base, leftIndent=18, firstLineIndent=-18, spaceAfter=3),
        "meta": ParagraphStyle(
            "jr-meta", parent=base, fontSize=8.5, leading=11, leftIndent=18, textColor=colors.HexColor("#555555"),
            spaceAfter=4,
        ),
    }


def para(text: str, style: str = "body") -> Paragraph:
    """A Paragraph from ALREADY ESCAPED markup (build it with esc())."""
    return Paragraph(text, styles()[style])


@dataclass
class PageInfo:
    """What every page shows around the body."""

    centre: str
    title: str
    number: str
    date: str
    verification_code: str
    verify_url: str
    draft: bool = False


class NumberedCanvas(rl_canvas.Canvas):
    """Defers each page until save() so the footer can say 'of y' (one layout pass)."""

    page_info: PageInfo | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab API
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        info = self.page_info
        font = cjk_font().name
        width, height = self._pagesize
        self.saveState()
        self.setFont(font, 8.5)
        self.setFillColor(colors.HexColor("#333333"))
        if info is not None:
            self.drawString(20 * mm, height - 12 * mm, f"{info.centre}  {info.title}")
            self.drawRightString(width - 20 * mm, height - 12 * mm, f"文号 {info.number}   日期 {info.date}")
            self.setStrokeColor(colors.HexColor("#999999"))
            self.line(20 * mm, height - 14 * mm, width - 20 * mm, height - 14 * mm)
            self.drawString(
                20 * mm, 10 * mm, f"验证码 {info.verification_code}   {info.verify_url}"
            )
            if info.draft:
                self.setFont(font, 60)
                self.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.15))
                self.translate(width / 2, height / 2)
                self.rotate(40)
                self.drawCentredString(0, 0, "草稿")
                self.rotate(-40)
                self.translate(-width / 2, -height / 2)
                self.setFont(font, 8.5)
                self.setFillColor(colors.HexColor("#333333"))
        page = self._pageNumber
        self.drawRightString(width - 20 * mm, 10 * mm, f"第 {page} 页 / 共 {total} 页")
        self.restoreState()


def render(story: list[Flowable], info: PageInfo) -> tuple[bytes, int]:
    """Lay out the story on A4 with the header/footer; return (pdf bytes, page count)."""
    cjk_font()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=f"{info.title} {info.number}",
        author=info.centre,
        subject=info.title,
    )
    pages: list[int] = []

    class _Canvas(NumberedCanvas):
        page_info = info

        def save(self):
            pages.append(len(self._saved_pages))
            super().save()

    doc.build(story, canvasmaker=_Canvas)
    return buf.getvalue(), (pages[0] if pages else 0)


def build(story_fn: Callable[[dict], list[Flowable]], data: dict) -> bytes:
    """Convenience: story from data, rendered with the page info found in data."""
    pdf, _ = render(story_fn(data), page_info(data))
    return pdf


HEADER_CAP = 60  # what one line of the page header or footer holds


def _line(value: object) -> str:
    """A header/footer value (drawn on every page, not wrapped): cut to what a line holds, with an
    ellipsis (the note would not fit on the line)."""
    text, cut = cap(value, HEADER_CAP)
    return text + "…" if cut else text


def page_info(data: dict) -> PageInfo:
    return PageInfo(
        centre=_line(data.get("centre", "")),
        title=_line(data.get("title", "")),
        number=_line(data.get("number", "")),
        date=_line(data.get("date", "")),
        verification_code=_line(data.get("verification_code", "")),
        verify_url=str(data.get("verify_url", ""))[:200],
        draft=bool(data.get("draft", False)),
    )

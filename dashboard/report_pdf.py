"""The monthly review as a printable A4 landscape PDF (:func:`to_pdf`), in core fonts only.

The values are shown by the rules of :mod:`dashboard.report_show`; the headline table has
the review's :data:`~dashboard.report_model.HEADLINE_METRICS`.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dashboard.report_model import (
    ARROW_DOWN,
    ARROW_UP,
    HEADLINE_METRICS,
    METRICS,
    Figure,
    MonthlyReview,
)
from dashboard.report_show import MISSING, show, shown, status_text, when

_SYMBOL_ARROWS = {ARROW_UP: "\xad", ARROW_DOWN: "\xaf"}  # the Symbol font's arrowup/down
_COLOURS = {"better": (26, 127, 55), "worse": (207, 34, 46)}
_NEXT_LINE: dict[str, Any] = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def _latin(text: str) -> str:
    """Core PDF fonts have cp1252's characters only; others become ``?``."""
    return text.replace(MISSING, "-").encode("cp1252", "replace").decode("cp1252")


class _Pdf(FPDF):
    def row(
        self, widths: list[float], texts: list[str], *, bold: bool = False, size: float = 8
    ) -> None:
        """A table row: the first column left-aligned, figures right-aligned."""
        if self.will_page_break(5):
            self.add_page()
        self.set_font("helvetica", "B" if bold else "", size)
        for index, (width, text) in enumerate(zip(widths, texts, strict=True)):
            numeric = text[:1].isdigit() or text[:1] in "+-" or text in ("Change", MISSING)
            align = "R" if index and numeric else "L"
            self.cell(width, 5, _latin(text)[:60], border=1, align=align)
        self.ln(5)

    def header_row(self, widths: list[float], texts: list[str], size: float = 7) -> None:
        """A table's bold header row whose titles wrap onto as many lines as they need."""
        self.set_font("helvetica", "B", size)
        line = size * 0.5
        titles = [_latin(text) for text in texts]
        height = line * max(self.lines_of(w, line, t) for w, t in zip(widths, titles, strict=True))
        if self.will_page_break(height):
            self.add_page()
        x, y = self.l_margin, self.get_y()
        for width, title in zip(widths, titles, strict=True):
            self.rect(x, y, width, height)
            self.set_xy(x, y)
            self.multi_cell(width, line, title, new_x=XPos.RIGHT, new_y=YPos.TOP)
            x += width
        self.set_xy(self.l_margin, y + height)

    def lines_of(self, width: float, line: float, text: str) -> int:
        """How many lines ``text`` takes in a cell ``width`` wide, in the current font."""
        lines = self.multi_cell(width, line, text, dry_run=True, output="LINES")
        return len(lines) if isinstance(lines, list) else 1

    def figure_row(self, widths: list[float], f: Figure, currency: str | None) -> None:
        c = shown(f, currency)
        self.row(widths, [f.metric.label, c["current"], c["previous"], c["change"], ""])
        if f.trend is None:
            return
        self.set_xy(self.l_margin + sum(widths[:-1]) + 1, self.get_y() - 5)
        self.set_text_color(*_COLOURS.get(f.trend.verdict, (87, 96, 106)))
        self.set_font("symbol", "", 8)
        self.cell(4, 5, _SYMBOL_ARROWS.get(f.trend.arrow, "\xae"))  # else arrowright
        self.set_font("helvetica", "", 8)
        self.cell(widths[-1] - 5, 5, f.trend.verdict, **_NEXT_LINE)
        self.set_text_color(0, 0, 0)

    def line_of(self, text: str, size: float = 8, style: str = "", height: float = 5) -> None:
        self.set_font("helvetica", style, size)
        self.multi_cell(0, height, _latin(text), **_NEXT_LINE)


def to_pdf(review: MonthlyReview) -> bytes:
    """A printable A4 landscape PDF: the headline table, then each vendor's figures, alerts and
    contract. Core fonts only (no font files needed): characters outside cp1252 print as ``?``."""
    month, before = f"{review.month:%Y-%m}", f"{review.previous_month:%Y-%m}"
    pdf = _Pdf(orientation="L", format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(f"Monthly vendor review {month}")
    pdf.add_page()
    pdf.line_of(f"Monthly vendor review - {month}", 14, "B", 8)
    notice = "" if review.complete else " - month in progress: volumes are not judged"
    pdf.line_of(f"Compared with {before} - data as of {when(review.as_of)}{notice}", 9)
    keys = HEADLINE_METRICS
    widths = [50.0, 16, 24]
    widths += [(pdf.epw - sum(widths)) / len(keys)] * len(keys)
    pdf.header_row(widths, ["Vendor", "Tier", "Status", *(METRICS[k].label for k in keys)])
    for v in review.vendors:
        cells = [show(METRICS[k], v.figure(k).current, v.currency) for k in keys]
        texts = [v.display_name, v.tier or MISSING, status_text(v.status), *cells]
        pdf.row(widths, texts, size=7)
    for v in review.vendors:
        if pdf.will_page_break(60):
            pdf.add_page()
        pdf.ln(4)
        pdf.line_of(f"{v.display_name} ({v.vendor_id})", 11, "B", 7)
        pdf.line_of(
            f"{v.service or MISSING} - tier {v.tier or MISSING} - service "
            f"{status_text(v.status)} - cost {status_text(v.cost_status)} - scores as of "
            f"{when(v.scores_day)}"
        )
        widths = [60.0, 45, 45, 45, 30]
        pdf.row(widths, ["Figure", month, before, "Change", "Trend"], bold=True)
        for f in v.figures:
            pdf.figure_row(widths, f, v.currency)
        for a in v.alerts:
            pdf.line_of(f"Alert {a.period}: {a.rule} {a.state} {a.severity or ''} - {a.reason}")
        if (c := v.contract) is not None:
            pdf.line_of(
                f"Contract ends {when(c.end_date)}, notice deadline {when(c.notice_deadline)}, "
                f"act by {when(c.act_by)}"
            )
    return bytes(pdf.output())

"""Invoices ("factures", "avoirs") and receipts ("reçus") as printable A4 PDF documents.

Drawn with reportlab's platypus. The documents are always in French, whatever language the
family reads the portal in: an invoice issued in France must be written in French (loi Toubon).

The caller loads the rows; rendering runs no query of its own when the invoice comes with
`select_related("site__billing", "school_year", "credit_note_of")` and the lines with
`select_related("student")`.
"""

from __future__ import annotations

import datetime
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from django.utils import translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepInFrame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from billing.models import BillingSettings, Instalment, Invoice, InvoiceLine, Payment
from extranet.models import Site

__all__ = ["euros", "invoice_pdf", "receipt_pdf"]

NARROW_NBSP = "\u202f"
NBSP = "\u00a0"
CENT = Decimal("0.01")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
# The recipient's block sits where the window of a French DL envelope (110 x 220 mm, window
# 45 x 100 mm on the right) shows it once the sheet is folded in three.
WINDOW_LEFT = 110 * mm
WINDOW_TOP = 45 * mm
WINDOW_WIDTH = PAGE_WIDTH - MARGIN - WINDOW_LEFT
WINDOW_HEIGHT = 35 * mm
# Below the sender's header and the window, where the first page's text starts.
FIRST_FRAME_TOP = 85 * mm

ACCENT = colors.HexColor("#1f3a5f")
LIGHT = colors.HexColor("#e8edf3")
RULE = colors.HexColor("#b8c2cc")
MUTED = colors.HexColor("#555555")

INVOICE_MENTIONS = (
    "Facture à régler avant le {due}. Pas d'escompte pour paiement anticipé. "
    "En cas de retard de paiement, le recouvrement est confié au comptable public."
)


def euros(amount: Decimal) -> str:
    """An amount in euros written the French way: "1 234,50 €", "-95,00 €".

    Thousands are grouped with a narrow no-break space (U+202F) and the sign € follows a
    no-break space (U+00A0), as in CLDR's fr-FR, so that the amount never breaks across lines.
    Rounded to the cent, half up.
    """
    cents = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    units, _, decimals = f"{abs(cents):.2f}".partition(".")
    grouped = f"{int(units):,}".replace(",", NARROW_NBSP)
    return f"{sign}{grouped},{decimals}{NBSP}€"


def invoice_pdf(
    invoice: Invoice,
    *,
    lines: Sequence[InvoiceLine],
    instalments: Sequence[Instalment],
    payments: Sequence[Payment],
    balance: Decimal,
) -> bytes:
    """The invoice, or the credit note when `invoice.credit_note_of` is set, as a PDF.

    `payments` are those already received against it, `balance` what is left to pay (negative:
    owed to the family). Long invoices flow onto several pages, numbered "Page 1 / 2", with
    the header of the table repeated.
    """
    with translation.override("fr"):
        return _Document(invoice.site).invoice(
            invoice, lines=lines, instalments=instalments, payments=payments, balance=balance
        )


def receipt_pdf(payment: Payment, *, invoice: Invoice, balance: Decimal) -> bytes:
    """The receipt ("reçu") of one payment of `invoice`, as a PDF.

    `balance` is what is left to pay on the invoice once this payment is counted.
    """
    with translation.override("fr"):
        return _Document(invoice.site).receipt(payment, invoice=invoice, balance=balance)


# Fonts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    # Whether the font draws U+202F; if not, amounts are drawn with U+00A0 instead.
    narrow_nbsp: bool


_REPORTLAB_FONTS = Path(reportlab.__file__).parent / "fonts"
# Embedded TrueType fonts, first found wins: DejaVu Sans (Debian and Ubuntu: fonts-dejavu-core;
# Fedora: dejavu-sans-fonts; Arch: ttf-dejavu), then Bitstream Vera, which ships inside
# reportlab itself and covers French and "€" but not U+202F.
_FONT_CANDIDATES: tuple[tuple[str, Path, Path], ...] = (
    *(
        ("DejaVuSans", folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf")
        for folder in (
            Path("/usr/share/fonts/truetype/dejavu"),
            Path("/usr/share/fonts/dejavu-sans-fonts"),
            Path("/usr/share/fonts/dejavu"),
            Path("/usr/share/fonts/TTF"),
        )
    ),
    ("Vera", _REPORTLAB_FONTS / "Vera.ttf", _REPORTLAB_FONTS / "VeraBd.ttf"),
)


@functools.cache
def _fonts() -> _Fonts:
    """Registers, once per process, the first font of _FONT_CANDIDATES found on the machine."""
    for name, regular_path, bold_path in _FONT_CANDIDATES:
        bold = f"{name}-Bold"
        try:
            regular_font = TTFont(name, str(regular_path))
            bold_font = TTFont(bold, str(bold_path))
        except (OSError, TTFError):
            continue
        pdfmetrics.registerFont(regular_font)
        pdfmetrics.registerFont(bold_font)
        pdfmetrics.registerFontFamily(name, normal=name, bold=bold, italic=name, boldItalic=bold)
        narrow = ord(NARROW_NBSP) in regular_font.face.charToGlyph
        return _Fonts(regular=name, bold=bold, narrow_nbsp=narrow)
    # Last resort: Helvetica is one of the 14 standard fonts every PDF viewer provides, so it is
    # not embedded and looks slightly different from one viewer to the next. Its WinAnsi
    # encoding has the accented letters of French, « », œ and €, not U+202F.
    return _Fonts(regular="Helvetica", bold="Helvetica-Bold", narrow_nbsp=False)


@dataclass(frozen=True)
class _Styles:
    body: ParagraphStyle
    small: ParagraphStyle
    sender: ParagraphStyle
    recipient: ParagraphStyle
    title: ParagraphStyle
    heading: ParagraphStyle
    mentions: ParagraphStyle


@functools.cache
def _styles(fonts: _Fonts) -> _Styles:
    body = ParagraphStyle("body", fontName=fonts.regular, fontSize=9.5, leading=12.5)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    return _Styles(
        body=body,
        small=small,
        sender=ParagraphStyle("sender", parent=body, fontSize=9, leading=11.5),
        recipient=ParagraphStyle("recipient", parent=body, fontSize=10.5, leading=13.5),
        title=ParagraphStyle(
            "title", parent=body, fontName=fonts.bold, fontSize=18, leading=22, textColor=ACCENT
        ),
        heading=ParagraphStyle(
            "heading",
            parent=body,
            fontName=fonts.bold,
            fontSize=11,
            leading=14,
            textColor=ACCENT,
            spaceBefore=6 * mm,
            spaceAfter=2 * mm,
        ),
        mentions=ParagraphStyle("mentions", parent=small, fontSize=7.5, leading=9.5),
    )


# Building blocks ---------------------------------------------------------------------------

# C0 control characters (except tab and newline) have no glyph and upset the paragraph parser.
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10))


def _frame(left: float, bottom: float, width: float, height: float) -> Frame:
    """A frame without padding, so that text lines up with the margins."""
    return Frame(
        left, bottom, width, height, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0
    )


def _date(day: datetime.date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


class _AtBottom(Flowable):
    """Paragraphs pushed down to the bottom of the frame: the legal mentions close the page."""

    def __init__(self, paragraphs: list[Paragraph]) -> None:
        super().__init__()
        self._paragraphs = paragraphs
        self._heights: list[float] = []

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._heights = [p.wrap(availWidth, availHeight)[1] for p in self._paragraphs]
        needed = sum(self._heights) + 2 * mm * max(len(self._heights) - 1, 0)
        self.width = availWidth
        # Taking all the room left keeps the block at the bottom; when it does not fit, the
        # frame moves it whole to the next page.
        self.height = needed if needed > availHeight else max(needed, availHeight - 0.01)
        return self.width, self.height

    def draw(self) -> None:
        y = 0.0
        for paragraph, height in zip(
            reversed(self._paragraphs), reversed(self._heights), strict=True
        ):
            paragraph.drawOn(self.canv, 0, y)
            y += height + 2 * mm


class _NumberedCanvas(Canvas):
    """Keeps the pages until the end, so that each can say "Page 2 / 3"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        count = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            if count > 1:
                self.setFont(self._initialFontName, 8)
                self.setFillColor(MUTED)
                self.drawRightString(
                    PAGE_WIDTH - MARGIN, 12 * mm, f"Page {self._pageNumber} / {count}"
                )
            super().showPage()
        super().save()


class _Document:
    """One PDF of a site: its header, the recipient's window, the page footers."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.fonts = _fonts()
        self.styles = _styles(self.fonts)
        self.billing: BillingSettings | None = getattr(site, "billing", None)

    # Text ----------------------------------------------------------------------------------

    def text(self, value: object) -> str:
        """Plain text made safe for a Paragraph's markup: names may hold "<" or "&"."""
        text = escape(str(value).translate(_CONTROL))
        if not self.fonts.narrow_nbsp:
            text = text.replace(NARROW_NBSP, NBSP)
        return text

    def lines_of(self, value: str) -> str:
        """Multi-line text (an address, legal details) with its line breaks kept."""
        return "<br/>".join(self.text(line.strip()) for line in value.splitlines() if line.strip())

    def money(self, amount: Decimal) -> str:
        """euros(amount), drawable in the font; it holds nothing to escape for a Paragraph."""
        text = euros(amount)
        return text if self.fonts.narrow_nbsp else text.replace(NARROW_NBSP, NBSP)

    def para(self, markup: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(markup, style or self.styles.body)

    # Blocks --------------------------------------------------------------------------------

    def sender(self) -> list[Flowable]:
        site = self.site
        bold = self.fonts.bold
        rows = [f'<font name="{bold}" size="12">{self.text(site.institution or site.name)}</font>']
        if self.billing and self.billing.legal_name:
            rows.append(f'<font color="#555555">{self.text(self.billing.legal_name)}</font>')
        rows += [
            self.text(row)
            for row in (
                site.address,
                " ".join(part for part in (site.postal_code, site.city) if part),
                f"Tél. {site.phone}" if site.phone else "",
                site.email,
            )
            if row
        ]
        return [self.para("<br/>".join(rows), self.styles.sender)]

    def recipient(self, invoice: Invoice) -> list[Flowable]:
        markup = f"<b>{self.text(invoice.billing_name)}</b>"
        if address := self.lines_of(invoice.billing_address):
            markup += f"<br/>{address}"
        return [self.para(markup, self.styles.recipient)]

    def key_values(self, rows: Sequence[tuple[str, str]], *, key_width: float) -> Table:
        """Labels on the left, values (Paragraph markup) on the right; empty values left out."""
        table = Table(
            [[key, self.para(value)] for key, value in rows if value],
            colWidths=[key_width, None],
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), self.fonts.regular, 8, 12.5),
                    ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        return table

    def grid(
        self,
        header: Sequence[str],
        rows: list[list[Any]],
        widths: Sequence[float],
        *,
        right_columns: Sequence[int],
        total: Sequence[str] | None = None,
        align: str = "CENTER",
    ) -> Table:
        """A table with a coloured header, repeated on each page, and an optional total row."""
        data: list[list[Any]] = [list(header), *rows]
        if total is not None:
            data.append(list(total))
        table = Table(data, colWidths=list(widths), repeatRows=1, hAlign=align)
        style: list[tuple[Any, ...]] = [
            ("FONT", (0, 0), (-1, -1), self.fonts.regular, 9.5, 12.5),
            ("FONT", (0, 0), (-1, 0), self.fonts.bold, 9, 12),
            ("TEXTCOLOR", (0, 0), (-1, 0), ACCENT),
            ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        for column in right_columns:
            style.append(("ALIGN", (column, 0), (column, -1), "RIGHT"))
        if total is not None:
            style += [
                ("FONT", (0, -1), (-1, -1), self.fonts.bold, 10, 13),
                ("LINEABOVE", (0, -1), (-1, -1), 1, ACCENT),
                ("LINEBELOW", (0, -1), (-1, -1), 0, colors.white),
            ]
        table.setStyle(TableStyle(style))
        return table

    def summary(self, rows: Sequence[tuple[str, str]]) -> Table:
        """Amounts on the right of the page, the last one (what is left to pay) stressed.

        Plain strings, drawn as they are: the labels are ours and the amounts come from money().
        """
        table = Table([list(row) for row in rows], colWidths=[62 * mm, 32 * mm], hAlign="RIGHT")
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), self.fonts.regular, 9.5, 12.5),
                    ("FONT", (0, -1), (-1, -1), self.fonts.bold, 9.5, 12.5),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("BACKGROUND", (0, -1), (-1, -1), LIGHT),
                    ("LINEABOVE", (0, -1), (-1, -1), 1, ACCENT),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return table

    def balance_row(self, balance: Decimal) -> tuple[str, str]:
        if balance > 0:
            return "Solde : reste à payer", self.money(balance)
        if balance < 0:
            return "Solde en votre faveur", self.money(-balance)
        return "Solde : rien à payer", self.money(balance)

    def legal_details(self) -> list[Paragraph]:
        details = self.billing.legal_details if self.billing else ""
        return [self.para(self.lines_of(details), self.styles.mentions)] if details.strip() else []

    # Pages ---------------------------------------------------------------------------------

    def render(self, story: list[Flowable], *, title: str, invoice: Invoice) -> bytes:
        sender = self.sender()
        recipient = self.recipient(invoice)
        footer = f"{self.site.institution or self.site.name} · {title}"

        def first_page(canvas: Canvas, doc: BaseDocTemplate) -> None:
            self.draw_box(canvas, sender, MARGIN, MARGIN, WINDOW_LEFT - MARGIN - 8 * mm, 60 * mm)
            self.draw_box(canvas, recipient, WINDOW_LEFT, WINDOW_TOP, WINDOW_WIDTH, WINDOW_HEIGHT)
            later_pages(canvas, doc)

        def later_pages(canvas: Canvas, doc: BaseDocTemplate) -> None:
            canvas.saveState()
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.4)
            canvas.line(MARGIN, 16 * mm, PAGE_WIDTH - MARGIN, 16 * mm)
            canvas.setFont(self.fonts.regular, 8)
            canvas.setFillColor(MUTED)
            canvas.drawString(MARGIN, 12 * mm, footer.translate(_CONTROL))
            canvas.restoreState()

        buffer = io.BytesIO()
        doc = BaseDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=title,
            author=self.site.institution or self.site.name,
            subject=title,
            creator="Tutti",
            lang="fr-FR",
            # Otherwise every page also refers to Helvetica, which is never embedded.
            initialFontName=self.fonts.regular,
        )
        frame_height = PAGE_HEIGHT - FIRST_FRAME_TOP - MARGIN
        doc.addPageTemplates(
            [
                PageTemplate(
                    "first",
                    [_frame(MARGIN, MARGIN, CONTENT_WIDTH, frame_height)],
                    onPage=first_page,
                    autoNextPageTemplate="later",
                ),
                PageTemplate(
                    "later",
                    [_frame(MARGIN, MARGIN, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN)],
                    onPage=later_pages,
                ),
            ]
        )
        doc.build(story, canvasmaker=_NumberedCanvas)
        return buffer.getvalue()

    def draw_box(
        self, canvas: Canvas, content: list[Flowable], left: float, top: float, w: float, h: float
    ) -> None:
        """Draws flowables in a fixed box of the page (from its top left), shrunk to fit."""
        frame = _frame(left, PAGE_HEIGHT - top - h, w, h)
        frame.addFromList([KeepInFrame(w, h, list(content), mode="shrink")], canvas)

    # Documents -----------------------------------------------------------------------------

    def invoice(
        self,
        invoice: Invoice,
        *,
        lines: Sequence[InvoiceLine],
        instalments: Sequence[Instalment],
        payments: Sequence[Payment],
        balance: Decimal,
    ) -> bytes:
        styles = self.styles
        original = invoice.credit_note_of
        kind = "AVOIR" if original is not None else "FACTURE"
        story: list[Flowable] = [
            self.para(f"{kind} n° {self.text(invoice.number)}", styles.title),
            Spacer(0, 2 * mm),
            self.key_values(
                [
                    ("Date", _date(invoice.issued_at)),
                    ("Année scolaire", self.text(invoice.school_year)),
                    (
                        "Avoir sur la facture",
                        f"n° {self.text(original.number)} du {_date(original.issued_at)}"
                        if original is not None
                        else "",
                    ),
                    ("Échéance", _date(invoice.due_date) if original is None else ""),
                    ("Objet", self.text(invoice.label)),
                ],
                key_width=32 * mm,
            ),
            Spacer(0, 6 * mm),
        ]

        rows: list[list[Any]] = []
        for line in lines:
            markup = self.text(line.label)
            if line.student is not None:
                pupil = self.text(line.student)
                markup += f'<br/><font size="8" color="#555555">Élève : {pupil}</font>'
            rows.append([self.para(markup), self.money(line.amount)])
        total_label = "Total de l'avoir" if original is not None else "Total"
        story.append(
            self.grid(
                ["Libellé", "Montant"],
                rows,
                [CONTENT_WIDTH - 35 * mm, 35 * mm],
                right_columns=[1],
                total=[total_label, self.money(invoice.total)],
            )
        )

        if payments:
            story += [
                self.para("Règlements reçus", styles.heading),
                self.grid(
                    ["Date", "Mode de règlement", "N° de reçu", "Montant"],
                    [
                        [
                            _date(payment.date),
                            self.para(self.text(payment.get_mode_display())),
                            self.para(self.text(payment.receipt_number)),
                            self.money(payment.amount),
                        ]
                        for payment in payments
                    ],
                    [25 * mm, CONTENT_WIDTH - 25 * mm - 45 * mm - 35 * mm, 45 * mm, 35 * mm],
                    right_columns=[3],
                ),
            ]

        summary = [(total_label, self.money(invoice.total))]
        if payments:
            paid = sum((payment.amount for payment in payments), Decimal(0))
            summary.append(("Déjà réglé", self.money(paid)))
        summary.append(self.balance_row(balance))
        schedule: list[Flowable] = []
        if instalments:
            schedule = [
                self.para("Échéancier", styles.heading),
                self.grid(
                    ["Échéance", "Montant"],
                    [[_date(i.due_date), self.money(i.amount)] for i in instalments],
                    [30 * mm, 30 * mm],
                    right_columns=[1],
                    align="LEFT",
                ),
            ]
        # The schedule on the left, the totals on the right, side by side.
        side_by_side = Table(
            [[schedule, [Spacer(0, 6 * mm), self.summary(summary)]]],
            colWidths=[CONTENT_WIDTH - 100 * mm, 100 * mm],
        )
        side_by_side.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), self.fonts.regular),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        story += [Spacer(0, 4 * mm), side_by_side]

        if original is None and balance > 0 and invoice.online_until:
            story += [
                Spacer(0, 5 * mm),
                self.para(
                    "Paiement en ligne par carte bancaire possible sur le portail des familles "
                    f"jusqu'au {_date(invoice.online_until)}."
                ),
            ]

        if original is None:
            mentions = INVOICE_MENTIONS.format(due=_date(invoice.due_date))
        else:
            mentions = (
                f"Avoir émis sur la facture n° {self.text(original.number)} "
                f"du {_date(original.issued_at)}."
            )
        story += [
            Spacer(0, 6 * mm),
            _AtBottom([self.para(mentions, styles.mentions), *self.legal_details()]),
        ]
        title = f"{'Avoir' if original is not None else 'Facture'} n° {invoice.number}"
        return self.render(story, title=title, invoice=invoice)

    def receipt(self, payment: Payment, *, invoice: Invoice, balance: Decimal) -> bytes:
        styles = self.styles
        kind = "l'avoir" if invoice.is_credit_note else "la facture"
        story: list[Flowable] = [
            self.para(f"REÇU n° {self.text(payment.receipt_number)}", styles.title),
            Spacer(0, 8 * mm),
            self.key_values(
                [
                    ("Date du règlement", _date(payment.date)),
                    ("Reçu de", f"<b>{self.text(invoice.billing_name)}</b>"),
                    (
                        "Montant reçu",
                        f'<font name="{self.fonts.bold}" size="13">'
                        f"{self.money(payment.amount)}</font>",
                    ),
                    ("Mode de règlement", self.text(payment.get_mode_display())),
                    ("Numéro d'opération", self.text(payment.operation_number or "—")),
                    (
                        "En règlement de",
                        f"{kind} n° {self.text(invoice.number)} du {_date(invoice.issued_at)}"
                        f"<br/>{self.text(invoice.label)}",
                    ),
                ],
                key_width=45 * mm,
            ),
            Spacer(0, 8 * mm),
            KeepTogether(
                self.summary(
                    [
                        (f"Total de {kind}", self.money(invoice.total)),
                        self.balance_row(balance),
                    ]
                )
            ),
            Spacer(0, 14 * mm),
            self.para(
                f"<b>Pour acquit</b>, le {_date(payment.date)}.<br/>"
                f"{self.text(self.site.institution or self.site.name)}",
            ),
        ]
        if details := self.legal_details():
            story += [Spacer(0, 6 * mm), _AtBottom(details)]
        return self.render(story, title=f"Reçu n° {payment.receipt_number}", invoice=invoice)

"""A report table as a PDF, for scheduled emails: a title, a line under it, and the table
with a bold header row, over as many A4 pages as it needs (the header repeats on each).

Written by hand with the PDF's standard Helvetica fonts (every reader has them, nothing is
embedded), so no PDF library is needed. Text is encoded as WinAnsi (cp1252): Swedish,
German, French and the other Western European letters print as they are; a character
outside it prints as "?". Long cells are cut with an ellipsis to fit their column. Pure
code: a ``Table`` in, bytes out.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime

from frontdesk.reporting.exports import Table

PAGE_WIDTH, PAGE_HEIGHT = 595.28, 841.89  # A4 in points
MARGIN = 48.0
FONT_SIZE = 9.0
TITLE_SIZE = 14.0
LINE = 14.0  # row height
# Helvetica's average glyph width is about half an em; digits are 0.556 em. Column cuts and
# right alignment use this estimate (a cut is a little early rather than overlapping).
CHAR_EM = 0.56


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi: backslash and parentheses escaped, control
    characters dropped, characters WinAnsi lacks printed as '?'."""
    clean = "".join(ch for ch in text if ch >= " ")
    raw = clean.encode("cp1252", errors="replace")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _fit(text: str, width: float, size: float) -> str:
    most = max(1, int(width / (size * CHAR_EM)))
    return text if len(text) <= most else text[: max(1, most - 1)] + "…"


def _width(text: str, size: float) -> float:
    return len(text) * size * CHAR_EM


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _page_content(
    table: Table, subtitle: str, rows: list[list[object]], page: int, pages: int
) -> bytes:
    usable = PAGE_WIDTH - 2 * MARGIN
    columns = max(1, len(table.headers))
    col = usable / columns
    out: list[bytes] = []

    def put(x: float, y: float, text: str, font: str, size: float) -> None:
        out.append(
            b"BT /%s %.1f Tf %.2f %.2f Td %s Tj ET" % (font.encode(), size, x, y, _pdf_string(text))
        )

    y = PAGE_HEIGHT - MARGIN - TITLE_SIZE
    put(MARGIN, y, _fit(table.title, usable, TITLE_SIZE), "F2", TITLE_SIZE)
    y -= LINE
    if subtitle:
        put(MARGIN, y, _fit(subtitle, usable, FONT_SIZE), "F1", FONT_SIZE)
    y -= LINE * 1.5
    numeric = [any(_is_number(r[i]) for r in rows if i < len(r)) for i in range(columns)]
    for i, header in enumerate(table.headers):
        text = _fit(str(header), col - 6, FONT_SIZE)
        x = MARGIN + i * col
        if numeric[i]:
            x += col - 6 - _width(text, FONT_SIZE)
        put(x, y, text, "F2", FONT_SIZE)
    out.append(b"0.5 w %.2f %.2f m %.2f %.2f l S" % (MARGIN, y - 4, PAGE_WIDTH - MARGIN, y - 4))
    y -= LINE
    for row in rows:
        for i in range(columns):
            value = row[i] if i < len(row) else None
            text = _fit(_text(value), col - 6, FONT_SIZE)
            x = MARGIN + i * col
            if numeric[i]:
                x += col - 6 - _width(text, FONT_SIZE)
            put(x, y, text, "F1", FONT_SIZE)
        y -= LINE
    if pages > 1:
        put(PAGE_WIDTH - MARGIN - 40, MARGIN / 2, f"{page} / {pages}", "F1", FONT_SIZE)
    return b"\n".join(out)


def table_pdf(table: Table, subtitle: str = "") -> bytes:
    """The table as a PDF document (A4 portrait)."""
    first_page_rows = int((PAGE_HEIGHT - 2 * MARGIN - TITLE_SIZE - LINE * 3.5) // LINE)
    chunks = [
        table.rows[i : i + first_page_rows] for i in range(0, len(table.rows), first_page_rows)
    ]
    chunks = chunks or [[]]
    objects: list[bytes] = []  # object n is objects[n - 1]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # the page tree, filled in once the pages are numbered
    objects.extend(  # objects 3 and 4: /F1 and /F2
        b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % font
        for font in (b"Helvetica", b"Helvetica-Bold")
    )
    kids = []
    for number, rows in enumerate(chunks, start=1):
        content = zlib.compress(_page_content(table, subtitle, rows, number, len(chunks)))
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(content), content)
        )
        content_ref = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, content_ref)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)

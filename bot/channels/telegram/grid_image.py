"""An option grid as a PNG for Telegram (Ask 3, issue 5), drawn with Pillow in DejaVu Sans
(the font matplotlib ships), plus its text version: one message per question.

`layout` wraps every text into its cell and returns the boxes, so a test can check that each
line is drawn inside its cell; `draw` paints a layout; `grid_png` does both.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
WIDTH = 1280
MARGIN = 24
PADDING = 14
QUESTION_SHARE = 0.3  # of the table's width, for the questions' column
BODY_SIZE = 24
TITLE_SIZE = 34
SMALL_SIZE = 20
LINE_GAP = 6
BACKGROUND = "#ffffff"
INK = "#1b1b1b"
HEADER_FILL = "#dfe8ea"
RULE = "#8a9a9e"

Font = ImageFont.FreeTypeFont


@functools.cache
def font(size: int, bold: bool = False) -> Font:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


@dataclass
class Line:
    x: int
    y: int
    text: str
    font: Font


@dataclass
class Cell:
    """A box and the wrapped lines drawn in it; `text` is what it must show."""

    box: tuple[int, int, int, int]
    text: str
    lines: list[Line] = field(default_factory=list)
    fill: str | None = None


@dataclass
class GridLayout:
    width: int
    height: int
    cells: list[Cell]  # header and table cells (with borders)
    free_text: list[Cell]  # title, decision and source (no borders)


def wrap(text: str, face: Font, width: float) -> list[str]:
    """`text` in lines no wider than `width`; a word too long for a line is split."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if face.getlength(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            while face.getlength(word) > width:
                cut = len(word)
                while cut > 1 and face.getlength(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


def _line_height(face: Font) -> int:
    ascent, descent = face.getmetrics()
    return int(ascent + descent + LINE_GAP)


def _place(cell: Cell, face: Font) -> int:
    """Wrap the cell's text inside its padded box; returns the height the lines need."""
    x0, y0, x1, _ = cell.box
    step = _line_height(face)
    wrapped = wrap(cell.text, face, x1 - x0 - 2 * PADDING)
    cell.lines = [
        Line(x0 + PADDING, y0 + PADDING + i * step, t, face) for i, t in enumerate(wrapped)
    ]
    return len(wrapped) * step + 2 * PADDING


def _block(text: str, face: Font, top: int) -> tuple[Cell, int]:
    cell = Cell(box=(MARGIN - PADDING, top, WIDTH - MARGIN + PADDING, top), text=text)
    height = _place(cell, face)
    cell.box = (cell.box[0], top, cell.box[2], top + height)
    return cell, top + height


def layout(grid: dict[str, Any]) -> GridLayout:
    """Where everything goes, for a grid as `OptionGrid.in_language` gives it."""
    options: list[str] = list(grid["options"])
    free: list[Cell] = []
    title, top = _block(str(grid["title"]), font(TITLE_SIZE, bold=True), MARGIN)
    free.append(title)
    if grid.get("decision"):
        decision, top = _block(str(grid["decision"]), font(BODY_SIZE), top)
        free.append(decision)
    top += PADDING
    table_width = WIDTH - 2 * MARGIN
    first = int(table_width * QUESTION_SHARE)
    other = (table_width - first) // len(options)
    edges = [
        MARGIN,
        MARGIN + first,
        *(MARGIN + first + other * (i + 1) for i in range(len(options))),
    ]
    rows: list[tuple[list[str], bool]] = [
        ([str(grid.get("questions_label") or ""), *options], True),
        *(([str(r["question"]), *(str(a) for a in r["answers"])], False) for r in grid["rows"]),
    ]
    cells: list[Cell] = []
    for texts, header in rows:
        row_cells: list[Cell] = []
        height = 0
        for column, text in enumerate(texts):
            bold = header or column == 0
            cell = Cell(box=(edges[column], top, edges[column + 1], top), text=text)
            cell.fill = HEADER_FILL if header else None
            height = max(height, _place(cell, font(BODY_SIZE, bold=bold)))
            row_cells.append(cell)
        for cell in row_cells:
            cell.box = (cell.box[0], top, cell.box[2], top + height)
        cells.extend(row_cells)
        top += height
    top += PADDING
    if grid.get("source"):
        source, top = _block(str(grid["source"]), font(SMALL_SIZE), top)
        free.append(source)
    return GridLayout(width=WIDTH, height=top + MARGIN, cells=cells, free_text=free)


def draw(plan: GridLayout) -> Image.Image:
    image = Image.new("RGB", (plan.width, plan.height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    for cell in plan.cells:
        pen.rectangle(cell.box, fill=cell.fill, outline=RULE, width=2)
    for cell in [*plan.cells, *plan.free_text]:
        for line in cell.lines:
            pen.text((line.x, line.y), line.text, font=line.font, fill=INK)
    return image


def grid_png(grid: dict[str, Any]) -> bytes:
    """The grid as PNG bytes."""
    buffer = io.BytesIO()
    draw(layout(grid)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def grid_rows_as_text(grid: dict[str, Any]) -> list[str]:
    """The text version: one message per question, each option's answer on its own line."""
    options: list[str] = list(grid["options"])
    return [
        "\n".join(
            [
                str(row["question"]),
                *(f"• {o}: {a}" for o, a in zip(options, row["answers"], strict=True)),
            ]
        )
        for row in grid["rows"]
    ]

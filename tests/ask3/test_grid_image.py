"""The option grid as Telegram gets it: a PNG whose every cell's text fits inside its cell,
and a text version one question at a time."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image, ImageDraw

from bot.channels.telegram.grid_image import grid_png, grid_rows_as_text, layout
from bot.content.option_grids import load_grids
from bot.engine_client import normalise
from bot.store import telegram as tg_store
from bot.store.db import unit_of_work
from tests.telegram.conftest import GWEN, Harness, ScriptedEngine, update_json


def _shown(grid_id: str, language: str) -> dict[str, Any]:
    shown = load_grids()[grid_id].in_language(language)
    shown["questions_label"] = "Frequently asked questions"
    return shown


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize(
    "grid_id", ["breast-cancer-surgery", "knee-osteoarthritis", "carpal-tunnel"]
)
def test_every_cells_text_is_drawn_inside_its_cell(grid_id: str, language: str) -> None:
    grid = _shown(grid_id, language)
    plan = layout(grid)
    pen = ImageDraw.Draw(Image.new("RGB", (plan.width, plan.height)))
    texts = [c.text for c in plan.cells]
    assert texts[: 1 + len(grid["options"])] == ["Frequently asked questions", *grid["options"]]
    for cell in [*plan.cells, *plan.free_text]:
        x0, y0, x1, y1 = cell.box
        for line in cell.lines:
            left, top, right, bottom = pen.textbbox((line.x, line.y), line.text, font=line.font)
            assert x0 <= left and right <= x1 and y0 <= top and bottom <= y1, (cell.text, line.text)
        # Every word of the cell is drawn, in order, and nothing else.
        assert " ".join(line.text for line in cell.lines).split() == cell.text.split()


def test_the_png_has_a_sane_size_for_telegram() -> None:
    for grid_id in load_grids():
        image = Image.open(io.BytesIO(grid_png(_shown(grid_id, "cy"))))
        width, height = image.size
        assert image.format == "PNG"
        assert width == 1280 and 400 < height < 4000
        assert width + height <= 10000 and height / width < 20  # Telegram's photo limits


def test_the_text_version_gives_one_question_per_message() -> None:
    grid = _shown("knee-osteoarthritis", "en")
    rows = grid_rows_as_text(grid)
    assert len(rows) == len(grid["rows"])
    assert rows[1].splitlines() == [
        "Will it ease my pain?",
        "• Exercise and physiotherapy: Regular exercise helps many people with pain and "
        "stiffness. It can take a few weeks to notice.",
        "• Steroid injection: It may ease pain for a few weeks or months. The pain often "
        "comes back.",
        "• Knee replacement: Most people have much less pain once they have recovered.",
    ]


async def test_a_grid_from_the_engine_reaches_telegram_as_a_photo_and_text(
    harness: Harness, engine: tuple[ScriptedEngine, str], database: str
) -> None:
    scripted, _ = engine
    grid = _shown("breast-cancer-surgery", "en")
    scripted.replies["show me the grid"] = [
        {"recipient_id": "x", "text": "Here is the option grid."},
        {"recipient_id": "x", "custom": {"option_grid": grid}},
    ]
    with unit_of_work(database) as session:
        tg_store.enrol_user(session, GWEN, "en")
    await harness.feed(update_json("text", message={
        **update_json("text")["message"], "text": "show me the grid"
    }))  # fmt: skip
    [photo] = harness.bot_api.sent("sendPhoto")
    assert photo["caption"] == "Breast cancer surgery"
    texts = harness.bot_api.texts()
    assert texts[0] == "Here is the option grid."
    assert texts[1].startswith("Which surgery is best for long-term survival?\n")
    assert len(texts) == 1 + len(grid["rows"])
    png = next(c.files for c in harness.bot_api.calls if c.method == "sendPhoto")["photo"]
    assert Image.open(io.BytesIO(png)).size[0] == 1280


def test_the_engine_clients_messages_carry_the_grid() -> None:
    grid = _shown("carpal-tunnel", "en")
    [message] = normalise([{"recipient_id": "x", "custom": {"option_grid": grid}}])
    assert dict(message) == {"text": "", "buttons": [], "option_grid": grid}

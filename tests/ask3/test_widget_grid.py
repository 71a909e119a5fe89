"""The option grid in the widget, in real Chromium on a 360-pixel phone, through the full
stack: an accessible table (caption, column and row headers) that stacks without scrolling
sideways, and on a desktop never cuts a word in two."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bot.stack import LocalStack
from tests.e2e.test_widget import (
    REPLY_TIMEOUT_MS,
    SCREENSHOTS,
    no_horizontal_overflow,
    say,
    start_chat,
)
from tests.support import PHONE_WIDTH

pytestmark = [pytest.mark.browser, pytest.mark.engine]


@pytest.mark.parametrize(
    ("language", "agree", "caption", "first_option"),
    [
        ("en", "/affirm", "Breast cancer surgery", "Lumpectomy with radiotherapy"),
        ("cy", "/affirm", "Llawdriniaeth canser y fron", "Lwmpectomi gyda radiotherapi"),
    ],
)
def test_the_grid_is_a_table_that_fits_a_phone(
    live_stack: LocalStack,
    phone: Page,
    language: str,
    agree: str,
    caption: str,
    first_option: str,
) -> None:
    start_chat(phone, live_stack.gateway_url, language)
    say(phone, "hello" if language == "en" else "shwmae")
    say(phone, agree)
    say(phone, '/show_option_grid{"option_grid":"breast-cancer-surgery"}')
    grid = phone.get_by_test_id("option-grid").last
    expect(grid).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    table = grid.locator("table")
    expect(table.locator("caption")).to_contain_text(caption)
    headers = table.locator("thead th[scope=col]")
    expect(headers).to_have_count(3)
    expect(headers.nth(1)).to_have_text(first_option)
    expect(table.locator("tbody th[scope=row]")).to_have_count(9)
    expect(table.locator("tbody td")).to_have_count(18)
    # The accessibility tree still sees a table with its headers, though the cells stack.
    expect(phone.get_by_role("table")).to_have_count(1)
    expect(phone.get_by_role("columnheader", name=first_option)).to_have_count(1)
    expect(phone.get_by_role("rowheader").first).to_be_visible()
    # Each answer is labelled with its option, and nothing runs off the screen.
    first_cell = table.locator("tbody td").first
    assert first_cell.get_attribute("data-label") == first_option
    assert no_horizontal_overflow(phone)
    for index in range(table.locator("tbody td").count()):
        box = table.locator("tbody td").nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH


# Every word of these cells that the browser laid out over more than one line. A hyphen is a
# place to break ("pen-/glin"), so each part of a hyphenated word counts as a word.
WORDS_CUT_IN_TWO = """cells => {
  const cut = [];
  for (const cell of cells) {
    for (const node of cell.childNodes) {
      if (node.nodeType !== Node.TEXT_NODE) continue;
      for (const word of node.textContent.matchAll(/[^\\s-]+/g)) {
        const range = document.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) cut.push(word[0]);
      }
    }
  }
  return cut;
}"""


@pytest.mark.parametrize(
    ("language", "grid_id"),
    [
        ("en", "breast-cancer-surgery"),
        ("cy", "breast-cancer-surgery"),
        ("en", "carpal-tunnel"),
        ("cy", "knee-osteoarthritis"),
    ],
)
def test_on_a_desktop_no_word_of_the_grid_is_cut_in_two(
    live_stack: LocalStack, desktop: Page, language: str, grid_id: str
) -> None:
    start_chat(desktop, live_stack.gateway_url, language)
    say(desktop, "/affirm")
    say(desktop, f'/show_option_grid{{"option_grid":"{grid_id}"}}')
    grid = desktop.get_by_test_id("option-grid").last
    expect(grid).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    grid.scroll_into_view_if_needed()
    # A real table at this width, its questions in the first column.
    expect(grid.locator("thead")).to_be_visible()
    questions = grid.locator("tbody th[scope=row]")
    assert questions.count() > 0
    assert questions.evaluate_all(WORDS_CUT_IN_TWO) == []
    assert grid.locator("th, td").evaluate_all(WORDS_CUT_IN_TWO) == []
    desktop.screenshot(path=str(SCREENSHOTS / f"grid-{grid_id}-{language}-1280.png"))

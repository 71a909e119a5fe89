"""The option grid in the widget, in real Chromium on a 360-pixel phone, through the full
stack: an accessible table (caption, column and row headers) that stacks without scrolling
sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bot.stack import LocalStack
from tests.e2e.test_widget import REPLY_TIMEOUT_MS, no_horizontal_overflow, say, start_chat
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

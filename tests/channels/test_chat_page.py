"""The web chat page, in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.gateway.app import create_app
from bot.storage.db import Database
from channels import webchat
from knowledge.service import KnowledgeBase

pytestmark = pytest.mark.stack
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture
def chat_url(serve, make_settings, rasa_stack):
    settings = make_settings(rasa_url=rasa_stack.rasa_url)
    db = Database(settings.resolved_database_url)
    app = create_app(settings, [webchat.channel(settings, db)], KnowledgeBase.from_settings(settings), db=db)
    return serve(app) + "/chat"


def test_a_citizen_asks_and_presses_a_button(chat_url):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.goto(chat_url)
        page.fill("#text", "làm hộ chiếu cần giấy tờ gì")
        page.press("#text", "Enter")
        answer = page.locator(".msg.bot").first
        expect(answer).to_contain_text("hộ chiếu", timeout=30_000)
        expect(page.locator(".msg.me")).to_have_text(["làm hộ chiếu cần giấy tờ gì"])
        page.get_by_role("button", name="Lệ phí").last.click()
        expect(page.locator(".msg.me").last).to_have_text("Lệ phí")  # the title is shown, the payload is sent
        expect(page.locator(".msg.bot").last).to_contain_text("phí", timeout=30_000)
        browser.close()

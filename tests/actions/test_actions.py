"""The custom actions as the action server runs them: a real tracker, dispatcher, corpus and database."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import fallback_actions, handoff_actions, info_actions, knowledge_actions
from bot.settings import get_settings
from bot.storage.db import database_for
from bot.storage.models import HandoffRequest


def tracker(
    text: str,
    intent: str,
    *,
    sender: str = "webchat:citizen-1",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    ranking: list[dict[str, Any]] | None = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}],
        "entities": entities or [],
    }
    return Tracker(sender, slots or {}, latest, [], False, None, {}, "action_listen")


def run(action: Any, current: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run an action; return (messages it sent, events it returned)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, current, {}))
    return dispatcher.messages, events


@pytest.fixture
def answers_from(monkeypatch: pytest.MonkeyPatch, knowledge_base):
    monkeypatch.setattr(knowledge_actions, "get_knowledge_base", lambda: knowledge_base)


@pytest.fixture
def app_database(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """The database the action server would use, as a fresh SQLite file."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("HOTLINE_NUMBER", "1022")
    get_settings.cache_clear()
    yield database_for(get_settings().resolved_database_url)
    get_settings.cache_clear()


def test_answer_names_the_procedure_and_remembers_it(answers_from):
    messages, events = run(
        knowledge_actions.ActionAnswerProcedure(), tracker("làm hộ chiếu cần giấy tờ gì", "ask_documents")
    )
    assert "hộ chiếu" in messages[0]["text"].lower()
    assert events == [SlotSet("procedure", "ho-chieu")]


def test_follow_up_without_a_name_answers_about_the_procedure_in_context(answers_from):
    current = tracker("còn lệ phí thì sao?", "ask_fee", slots={"procedure": "ho-chieu"})
    messages, events = run(knowledge_actions.ActionAnswerProcedure(), current)
    assert events == [SlotSet("procedure", "ho-chieu")]
    assert "phí" in " ".join(message["text"] for message in messages).lower()


def test_buttons_ride_on_the_last_part_only(answers_from):
    messages, _ = run(
        knowledge_actions.ActionAnswerProcedure(), tracker("lam so do lan dau can giay to gi", "ask_documents")
    )
    assert all(not message["buttons"] for message in messages[:-1])


def test_a_question_outside_the_catalogue_is_declined_and_forgets_nothing(answers_from):
    current = tracker("thủ tục cấp phép bay flycam", "ask_procedure", slots={"procedure": "ho-chieu"})
    messages, events = run(knowledge_actions.ActionAnswerProcedure(), current)
    assert events == []  # the procedure in context stays as it was
    assert messages and "phí" not in messages[0]["text"]


def test_handoff_is_on_file_before_the_citizen_is_told(app_database):
    messages, _ = run(
        handoff_actions.ActionHandoff(), tracker("cho tôi gặp người thật", "request_human", sender="telegram:42")
    )
    with app_database.session() as session:
        request = session.scalars(select(HandoffRequest)).one()
    assert (request.channel, request.reason, request.citizen_message) == (
        "telegram",
        "request_human",
        "cho tôi gặp người thật",
    )
    assert f"YC-{request.id:06d}" in messages[0]["text"]
    assert "1022" in messages[0]["text"]


def test_a_complaint_gets_its_own_reference_and_a_pressed_button_is_not_recorded_as_words(app_database):
    messages, _ = run(handoff_actions.ActionHandoff(), tracker("/complain", "complain"))
    with app_database.session() as session:
        request = session.scalars(select(HandoffRequest)).one()
    assert request.reason == "complain" and request.citizen_message == ""
    assert "PA-" in messages[0]["text"]


def test_handoff_says_so_honestly_when_it_cannot_be_recorded(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """A storage failure must not raise (the citizen would get silence) nor promise a call-back."""
    (tmp_path / "not-a-folder").write_text("a file where the database folder should be")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'not-a-folder' / 'app.db'}")
    get_settings.cache_clear()
    try:
        messages, _ = run(handoff_actions.ActionHandoff(), tracker("gặp nhân viên", "request_human"))
    finally:
        get_settings.cache_clear()
    assert [message["text"] for message in messages] == [handoff_actions.STORAGE_FAILURE]


def test_first_fallback_offers_the_likely_meanings_keeping_the_procedure():
    ranking = [{"name": "ask_fee", "confidence": 0.4}, {"name": "ask_documents", "confidence": 0.3}]
    entities = [{"entity": "procedure", "value": "ho-chieu"}]
    current = tracker("ho chieu ... tien", "nlu_fallback", ranking=ranking, entities=entities)
    messages, events = run(fallback_actions.ActionDefaultAskAffirmation(), current)
    payloads = [button["payload"] for button in messages[0]["buttons"]]
    assert events == []
    assert payloads[0].startswith("/ask_fee") and "ho-chieu" in payloads[0]
    assert len(payloads) == 3  # two likely meanings and "none of these"


def test_second_fallback_hands_over_to_the_offer_of_a_person():
    messages, events = run(fallback_actions.ActionDefaultFallback(), tracker("???", "nlu_fallback"))
    assert messages == []
    assert events == [UserUtteranceReverted(), FollowupAction("utter_offer_human")]


def test_opening_hours_come_from_the_centre_record():
    messages, _ = run(info_actions.ActionOpeningHours(), tracker("mấy giờ mở cửa", "ask_opening_hours"))
    assert messages[0]["text"].startswith("Dạ, giờ làm việc")

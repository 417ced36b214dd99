"""Recording a request for a human operator or a complaint."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot.handoff import COMPLAINT, REQUEST_HUMAN, handoff_reply, record_handoff
from bot.messages import citizen_words
from bot.settings import get_settings
from bot.storage.db import get_database

logger = logging.getLogger(__name__)

STORAGE_FAILURE = (
    "Dạ, hệ thống đang gặp sự cố nên em chưa ghi nhận được yêu cầu của anh/chị. "
    "Anh/chị vui lòng nhắn lại sau ít phút ạ."
)


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        reason = COMPLAINT if intent == COMPLAINT else REQUEST_HUMAN
        words = citizen_words(tracker.latest_message.get("text") or "")
        try:
            # Off the action server's event loop: the first call also migrates the database.
            receipt = await asyncio.to_thread(record_handoff, get_database(), tracker.sender_id, reason, words)
        except (SQLAlchemyError, OSError):  # database down, locked, or its disk unusable
            logger.exception("could not record a %s request", reason)
            dispatcher.utter_message(text=STORAGE_FAILURE)
            return []
        dispatcher.utter_message(text=handoff_reply(receipt, get_settings().hotline_number))
        return []

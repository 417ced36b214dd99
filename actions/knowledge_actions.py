"""Answers about procedures, grounded in the knowledge base."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.messages import utter_all
from bot.conversation_ids import wants_brief_replies
from knowledge.responder import respond
from knowledge.service import get_knowledge_base


class ActionAnswerProcedure(Action):
    """Documents, fee, time, place, online submission, result, payment or overview of a procedure."""

    def name(self) -> str:
        return "action_answer_procedure"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message
        answer = respond(
            get_knowledge_base(),
            intent=(message.get("intent") or {}).get("name") or "ask_procedure",
            text=message.get("text") or "",
            entity_procedure=next(tracker.get_latest_entity_values("procedure"), None),
            context_procedure=tracker.get_slot("procedure"),
            brief=wants_brief_replies(tracker.sender_id),
        )
        utter_all(dispatcher, answer.texts, [button.to_json() for button in answer.buttons])
        return [SlotSet("procedure", answer.procedure_id)] if answer.procedure_id else []

"""The two stages of the fallback: clarify with likely meanings, then offer a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.clarify import clarification_buttons

ASK_AFFIRMATION = "Dạ, em chưa chắc đã hiểu đúng ý anh/chị. Có phải anh/chị muốn:"


class ActionDefaultAskAffirmation(Action):
    """First stage: the likeliest meanings as buttons, plus "none of these"."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        message = tracker.latest_message
        buttons = clarification_buttons(message.get("intent_ranking") or [], message.get("entities") or [])
        dispatcher.utter_message(text=ASK_AFFIRMATION, buttons=buttons)
        return []


class ActionDefaultFallback(Action):
    """Last stage: the assistant could not understand twice; offer a human operator."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # The misunderstood message is taken out of the history, and the offer is made by
        # utter_offer_human itself so that "có"/"không" in reply follow the offer's rules.
        return [UserUtteranceReverted(), FollowupAction("utter_offer_human")]

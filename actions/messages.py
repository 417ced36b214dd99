"""Sending several message parts from an action."""

from __future__ import annotations

from collections.abc import Sequence

from rasa_sdk.executor import CollectingDispatcher


def utter_all(dispatcher: CollectingDispatcher, texts: Sequence[str], buttons: list[dict[str, str]]) -> None:
    """Each part as its own message; buttons go with the last part, where the citizen reads last."""
    for index, text in enumerate(texts):
        last = index == len(texts) - 1
        dispatcher.utter_message(text=text, buttons=buttons if last else [])

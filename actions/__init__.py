"""Rasa custom actions: thin adapters from the dialogue to the application core.

Served by the Rasa SDK action server (`python -m rasa_sdk --actions actions`), which
registers every Action subclass of the modules below.
"""

from actions import fallback_actions, handoff_actions, info_actions, knowledge_actions

__all__ = ["fallback_actions", "handoff_actions", "info_actions", "knowledge_actions"]

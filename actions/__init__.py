"""Rasa custom actions: thin adapters from the dialogue to the application core.

Served by the Rasa SDK action server (`python -m rasa_sdk --actions actions`), which
registers every Action subclass of the modules below. Log masking is installed on import,
since the action server is a process of its own.
"""

from actions import fallback_actions, handoff_actions, info_actions, knowledge_actions
from bot.privacy import install_log_masking

install_log_masking()

__all__ = ["fallback_actions", "handoff_actions", "info_actions", "knowledge_actions"]

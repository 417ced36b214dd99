"""Conversation identity: one conversation per channel and sender ("telegram:12345").

Rasa's sender id is this conversation id, so actions and the gateway agree on who is
talking and through which channel, without passing anything else around.
"""

from __future__ import annotations

REST = "rest"
# Channels whose replies must be short: an SMS segment is 70 characters in Vietnamese,
# and a caller cannot scroll back through a long list.
BRIEF_CHANNELS = frozenset({"sms", "voice"})
# Channels that can only answer the request in hand: nothing reaches a web visitor later.
ANSWER_ONLY_CHANNELS = frozenset({"web", REST})


def conversation_id(channel: str, sender: str) -> str:
    return f"{channel}:{sender}"


def channel_of(conversation: str) -> str:
    """The channel part of a conversation id; ids without one came through plain REST."""
    channel, separator, _ = conversation.partition(":")
    return channel if separator and channel else REST


def wants_brief_replies(conversation: str) -> bool:
    return channel_of(conversation) in BRIEF_CHANNELS

"""What the core needs from a channel adapter (implemented in channels/)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fastapi import APIRouter

from bot.messages import BotReply

if TYPE_CHECKING:
    from bot.pipeline import Pipeline


class ChannelAdapter(Protocol):
    """Renders replies for one platform and delivers them.

    `numbered_options` channels show buttons as numbered lines and accept "1", "2"... in
    reply. `delivers_later` channels can send a reply after the platform's request ended
    (so a message interrupted by a restart is answered afterwards). `render` turns one
    turn's replies into platform-ready bodies, already split to the platform's length
    limits; `deliver` sends one body and raises TransientDeliveryError or
    PermanentDeliveryError (bot.outbox) on failure.
    """

    name: str
    numbered_options: bool
    delivers_later: bool  # can send a reply after the inbound request has ended

    def render(self, replies: Sequence[BotReply]) -> list[dict]: ...

    async def deliver(self, recipient: str, body: dict) -> None: ...


async def close_adapter(adapter: ChannelAdapter) -> None:
    """Release an adapter's connections; adapters with clients define `async aclose()`."""
    close = getattr(adapter, "aclose", None)
    if close is not None:
        await close()


@dataclass(frozen=True)
class Channel:
    """A channel as the gateway mounts it: its adapter and its webhook routes."""

    adapter: ChannelAdapter
    make_router: Callable[[Pipeline], APIRouter]


# Every channel module exposes `channel(settings, db) -> Channel`; bot/gateway/main.py lists them.

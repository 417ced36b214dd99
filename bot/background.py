"""A background loop that runs a step now and then, or at once when woken."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def run_forever(
    step: Callable[[], Awaitable[object]], wake: asyncio.Event, poll_seconds: float, name: str
) -> None:
    """Call `step` every `poll_seconds`, or as soon as `wake` is set, until cancelled.

    A failing round is logged and the loop goes on: a database hiccup must not stop
    delivery for good.
    """
    while True:
        try:
            await step()
        except Exception:
            logger.exception("%s round failed", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=poll_seconds)
        wake.clear()

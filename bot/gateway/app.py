"""The gateway application: channels, knowledge API, health and admin, around one pipeline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bot import inbox, outbox
from bot.channel import Channel
from bot.gateway.admin_api import admin_router
from bot.gateway.knowledge_api import knowledge_router
from bot.gateway.limits import BodySizeLimit
from bot.pipeline import Pipeline, RasaRouter, Router
from bot.privacy import install_log_masking
from bot.rasa_client import RasaClient
from bot.settings import Settings
from bot.storage.db import Database, database_for
from knowledge.service import KnowledgeBase

logger = logging.getLogger(__name__)


def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    """Bad input from an API client gets 400 and a readable reason, not a stack of details."""
    reasons = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
    return JSONResponse(status_code=400, content={"detail": f"Invalid request: {reasons}"})


def _configure_logging() -> None:
    """Masked records, and a root handler when the server (uvicorn) configured only its own loggers."""
    install_log_masking()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request to Rasa is noise


def create_app(
    settings: Settings,
    channels: Sequence[Channel],
    knowledge_base: KnowledgeBase,
    db: Database | None = None,
    router: Router | None = None,
) -> FastAPI:
    """Build the gateway. `router` defaults to the Rasa server named in the settings."""
    _configure_logging()
    db = db or database_for(settings.resolved_database_url)
    rasa = RasaClient(settings.rasa_url, settings.rasa_timeout_seconds)
    pipeline = Pipeline(
        db,
        router or RasaRouter(rasa),
        {channel.adapter.name: channel.adapter for channel in channels},
        max_text_chars=settings.max_text_chars,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await pipeline.start()
        try:
            yield
        finally:
            await pipeline.stop()
            await rasa.aclose()

    app = FastAPI(title="Tổng đài hành chính công - gateway", lifespan=lifespan)
    app.state.pipeline = pipeline
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    for channel in channels:
        app.include_router(channel.make_router(pipeline))
    app.include_router(knowledge_router(knowledge_base))
    app.include_router(admin_router(db, settings.admin_api_token.get_secret_value()))

    @app.get("/healthz", tags=["health"])
    async def health() -> dict[str, Any]:
        """Liveness, whether Rasa is reachable, and the inbox and outbox backlog."""
        inbox_counts, outbox_counts = await asyncio.gather(
            asyncio.to_thread(inbox.counts, db), asyncio.to_thread(outbox.counts, db)
        )
        return {"status": "ok", "rasa": await rasa.is_ready(), "inbox": inbox_counts, "outbox": outbox_counts}

    return app

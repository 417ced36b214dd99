"""Operational views for the contact centre's technical staff (token-protected)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query

from bot import outbox
from bot.storage.db import Database


def admin_router(db: Database, token: str) -> APIRouter:
    router = APIRouter(prefix="/api/admin", tags=["admin"])

    def check(authorization: str | None) -> None:
        if not token:
            raise HTTPException(403, "Admin API disabled: set ADMIN_API_TOKEN to enable it.")
        supplied = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            raise HTTPException(401, "Missing or wrong bearer token.")

    @router.get("/outbox")
    def outbox_listing(
        authorization: Annotated[str | None, Header()] = None,
        status: Annotated[str, Query(pattern="^(pending|sent|failed)$")] = "failed",
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict[str, Any]]:
        """Replies by delivery status; `failed` lists permanent failures with their reason."""
        check(authorization)
        return outbox.listing(db, status, limit)

    return router

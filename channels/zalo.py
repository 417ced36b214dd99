"""Zalo Official Account (OA API v3): signed webhook events in, customer-service messages out.

Zalo posts every event of the OA to `POST /channels/zalo/webhook` and expects an answer
within 2 seconds, so a citizen's message is stored (`Pipeline.receive`) and acknowledged
at once; the assistant's reply is sent afterwards through `POST /v3.0/oa/message/cs`.

Authenticity: the `X-ZEvent-Signature` header is "mac=" + sha256_hex(app_id + raw body +
event timestamp + OA secret key). Events without a valid signature get 403.

Tokens: the OA access token expires (error -216) and is renewed with a refresh token that
Zalo accepts only once, and that comes back replaced by a new one. The current pair lives
in the `channel_credentials` table (seeded from the settings on first use) and is replaced
atomically (compare-and-set on its version); refreshes are serialised, and a send that
finds the pair already renewed by someone else uses the new token instead of refreshing
again, so a refresh token is never presented twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot.channel import Channel
from bot.messages import BotReply, InboundMessage
from bot.outbox import PermanentDeliveryError, TransientDeliveryError
from bot.pipeline import Pipeline
from bot.privacy import mask_pii
from bot.rendering import as_plain_text, split_text
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import ChannelCredential, utcnow

logger = logging.getLogger(__name__)

NAME = "zalo"
WEBHOOK_PATH = "/channels/zalo/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_TEXT_CHARS = 2000  # Zalo's limit for one text message
SEND_PATH = "/v3.0/oa/message/cs"  # customer-service message: free within the interaction window
REFRESH_PATH = "/v4/oa/access_token"

TEXT_EVENT = "user_send_text"
USER_CONTENT_PREFIX = "user_send_"  # user_send_sticker, user_send_image, user_send_file...

# Zalo error codes (the "error" field of a 200 response).
TOKEN_INVALID = -216  # access token invalid or expired: refresh and retry once
# Retrying cannot help: bad parameters, the user does not follow the OA (or cannot be
# found), the interaction window for customer-service messages has closed.
PERMANENT_ERRORS = frozenset({-201, -213, -230})
# Everything else (rate limits such as -32, quota, internal errors) is retried by the outbox.


# ---------------------------------------------------------------------------- inbound


def expected_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The `X-ZEvent-Signature` value Zalo sends for this event."""
    digest = hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()).hexdigest()
    return f"mac={digest}"


def _signature_valid(header: str, expected: str) -> bool:
    # Starlette decodes header values as latin-1, so this encoding gives back the raw bytes.
    return hmac.compare_digest(header.strip().encode("latin-1", "replace"), expected.encode())


def _reason(status: int, reason: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": reason})


def _timestamp_of(event: dict[str, Any]) -> str | None:
    timestamp = event.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, str | int) or timestamp == "":
        return None
    return str(timestamp)


def _content_message(event: dict[str, Any], event_name: str) -> InboundMessage | str:
    """The citizen's message of a `user_send_*` event, or why the event is malformed."""
    sender = event.get("sender")
    sender_id = sender.get("id") if isinstance(sender, dict) else None
    if isinstance(sender_id, int) and not isinstance(sender_id, bool):
        sender_id = str(sender_id)
    if not isinstance(sender_id, str) or not sender_id:
        return "sender.id is missing"
    message = event.get("message")
    if not isinstance(message, dict):
        return "message is missing"
    msg_id = message.get("msg_id")
    platform_id = str(msg_id) if isinstance(msg_id, str | int) and not isinstance(msg_id, bool) and msg_id else None
    if event_name == TEXT_EVENT:
        text = message.get("text")
        if not isinstance(text, str):
            return "message.text is missing"
        content_type = "text"
    else:
        text = ""  # stickers, images, files, locations, voice: the pipeline says only text is understood
        content_type = event_name.removeprefix(USER_CONTENT_PREFIX) or "unknown"
    return InboundMessage(
        channel=NAME,
        sender=sender_id,
        text=text,
        platform_message_id=platform_id,
        metadata={"content_type": content_type},
    )


def _make_router(adapter: ZaloAdapter, settings: Settings) -> Callable[[Pipeline], APIRouter]:
    app_id = settings.zalo_app_id
    oa_secret_key = settings.zalo_oa_secret_key.get_secret_value()

    def make_router(pipeline: Pipeline) -> APIRouter:
        router = APIRouter(tags=["zalo"])

        @router.post(WEBHOOK_PATH)
        async def zalo_webhook(request: Request) -> JSONResponse:
            """A signed OA event: citizens' messages are stored and answered in the background."""
            signature = request.headers.get(SIGNATURE_HEADER)
            if not signature:
                logger.warning("refused a Zalo webhook call without %s", SIGNATURE_HEADER)
                return _reason(403, f"missing {SIGNATURE_HEADER} header")
            if not app_id or not oa_secret_key:
                logger.error("Zalo webhook called but ZALO_APP_ID / ZALO_OA_SECRET_KEY are not configured")
                return _reason(403, "Zalo webhook is not configured")
            raw = await request.body()
            try:
                event = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                return _reason(400, "body is not JSON")
            if not isinstance(event, dict):
                return _reason(400, "body is not a JSON object")
            timestamp = _timestamp_of(event)
            if timestamp is None:
                return _reason(400, "timestamp is missing")
            if not _signature_valid(signature, expected_signature(app_id, raw, timestamp, oa_secret_key)):
                logger.warning("refused a Zalo webhook call with an invalid signature")
                return _reason(403, "invalid signature")
            event_name = event.get("event_name")
            if not isinstance(event_name, str) or not event_name:
                return _reason(400, "event_name is missing")
            if not event_name.startswith(USER_CONTENT_PREFIX):
                # follow, unfollow, oa_send_* echoes, seen/received receipts, anything new.
                return JSONResponse({"status": "ignored"})
            message = _content_message(event, event_name)
            if isinstance(message, str):
                return _reason(400, message)
            accepted = await pipeline.receive(message)
            return JSONResponse({"status": "accepted" if accepted else "duplicate"})

        return router

    return make_router


# ---------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    version: int


class TokenRefreshError(TransientDeliveryError):
    """Zalo did not renew the token pair (network error, or the refresh token was refused)."""


def load_tokens(db: Database, initial_access: str, initial_refresh: str) -> TokenPair:
    """The stored pair; the first time, the pair from the settings is stored and returned."""
    for _ in range(2):
        try:
            with db.session() as session:
                row = session.get(ChannelCredential, NAME)
                if row is None:
                    row = ChannelCredential(
                        channel=NAME, access_token=initial_access, refresh_token=initial_refresh, version=1
                    )
                    session.add(row)
                    session.flush()
                return TokenPair(row.access_token, row.refresh_token, row.version)
        except IntegrityError:
            continue  # another process seeded the row at the same moment: read theirs
    raise TransientDeliveryError("could not read the Zalo credentials")


def replace_tokens(db: Database, old_version: int, access_token: str, refresh_token: str) -> bool:
    """Store a renewed pair unless the stored one changed since `old_version` was read."""
    with db.session() as session:
        result = session.execute(
            update(ChannelCredential)
            .where(ChannelCredential.channel == NAME, ChannelCredential.version == old_version)
            .values(
                access_token=access_token,
                refresh_token=refresh_token,
                version=old_version + 1,
                updated_at=utcnow(),
            )
        )
        return result.rowcount == 1


class ZaloTokens:
    """The OA token pair: read from the database, renewed once per expiry, never reused."""

    def __init__(self, settings: Settings, db: Database, client: httpx.AsyncClient) -> None:
        self._db = db
        self._client = client
        self._app_id = settings.zalo_app_id
        self._app_secret = settings.zalo_app_secret_key
        self._initial_access = settings.zalo_access_token
        self._initial_refresh = settings.zalo_refresh_token
        self._refresh_url = settings.zalo_oauth_base_url.rstrip("/") + REFRESH_PATH
        self._lock = asyncio.Lock()

    async def current(self) -> TokenPair:
        return await asyncio.to_thread(
            load_tokens,
            self._db,
            self._initial_access.get_secret_value(),
            self._initial_refresh.get_secret_value(),
        )

    async def renew(self, stale: TokenPair) -> TokenPair:
        """A pair newer than `stale`: renewed by an earlier caller, or by refreshing now."""
        async with self._lock:
            current = await self.current()
            if current.version != stale.version:
                return current  # renewed meanwhile (another send, or another process)
            access_token, refresh_token = await self._refresh(current.refresh_token)
            if await asyncio.to_thread(replace_tokens, self._db, current.version, access_token, refresh_token):
                logger.info("Zalo access token renewed (credential version %d)", current.version + 1)
                return TokenPair(access_token, refresh_token, current.version + 1)
            # Another process renewed the pair while we did: keep theirs stored, use ours for this send.
            logger.warning("Zalo token pair was renewed concurrently by another process; keeping the stored pair")
            return TokenPair(access_token, refresh_token, current.version)

    async def _refresh(self, refresh_token: str) -> tuple[str, str]:
        if not refresh_token:
            raise TokenRefreshError("no Zalo refresh token configured (set ZALO_REFRESH_TOKEN)")
        try:
            response = await self._client.post(
                self._refresh_url,
                headers={"secret_key": self._app_secret.get_secret_value()},
                data={"app_id": self._app_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
            )
        except httpx.HTTPError as exc:
            # The refresh token may have been consumed without our seeing the new pair.
            logger.error("Zalo token refresh failed: %s", type(exc).__name__)
            raise TokenRefreshError(f"token refresh failed: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict):
            raise TokenRefreshError(f"token refresh failed: HTTP {response.status_code}")
        access_token, refresh_token = body.get("access_token"), body.get("refresh_token")
        if not (isinstance(access_token, str) and access_token and isinstance(refresh_token, str) and refresh_token):
            error = body.get("error")
            detail = str(body.get("error_name") or body.get("error_description") or body.get("message") or "")[:200]
            logger.error("Zalo refused to renew the OA token pair (error %s: %s); re-authorise the OA", error, detail)
            raise TokenRefreshError(f"token refresh refused: error {error}: {detail}")
        return access_token, refresh_token


# ---------------------------------------------------------------------------- outbound


@dataclass(frozen=True)
class _SendResult:
    error: int
    message: str


class ZaloAdapter:
    """Plain text with numbered options, pushed through the OA customer-service API."""

    name = NAME
    numbered_options = True
    delivers_later = True

    def __init__(
        self,
        settings: Settings,
        db: Database,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._client = httpx.AsyncClient(
            timeout=timeout_seconds,
            transport=transport,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._send_url = settings.zalo_api_base_url.rstrip("/") + SEND_PATH
        self.tokens = ZaloTokens(settings, db, self._client)

    def render(self, replies: Sequence[BotReply]) -> list[dict]:
        """One body per piece of at most 2,000 characters; buttons become "1. ...", "2. ..."."""
        return [{"text": piece} for text in as_plain_text(replies) for piece in split_text(text, MAX_TEXT_CHARS)]

    async def deliver(self, recipient: str, body: dict) -> None:
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise PermanentDeliveryError("nothing to send: the body has no text")
        tokens = await self.tokens.current()
        if not tokens.access_token:
            tokens = await self.tokens.renew(tokens)
        result = await self._send(tokens.access_token, recipient, text)
        if result.error == TOKEN_INVALID:
            logger.info("Zalo access token expired or invalid; renewing it")
            tokens = await self.tokens.renew(tokens)
            result = await self._send(tokens.access_token, recipient, text)
        self._raise_for(result)

    async def _send(self, access_token: str, recipient: str, text: str) -> _SendResult:
        payload = {"recipient": {"user_id": recipient}, "message": {"text": text}}
        try:
            response = await self._client.post(self._send_url, headers={"access_token": access_token}, json=payload)
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"Zalo unreachable: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TransientDeliveryError(f"Zalo HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PermanentDeliveryError(f"Zalo HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise TransientDeliveryError("Zalo answered with something other than JSON") from exc
        if not isinstance(answer, dict):
            raise TransientDeliveryError("Zalo answered with something other than a JSON object")
        error = answer.get("error", 0)
        try:
            code = int(error)
        except (TypeError, ValueError):
            code = -1
        return _SendResult(code, mask_pii(str(answer.get("message") or ""))[:300])

    @staticmethod
    def _raise_for(result: _SendResult) -> None:
        if result.error == 0:
            return
        reason = f"Zalo error {result.error}: {result.message}"
        if result.error == TOKEN_INVALID:
            raise TransientDeliveryError(f"{reason} (even after renewing the token)")
        if result.error in PERMANENT_ERRORS:
            raise PermanentDeliveryError(reason)
        raise TransientDeliveryError(reason)

    async def aclose(self) -> None:
        await self._client.aclose()


def channel(settings: Settings, db: Database) -> Channel:
    adapter = ZaloAdapter(settings, db)
    return Channel(adapter, _make_router(adapter, settings))

"""What the Twilio SMS and voice channels share: webhook signatures, TwiML responses, REST.

Twilio signs every webhook with the account's auth token over the URL it called and the
form parameters (`X-Twilio-Signature`). Behind a reverse proxy the gateway sees another
scheme and host than Twilio did, so the URL is rebuilt from `public_base_url`, with the
request's path and query (the voice channel keeps per-call state in the query, which the
signature therefore covers).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import httpx
from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from starlette.datastructures import FormData
from twilio.http import AsyncHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.rest import Client

from bot.settings import Settings

XML = "application/xml"
REQUEST_HUMAN = "/request_human"
OPERATOR_KEY = "0"


class WebhookError(Exception):
    """A webhook that is not Twilio's (403) or not a usable request (400)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> Response:
        return PlainTextResponse(self.reason, status_code=self.status)


def public_url(settings: Settings, request: Request) -> str:
    """The URL Twilio called: the public base, then the path and query as received."""
    url = settings.public_base_url.rstrip("/") + request.url.path
    return f"{url}?{request.url.query}" if request.url.query else url


async def verified_form(request: Request, settings: Settings) -> dict[str, str]:
    """The form parameters of a genuine Twilio webhook; raises WebhookError otherwise."""
    token = settings.twilio_auth_token.get_secret_value()
    if not token:
        raise WebhookError(403, "Twilio webhooks are disabled: no auth token is configured")
    try:
        form: FormData = await request.form()
    except Exception as exc:  # malformed multipart or urlencoded body
        raise WebhookError(400, "malformed form body") from exc
    if any(not isinstance(value, str) for _, value in form.multi_items()):
        raise WebhookError(400, "unexpected file upload")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    if not signature or not RequestValidator(token).validate(public_url(settings, request), form, signature, algorithm):
        raise WebhookError(403, "invalid Twilio signature")
    return {key: str(value) for key, value in form.items()}


def require(params: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if name not in params]
    if missing:
        raise WebhookError(400, f"missing form field(s): {', '.join(missing)}")


def twiml(document: object) -> Response:
    return Response(str(document), media_type=XML)


# ---------------------------------------------------------------- text shared by both renderings

_MARKDOWN = (
    (re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)"), r"\1 (\2)"),  # [text](url)
    (re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.DOTALL), lambda m: m.group(1) or m.group(2)),
    (re.compile(r"`([^`\n]*)`"), r"\1"),
    (re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE), ""),
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),
)


def strip_markdown(text: str) -> str:
    """Markdown emphasis, code, headings and quotes reduced to their text (links keep the URL)."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return text


# ---------------------------------------------------------------- REST


class HttpxTwilioClient(AsyncHttpClient):
    """Twilio's async HTTP interface over httpx (a fresh connection pool per call, so it
    works in whatever event loop the outbox runs), with a bounded timeout."""

    def __init__(self, timeout: float = 15.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(logger=logging.getLogger("twilio.http_client"), is_async=True, timeout=timeout)
        self._transport = transport

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        async with httpx.AsyncClient(
            timeout=timeout or self.timeout, transport=self._transport, follow_redirects=allow_redirects
        ) as client:
            response = await client.request(method.upper(), uri, params=params, data=data, headers=headers, auth=auth)
        return TwilioResponse(response.status_code, response.text, response.headers)


def rest_client(settings: Settings, http_client: AsyncHttpClient | None = None) -> Client:
    """A Twilio REST client for the configured account, talking to `twilio_api_base_url`."""
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=http_client or HttpxTwilioClient(),
    )
    client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    return client

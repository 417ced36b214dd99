"""SMS through Twilio: `POST /channels/sms/twilio`, answered with TwiML in the response.

Every message costs per segment, and a Vietnamese text with diacritics travels as UCS-2
(70 characters in a single segment, 67 per part of a long one) where the same text
without them fits GSM-7 (160, 153 per part). So replies are sent without diacritics by
default (`SMS_STRIP_DIACRITICS`), all replies of a turn go in one message (parts of a
long SMS arrive in order; separate messages may not), buttons become numbered lines the
citizen answers with "1", "2"..., and a reply longer than `SMS_MAX_SEGMENTS` is cut,
keeping the numbered options and, when there is room, how to reach an operator ("0").

Replies after the webhook (a message interrupted by a restart) go through the REST API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from bot.channel import Channel
from bot.messages import BotReply, InboundMessage
from bot.outbox import PermanentDeliveryError, TransientDeliveryError
from bot.pipeline import Pipeline
from bot.rendering import all_buttons, as_plain_text, numbered_options, split_text
from bot.settings import Settings
from bot.storage.db import Database
from bot.vietnamese import nfc, strip_diacritics
from channels.twilio_common import (
    OPERATOR_KEY,
    REQUEST_HUMAN,
    WebhookError,
    require,
    rest_client,
    strip_markdown,
    twiml,
    verified_form,
)

NAME = "sms"
PATH = "/channels/sms/twilio"
OPERATOR_HINT = f"Trả lời {OPERATOR_KEY} để gặp tổng đài viên."
ELLIPSIS = "..."
MIN_KEPT_CHARS = 20  # the operator hint is dropped rather than leave less text than this
MAX_BODY_CHARS = 1600  # Twilio's limit for one message body

# ---------------------------------------------------------------- encodings and segments

GSM7, UCS2 = "GSM-7", "UCS-2"
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")  # two septets each (escape + character)
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # (single message, each part of a concatenated one)


@dataclass(frozen=True)
class SmsLength:
    """How a text travels: its encoding, its size in septets (GSM-7) or UTF-16 units, its segments."""

    encoding: str
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def measure(text: str) -> SmsLength:
    """Encoding and segment count as the network bills it (an empty text is 0 segments).

    A concatenated message loses room to its header (153 septets or 67 UCS-2 units per
    part), and a character is never split between parts: neither an extension character's
    escape pair nor a UTF-16 surrogate pair.
    """
    encoding = GSM7 if is_gsm7(text) else UCS2
    if encoding == GSM7:
        costs = [2 if char in GSM7_EXTENSION else 1 for char in text]
    else:
        costs = [2 if ord(char) > 0xFFFF else 1 for char in text]
    units = sum(costs)
    single, per_part = _LIMITS[encoding]
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0)
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_part:
            segments, used = segments + 1, 0
        used += cost
    return SmsLength(encoding, units, segments)


def segment_count(text: str) -> int:
    return measure(text).segments


# ---------------------------------------------------------------- text preparation

_PUNCTUATION = str.maketrans(
    {
        "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'", "`": "'",
        "–": "-", "—": "-", "−": "-", "‐": "-", "•": "-", "·": "-", "…": "...", "×": "x",
        "≤": "<=", "≥": ">=", "→": "->", "\u00a0": " ", "\t": " ",
    }
)  # fmt: skip
_SPACES = re.compile(r"[ \u2000-\u200a\u202f\u3000]+")


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in strip_markdown(nfc(text)).splitlines())
    return "\n".join(line for line in lines if line)


def to_gsm7(text: str) -> str:
    """Text that fits the GSM-7 alphabet: no diacritics, typographic punctuation made plain,
    anything else without a GSM-7 form (emoji, other scripts) dropped."""
    plain = strip_diacritics(_tidy(text).translate(_PUNCTUATION))
    return _tidy("".join(char for char in plain if char in GSM7_BASIC or char in GSM7_EXTENSION))


def to_unicode(text: str) -> str:
    """Text kept in Vietnamese (UCS-2), only tidied."""
    return _tidy(text)


# ---------------------------------------------------------------- composing a turn


_DANGLING = re.compile(r"(?:^|\n)\s*(?:\d{1,2}[.)]|[-*])?\s*$")  # an empty list item left by the cut


def truncate_to_segments(text: str, max_segments: int, suffix: str = ELLIPSIS, min_kept: int = 0) -> str | None:
    """The longest start of `text`, cut at a word, followed by `suffix`, within `max_segments`.

    None when not even `min_kept` characters of the text fit with the suffix.
    """
    text = text.strip()

    def fits(length: int) -> bool:
        return segment_count(text[:length].rstrip() + suffix) <= max_segments

    if not fits(0):
        return None
    low, high = 0, len(text)
    while low < high:  # the largest length that fits (segments never shrink as text grows)
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    cut = low
    if cut < len(text) and not text[cut].isspace():
        word_start = max(text.rfind(" ", 0, cut + 1), text.rfind("\n", 0, cut + 1))
        if word_start > cut // 2:
            cut = word_start
    kept = _DANGLING.sub("", text[:cut]).rstrip(" \n,;:-(")
    if len(kept) < min_kept:
        return None
    return kept + suffix


def compose(replies: Sequence[BotReply], strip: bool = True, max_segments: int = 4) -> str:
    """One turn as one SMS text within `max_segments` segments.

    Buttons are numbered across the turn exactly as `as_plain_text` numbers them (and as
    the pipeline remembers them), so "1" maps back to the first button.
    """
    prepare: Callable[[str], str] = to_gsm7 if strip else to_unicode
    full = prepare("\n".join(as_plain_text(replies)))
    if segment_count(full) <= max_segments:
        return full
    buttons = all_buttons(replies)
    options = prepare("\n".join(numbered_options(buttons)))
    prose = prepare("\n".join(reply.text for reply in replies if reply.text))
    hint = "" if any(button.payload == REQUEST_HUMAN for button in buttons) else prepare(OPERATOR_HINT)
    for tail in ("\n".join(part for part in (options, hint) if part), options):
        suffix = ELLIPSIS + (f"\n{tail}" if tail else "")
        cut = truncate_to_segments(prose, max_segments, suffix, MIN_KEPT_CHARS if tail else 0)
        if cut is not None:
            return cut
    return truncate_to_segments(full, max_segments) or ""


# ---------------------------------------------------------------- adapter


class SmsAdapter:
    """Replies in the webhook's TwiML; later ones through Twilio's Messages API."""

    name = NAME
    numbered_options = True
    delivers_later = True

    def __init__(self, settings: Settings, client_factory: Callable[[Settings], Client] = rest_client) -> None:
        self._settings = settings
        self._client_factory = client_factory
        self._client: Client | None = None

    def render(self, replies: Sequence[BotReply]) -> list[dict]:
        text = compose(replies, self._settings.sms_strip_diacritics, self._settings.sms_max_segments)
        return [{"text": part} for part in split_text(text, MAX_BODY_CHARS)]

    async def deliver(self, recipient: str, body: dict) -> None:
        text = str(body.get("text") or "")
        if not text:
            return
        settings = self._settings
        if not (settings.twilio_account_sid and settings.twilio_auth_token.get_secret_value()):
            raise PermanentDeliveryError("Twilio SMS is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
        if not settings.twilio_phone_number:
            raise PermanentDeliveryError("no sender number configured (TWILIO_PHONE_NUMBER)")
        if self._client is None:
            self._client = self._client_factory(settings)
        try:
            await self._client.messages.create_async(to=recipient, from_=settings.twilio_phone_number, body=text)
        except TwilioRestException as exc:
            reason = f"Twilio answered {exc.status} (error {exc.code}): {exc.msg}"
            if exc.status in (408, 429) or exc.status >= 500:
                raise TransientDeliveryError(reason) from exc
            raise PermanentDeliveryError(reason) from exc
        except (httpx.HTTPError, OSError, TimeoutError) as exc:
            raise TransientDeliveryError(f"Twilio unreachable: {type(exc).__name__}: {exc}") from exc


_OPERATOR_REPLY = re.compile(rf"^\s*{OPERATOR_KEY}\s*[.)]?\s*$")


def _media_count(params: dict[str, str]) -> int:
    try:
        return max(0, int(params.get("NumMedia") or 0))
    except ValueError:
        return 0


def _router(pipeline: Pipeline, adapter: SmsAdapter, settings: Settings) -> APIRouter:
    router = APIRouter(tags=["sms"])

    @router.post(PATH)
    async def sms_webhook(request: Request) -> Response:
        """Twilio's incoming-message webhook: the answer comes back as TwiML <Message>s."""
        try:
            params = await verified_form(request, settings)
            require(params, "From", "Body", "MessageSid")
            if not params["From"].strip() or not params["MessageSid"].strip():
                raise WebhookError(400, "empty From or MessageSid")
        except WebhookError as exc:
            return exc.response()
        text = params["Body"]
        media_only = _media_count(params) > 0 and not text.strip()
        replies = await pipeline.answer(
            InboundMessage(
                channel=NAME,
                sender=params["From"].strip(),
                text=text,
                payload=REQUEST_HUMAN if _OPERATOR_REPLY.match(text) else None,
                platform_message_id=params["MessageSid"].strip(),
                metadata={"content_type": "media" if media_only else "text"},
            ),
            within=settings.twilio_reply_deadline_seconds,
        )
        response = MessagingResponse()
        # None: a delivery already answered; []: the answer comes later through the REST API.
        for body in adapter.render(replies) if replies else []:
            response.message(body["text"])
        return twiml(response)

    return router


def channel(settings: Settings, db: Database) -> Channel:
    adapter = SmsAdapter(settings)
    return Channel(adapter, lambda pipeline: _router(pipeline, adapter, settings))

"""The Twilio test account both Twilio channels (SMS and voice) are exercised with."""

from __future__ import annotations

from pydantic import SecretStr
from twilio.request_validator import RequestValidator

BASE = "https://tongdai.example.vn"
TOKEN = "twilio-test-auth-token"
SID = "AC" + "0123456789abcdef" * 2
NUMBER = "+842439990000"


def twilio_settings(**overrides: object) -> dict[str, object]:
    """Gateway settings for that account, behind the public URL Twilio signs against."""
    return {
        "twilio_account_sid": SID,
        "twilio_auth_token": SecretStr(TOKEN),
        "public_base_url": BASE,
        "twilio_phone_number": NUMBER,
        **overrides,
    }


def twilio_signature(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """The X-Twilio-Signature Twilio computes for a POST of `params` to `url`."""
    return RequestValidator(token).compute_signature(url, params)

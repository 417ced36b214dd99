"""Composition root of the gateway: the one place that knows every channel.

uvicorn bot.gateway.main:app
"""

from __future__ import annotations

from bot.gateway.app import create_app
from bot.settings import get_settings
from bot.storage.db import database_for
from channels import sms, telegram, voice, webchat, zalo
from knowledge.service import get_knowledge_base

settings = get_settings()
db = database_for(settings.resolved_database_url)
channels = [
    factory(settings, db) for factory in (webchat.channel, telegram.channel, zalo.channel, sms.channel, voice.channel)
]
app = create_app(settings, channels, get_knowledge_base(), db=db)

"""Shared fixtures: the real Rasa stack, fake platform servers and the gateway under test."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from bot.gateway.app import create_app
from bot.settings import PROJECT_ROOT, Settings
from bot.stack import DEFAULT_MODEL, Stack, StackConfig, free_port
from bot.storage.db import Database
from knowledge.corpus import load_corpus, load_uncovered
from knowledge.index_store import build_retriever
from knowledge.service import KnowledgeBase
from tests.fakes.platform_server import FakePlatform


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    """The trained Rasa server and the action server, on free ports, for the whole session."""
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"no trained model at {DEFAULT_MODEL}: `make test` trains it first")
    config = StackConfig.on_free_ports(tmp_path_factory.mktemp("stack"), with_gateway=False)
    with Stack(config).running(timeout=300):
        yield config


@pytest.fixture
def fake_platform() -> Iterator[FakePlatform]:
    server = FakePlatform().start()
    yield server
    server.stop()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "var_dir": tmp_path / "var",
            "database_url": f"sqlite:///{tmp_path / 'var' / 'app.db'}",
            "corpus_dir": PROJECT_ROOT / "knowledge" / "corpus" / "procedures",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[arg-type]

    return build


@pytest.fixture
def serve():
    """Serve an ASGI app over real HTTP on a free port (for a browser); returns its URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: object) -> str:
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def gateway(make_settings: Callable[..., Settings]) -> Callable[..., TestClient]:
    """Build the gateway app (lifespan running) with the given channels and settings."""
    clients: list[TestClient] = []

    def build(channel_factories: list[Callable[[Settings, Database], object]], **settings_overrides: object):
        settings = make_settings(**settings_overrides)
        db = Database(settings.resolved_database_url)
        channels = [factory(settings, db) for factory in channel_factories]
        app = create_app(settings, channels, KnowledgeBase.from_settings(settings), db=db)
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def procedures():
    return load_corpus()


@pytest.fixture(scope="session")
def knowledge_base(procedures):
    """The real corpus with the default (lexical) index, built in memory."""
    return KnowledgeBase(procedures, build_retriever(procedures, "lexical", None, load_uncovered()))

"""A local HTTP server standing in for a messaging platform's API (Telegram, Zalo, Twilio).

It records every request and answers from a script: per path, a queue of responses (the
last one repeats), so a test can make the platform fail, expire a token, or time out.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.stack import free_port


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, list[str]]

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.body.decode()).items()}

    def fields(self) -> dict[str, Any]:
        """The request's parameters, whether sent as JSON or as a form."""
        if "json" in self.headers.get("content-type", ""):
            return self.json()
        return self.form()


@dataclass
class Scripted:
    status: int = 200
    body: Any = field(default_factory=dict)
    delay: float = 0.0


class FakePlatform:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self._defaults: dict[str, Scripted] = {}
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT", "DELETE"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def respond(self, path_suffix: str, *responses: Scripted) -> None:
        """Answer requests whose path ends with `path_suffix` with these responses, in order."""
        with self._lock:
            self._scripts[path_suffix].extend(responses[:-1])
            self._defaults[path_suffix] = responses[-1]

    def _script_for(self, path: str) -> Scripted:
        with self._lock:
            for suffix in sorted(self._defaults, key=len, reverse=True):
                if path.endswith(suffix):
                    queue = self._scripts[suffix]
                    return queue.popleft() if queue else self._defaults[suffix]
        return Scripted(200, {"ok": True, "result": True})

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        path = "/" + request.path_params["path"]
        with self._lock:
            self.requests.append(
                Recorded(request.method, path, dict(request.headers), body, parse_qs(request.url.query))
            )
        script = self._script_for(path)
        if script.delay:
            time.sleep(script.delay)
        if isinstance(script.body, str):
            return Response(script.body, status_code=script.status)
        return JSONResponse(script.body, status_code=script.status)

    def calls(self, path_suffix: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    def wait_for(self, path_suffix: str, count: int = 1, timeout: float = 30.0) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls(path_suffix)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} calls to *{path_suffix}, got {len(self.calls(path_suffix))}")

    def start(self) -> FakePlatform:
        self._thread.start()
        while not self._server.started:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

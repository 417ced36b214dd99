"""Starting the whole assistant: Rasa server, action server and gateway.

    python -m bot.stack run     # foreground, logs prefixed by process, Ctrl-C stops all
    python -m bot.stack chat    # start in the background and talk in this terminal

The same `Stack` starts the processes for the integration tests and the benchmarks, on
free ports and a temporary state directory, so that what is tested is what runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from bot.settings import PROJECT_ROOT, get_settings

RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
APP_PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"
DEFAULT_MODEL = PROJECT_ROOT / "models" / "current.tar.gz"


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StackConfig:
    rasa_port: int = 5005
    action_port: int = 5055
    gateway_port: int = 8000
    var_dir: Path = field(default_factory=lambda: get_settings().var_dir)
    model: Path = DEFAULT_MODEL
    extra_env: dict[str, str] = field(default_factory=dict)
    with_gateway: bool = True

    @classmethod
    def on_free_ports(cls, var_dir: Path, **kwargs: object) -> StackConfig:
        return cls(rasa_port=free_port(), action_port=free_port(), gateway_port=free_port(), var_dir=var_dir, **kwargs)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "PYTHONWARNINGS": "ignore",
                "VAR_DIR": str(self.var_dir),
                "RASA_URL": self.rasa_url,
                "ACTION_ENDPOINT_URL": f"{self.action_url}/webhook",
                "RASA_TRACKER_DB": str(self.var_dir / "rasa_tracker.db"),
                "SANIC_HOST": "127.0.0.1",
                "GATEWAY_PORT": str(self.gateway_port),
            }
        )
        env.update(self.extra_env)
        return env


@dataclass(frozen=True)
class Process:
    name: str
    command: list[str]
    ready_url: str


class Stack:
    """The three processes of the assistant, started together and stopped together."""

    def __init__(self, config: StackConfig, log_to: IO[str] | None = None) -> None:
        self.config = config
        self._log_to = log_to
        self._running: list[tuple[Process, subprocess.Popen[str]]] = []

    def processes(self) -> list[Process]:
        c = self.config
        listed = [
            Process(
                "rasa",
                [
                    str(RASA_BIN),
                    "run",
                    "--enable-api",
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(c.rasa_port),
                    "--model",
                    str(c.model),
                    "--endpoints",
                    str(PROJECT_ROOT / "endpoints.yml"),
                    "--credentials",
                    str(PROJECT_ROOT / "credentials.yml"),
                    "--quiet",
                ],
                f"{c.rasa_url}/status",
            ),
            Process(
                "actions",
                [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(c.action_port)],
                f"{c.action_url}/health",
            ),
        ]
        if c.with_gateway:
            listed.append(
                Process(
                    "gateway",
                    [
                        str(APP_PYTHON),
                        "-m",
                        "uvicorn",
                        "bot.gateway.main:app",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(c.gateway_port),
                        "--no-access-log",
                    ],
                    f"{c.gateway_url}/healthz",
                )
            )
        return listed

    def start(self) -> None:
        if not self.config.model.exists():
            raise FileNotFoundError(f"no trained model at {self.config.model}: run `make model` first")
        self.config.var_dir.mkdir(parents=True, exist_ok=True)
        logs = self.config.var_dir / "logs"
        logs.mkdir(exist_ok=True)
        env = self.config.environment()
        for process in self.processes():
            popen = subprocess.Popen(
                process.command,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                start_new_session=True,
            )
            self._running.append((process, popen))
            threading.Thread(target=self._pump, args=(process.name, popen, logs), daemon=True).start()

    def _pump(self, name: str, popen: subprocess.Popen[str], logs: Path) -> None:
        """Copy a process's output to its log file (and to the terminal when running in front)."""
        assert popen.stdout is not None
        with (logs / f"{name}.log").open("a", encoding="utf-8") as log_file:
            for line in popen.stdout:
                log_file.write(line)
                log_file.flush()
                if self._log_to is not None:
                    self._log_to.write(f"[{name}] {line}")
                    self._log_to.flush()

    def wait_ready(self, timeout: float = 300.0) -> None:
        """Block until every process answers its health URL; raise naming any that died."""
        deadline = time.monotonic() + timeout
        pending = [process for process, _ in self._running]
        while pending:
            for process, popen in self._running:
                if popen.poll() is not None:
                    log = self.config.var_dir / "logs" / f"{process.name}.log"
                    raise RuntimeError(f"{process.name} exited with code {popen.returncode}; see {log}")
            pending = [process for process in pending if not _answers(process.ready_url)]
            if pending and time.monotonic() > deadline:
                names = ", ".join(process.name for process in pending)
                raise TimeoutError(f"not ready after {timeout:.0f}s: {names}")
            if pending:
                time.sleep(0.5)

    def dead(self) -> str | None:
        """Name of a process that has exited, if any."""
        return next((process.name for process, popen in self._running if popen.poll() is not None), None)

    def stop(self) -> None:
        for _, popen in reversed(self._running):
            if popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, signal.SIGTERM)
        for _, popen in self._running:
            try:
                popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, signal.SIGKILL)
        self._running.clear()

    @contextlib.contextmanager
    def running(self, timeout: float = 300.0) -> Iterator[Stack]:
        self.start()
        try:
            self.wait_ready(timeout)
            yield self
        finally:
            self.stop()


def _answers(url: str) -> bool:
    try:
        response = httpx.get(url, timeout=2.0)
    except httpx.HTTPError:
        return False
    if response.status_code != 200:
        return False
    return "/status" not in url or bool(response.json().get("model_file"))


# ---------------------------------------------------------------------- command line


def _chat(gateway_url: str) -> None:
    """A terminal conversation through the gateway's web chat endpoint."""
    sender = f"terminal-{os.getpid()}"
    buttons: list[dict[str, str]] = []
    print("Trợ lý đã sẵn sàng. Gõ câu hỏi (số để chọn nút, /thoat để thoát).")
    with httpx.Client(base_url=gateway_url, timeout=60) as client:
        while True:
            try:
                text = input("Anh/chị: ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if text in {"/thoat", "/quit", "/exit"}:
                return
            if text.isdigit() and 1 <= int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            replies = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text}).json()
            buttons = []
            for reply in replies:
                print(f"Trợ lý: {reply.get('text', '')}")
                for button in reply.get("buttons") or []:
                    buttons.append(button)
                    print(f"   [{len(buttons)}] {button['title']}")


def _run_in_foreground(stack: Stack) -> int:
    """Run until Ctrl-C or SIGTERM; if any process dies, stop the others and fail."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    stack.start()
    try:
        stack.wait_ready()
        url = stack.config.gateway_url
        print(f"\nSẵn sàng: gateway {url} (trang chat: {url}/chat). Ctrl-C để dừng.\n", flush=True)
        while not (dead := stack.dead()):
            time.sleep(1)
        print(f"{dead} stopped unexpectedly; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.stack")
    parser.add_argument("command", choices=["run", "chat"])
    args = parser.parse_args(argv)
    settings = get_settings()
    config = StackConfig(gateway_port=settings.gateway_port)
    if args.command == "run":
        return _run_in_foreground(Stack(config, log_to=sys.stdout))
    stack = Stack(config)
    print("Đang khởi động trợ lý (Rasa nạp mô hình mất khoảng 30 giây)...", flush=True)
    with stack.running():
        _chat(config.gateway_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())

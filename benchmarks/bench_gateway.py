"""Gateway overhead and delivery guarantees, against the real stack on embedded defaults.

    make bench-gateway        (= .venv/bin/python -m benchmarks.bench_gateway)

1. Latency: the same conversations sent through the gateway's web chat endpoint and
   straight to Rasa's REST webhook, in one run, at concurrency 1 and 16, interleaved
   round by round so that both see the same machine load. Prints p50/p95 latency,
   messages/s and the gateway/direct ratio.
2. Redelivery: 1,000 Telegram updates, 10% of them delivered a second time (as Telegram
   does when a webhook is slow), through the gateway to a local fake Bot API; counts
   answers lost and answers duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from bot.stack import Stack, StackConfig
from tests.fakes.platform_server import FakePlatform, Scripted

# A short, realistic conversation: greeting, three knowledge questions, thanks.
CONVERSATION = [
    "xin chào",
    "làm hộ chiếu cần giấy tờ gì",
    "lệ phí bao nhiêu",
    "nop online duoc khong",
    "cảm ơn em",
]


@dataclass
class Run:
    latencies_ms: list[float]
    seconds: float

    @property
    def p50(self) -> float:
        return float(np.percentile(self.latencies_ms, 50))

    @property
    def p95(self) -> float:
        return float(np.percentile(self.latencies_ms, 95))

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds


async def _conversation(client: httpx.AsyncClient, url: str, sender: str, latencies: list[float]) -> None:
    for text in CONVERSATION:
        start = time.perf_counter()
        response = await client.post(url, json={"sender": sender, "message": text})
        latencies.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
        if not response.json():
            raise RuntimeError(f"no answer to {text!r} from {url}")


async def measure(url: str, conversations: int, concurrency: int, tag: str) -> Run:
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one(index: int) -> None:
            async with semaphore:
                await _conversation(client, url, f"{tag}-{index}-{random.randrange(10**9)}", latencies)

        start = time.perf_counter()
        await asyncio.gather(*(one(index) for index in range(conversations)))
        return Run(latencies, time.perf_counter() - start)


def merge(runs: Sequence[Run]) -> Run:
    return Run([value for run in runs for value in run.latencies_ms], sum(run.seconds for run in runs))


async def latency_section(config: StackConfig, conversations: int, rounds: int) -> None:
    direct_url = f"{config.rasa_url}/webhooks/rest/webhook"
    gateway_url = f"{config.gateway_url}/webhooks/rest/webhook"
    await measure(gateway_url, 4, 4, "warmup-gw")
    await measure(direct_url, 4, 4, "warmup-direct")
    print(f"Latency: {conversations} conversations x {len(CONVERSATION)} messages per round, {rounds} rounds")
    print(f"{'concurrency':>11} {'path':<8}{'p50 ms':>9}{'p95 ms':>9}{'msg/s':>8}   gateway/direct p50")
    for concurrency in (1, 16):
        direct_runs, gateway_runs = [], []
        for round_number in range(rounds):
            # Alternate which goes first, so neither always meets a warmer or colder server.
            order = [("direct", direct_url), ("gateway", gateway_url)]
            if round_number % 2:
                order.reverse()
            for name, url in order:
                run = await measure(url, conversations, concurrency, f"{name}-c{concurrency}-r{round_number}")
                (direct_runs if name == "direct" else gateway_runs).append(run)
        direct, gateway = merge(direct_runs), merge(gateway_runs)
        ratio = gateway.p50 / direct.p50
        for name, run in (("direct", direct), ("gateway", gateway)):
            suffix = f"   {ratio:.3f}" if name == "gateway" else ""
            print(f"{concurrency:>11} {name:<8}{run.p50:>9.1f}{run.p95:>9.1f}{run.rate:>8.1f}{suffix}")


# ---------------------------------------------------------------------- redelivery


REDELIVERY_TEXTS = ["xin chào", "cảm ơn", "tạm biệt", "mấy giờ mở cửa"]


def telegram_update(update_id: int, chat_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Dân"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Dân"},
            "text": text,
        },
    }


async def redelivery_section(config: StackConfig, fake: FakePlatform, secret: str, total: int) -> None:
    unique = int(total / 1.1)
    texts = REDELIVERY_TEXTS
    updates = [telegram_update(100_000 + i, 500_000 + i, texts[i % len(texts)]) for i in range(unique)]
    redelivered = random.Random(11).sample(updates, total - unique)
    deliveries = updates + redelivered
    random.Random(12).shuffle(deliveries)
    url = f"{config.gateway_url}/channels/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    semaphore = asyncio.Semaphore(16)
    async with httpx.AsyncClient(timeout=60) as client:

        async def post(update: dict) -> int:
            async with semaphore:
                return (await client.post(url, json=update, headers=headers)).status_code

        statuses = Counter(await asyncio.gather(*(post(update) for update in deliveries)))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        answered = {call.fields().get("chat_id") for call in fake.calls("/sendMessage")}
        if len(answered) >= unique:
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(2.0)  # let any duplicate deliveries arrive before counting
    per_chat = Counter(int(call.fields()["chat_id"]) for call in fake.calls("/sendMessage"))
    lost = sum(1 for update in updates if per_chat[update["message"]["chat"]["id"]] == 0)
    duplicated = sum(max(0, count - 1) for count in per_chat.values())
    print(f"\nRedelivery: {len(deliveries)} webhook calls ({unique} unique updates, {len(redelivered)} redelivered)")
    print(f"  webhook responses: {dict(statuses)}")
    print(f"  answers lost: {lost}   answers duplicated: {duplicated}")


# ---------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=32, help="conversations per round and path")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--redeliveries", type=int, default=1000, help="webhook calls in the redelivery run (0: skip)")
    args = parser.parse_args()

    fake = FakePlatform().start()
    fake.respond("/sendMessage", _telegram_ok())
    secret = "bench-secret"
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as var_dir:
        config = StackConfig.on_free_ports(
            Path(var_dir),
            extra_env={
                "TELEGRAM_BOT_TOKEN": "123456:BENCH",
                "TELEGRAM_SECRET_TOKEN": secret,
                "TELEGRAM_API_BASE_URL": f"{fake.url}/bot",
            },
        )
        print("Starting Rasa, the action server and the gateway (embedded defaults)...", flush=True)
        with Stack(config).running():
            asyncio.run(latency_section(config, args.conversations, args.rounds))
            if args.redeliveries:
                asyncio.run(redelivery_section(config, fake, secret, args.redeliveries))
    fake.stop()
    return 0


def _telegram_ok() -> Scripted:
    message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "ok"}
    return Scripted(200, {"ok": True, "result": message})


if __name__ == "__main__":
    sys.exit(main())

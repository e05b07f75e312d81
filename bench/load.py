"""A load generator in its own process: signed slash commands over real HTTP.

`python -m bench.load URL SECRET --requests N --concurrency C --text-file F` prints one JSON
object: the latency of each request (seconds), the wall time, the statuses seen, and this
process's own CPU time over the run (`cpu`, seconds): a load generator near one core's worth
(cpu ≈ wall) is the bottleneck, and then the server's figures say more about it than the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier


def command_body(text: str, user_id: str, channel_id: str, team_id: str) -> str:
    return urlencode(
        {
            "token": "bench",
            "team_id": team_id,
            "team_domain": "bench",
            "channel_id": channel_id,
            "channel_name": "bench",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/onboard",
            "text": text,
            "api_app_id": "A0BENCH",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "bench.trigger",
        }
    )


async def run(url: str, secret: str, texts: list[str], requests: int, concurrency: int) -> dict:
    verifier = SignatureVerifier(secret)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = command_body(texts[i % len(texts)], "UBENCH", "CBENCH", "TBENCH")
                stamp = str(int(time.time()))
                headers = {
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body),
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except aiohttp.ClientError:
                    status = 0
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    return {"latencies": latencies, "wall": wall, "statuses": statuses, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("secret")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--text", action="append", required=True)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.secret, args.text, args.requests, args.concurrency))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

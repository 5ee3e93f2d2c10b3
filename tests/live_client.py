"""A graphql-transport-ws client for the tests (aiohttp's WebSocket), against the service under uvicorn."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import aiohttp


class LiveClient:
    def __init__(self, session: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.session = session
        self.socket = socket
        self.messages: dict[str, asyncio.Queue[dict[str, Any]]] = {}
        self.closed_with: int | None = None
        self.closed_at: float | None = None
        """When the reader saw the socket end (Unix time, as a token's `exp`)."""
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, url: str, authorization: str | None = None) -> LiveClient:
        """Open a connection and init it; raises ConnectionRefused with the close code if refused."""
        session = aiohttp.ClientSession()
        socket = await session.ws_connect(url.replace("http", "ws", 1), protocols=("graphql-transport-ws",))
        payload = {"Authorization": authorization} if authorization else {}
        await socket.send_json({"type": "connection_init", "payload": payload})
        message = await socket.receive(timeout=10)
        if message.type != aiohttp.WSMsgType.TEXT or json.loads(message.data)["type"] != "connection_ack":
            await socket.close()
            await session.close()
            raise ConnectionRefusedError(socket.close_code)
        return cls(session, socket)

    async def _read(self) -> None:
        async for message in self.socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            body = json.loads(message.data)
            if "id" in body:
                self.messages.setdefault(body["id"], asyncio.Queue()).put_nowait(body)
        self.closed_at = time.time()
        self.closed_with = self.socket.close_code

    async def subscribe(self, operation_id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        self.messages.setdefault(operation_id, asyncio.Queue())
        payload = {"query": query, "variables": variables or {}}
        await self.socket.send_json({"id": operation_id, "type": "subscribe", "payload": payload})

    async def next(self, operation_id: str, within: float = 5.0) -> dict[str, Any]:
        """The next message of one operation: `next` (its payload), `error` or `complete`."""
        return await asyncio.wait_for(self.messages.setdefault(operation_id, asyncio.Queue()).get(), within)

    async def until_closed(self, within: float) -> int | None:
        """The close code once the server has closed the socket, or None if it is still open after `within`."""
        await asyncio.wait({self._reader}, timeout=within)  # the reader ends with the socket
        return self.closed_with

    async def close(self) -> None:
        await self.socket.close()
        await self.session.close()
        self._reader.cancel()


async def metric_total(url: str, name: str, *, unless: str | None = None) -> float:
    """A metric of the service at `url` (its /graphql), summed over all its label values but those that hold
    `unless` (such as `table="Migration"`)."""
    async with aiohttp.ClientSession() as session, session.get(url.replace("/graphql", "/metrics")) as response:
        text = await response.text()
    samples = re.findall(rf"^{re.escape(name)}({{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    return sum(float(value) for labels, value in samples if unless is None or unless not in labels)


async def active_subscriptions(url: str) -> float:
    return await metric_total(url, "graphql_subscriptions")


async def until_subscribed(url: str, count: float, within: float = 10.0) -> None:
    """Wait until the service counts `count` subscriptions that can no longer miss a change."""
    deadline = time.monotonic() + within
    while await active_subscriptions(url) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} subscriptions became active")
        await asyncio.sleep(0.05)


def error_codes(message: dict[str, Any]) -> list[str]:
    """The codes of a subscription's errors, sent as `error` (before it starts) or in a `next` (after)."""
    payload = message["payload"]
    errors = payload if message["type"] == "error" else payload.get("errors") or []
    return [error["extensions"]["code"] for error in errors]

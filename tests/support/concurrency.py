"""Many requests at once over real HTTP connections (to `live_url`), and what came back."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.issuer import admin_headers


async def post_concurrently(
    url: str, bodies: list[dict[str, Any]], headers: dict[str, str] | list[dict[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Send every body at once over real HTTP connections, as an admin by default, or with `headers` (the
    same for all, or one per body); the answers in order."""
    import httpx

    each = headers if isinstance(headers, list) else [admin_headers() if headers is None else headers] * len(bodies)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=len(bodies))) as client:
        responses = await asyncio.gather(
            *(client.post(url, json=body, headers=sent) for body, sent in zip(bodies, each, strict=True))
        )
    assert all(response.status_code == 200 for response in responses), [r.text for r in responses]
    return [response.json() for response in responses]


def outcomes(bodies: list[dict[str, Any]]) -> Counter[str]:
    """How many answers succeeded ("ok") and how many failed, by error code."""
    return Counter(body["errors"][0]["extensions"]["code"] if body.get("errors") else "ok" for body in bodies)

"""What verifying a bearer token adds to a request, measured side by side in one run.

One service process trusts an issuer run here (tests.issuer: RS256 and ES256 keys, JWKS over HTTP).
The same public question, `product(productId)` (one BatchGetItem), is asked anonymously and with a
customer's access token, in interleaved rounds; the difference is the token's cost (header parsing,
signature check with the cached key, claims). In-process, `TokenVerifier.verify` is timed alone per
algorithm. Prints p50s, their ratio and difference, and throughput at 16 clients for both.

    .venv/bin/python -m bench.auth_cost [--rounds 8] [--per-round 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from bench.common import (
    Answer,
    bench_server,
    build_bench_data,
    http_session,
    loaded_dynamodb_local,
    percentile,
    sequential,
    throughput,
)
from graphql_api.auth.tokens import TokenVerifier
from graphql_api.settings import Settings
from tests.fixtures_data import CANONICAL_SUB
from tests.issuer import CLIENT_ID, shared_issuer

QUESTION = "query($id: ID!) { product(productId: $id) { productId name price stock } }"


def verify_cost(count: int = 500) -> dict[str, float]:
    """Microseconds per `verify`, the JWKS cached: a token seen for the first time (the signature is checked)
    per algorithm, and the same token again (remembered)."""
    issuer = shared_issuer()
    verifier = TokenVerifier(Settings(auth_issuer=issuer.url, auth_audience=(CLIENT_ID,), cursor_secret="x"))
    costs = {}

    async def timed(tokens: list[str]) -> float:
        started = time.perf_counter()
        for token in tokens:
            await verifier.verify(token)
        return (time.perf_counter() - started) / len(tokens) * 1e6

    async def run() -> None:
        for key in issuer.keys[:2]:
            tokens = [issuer.token(f"user-{n}", key=key) for n in range(count)]
            await verifier.verify(issuer.token("warm-up", key=key))  # the JWKS fetch, once
            costs[f"{key.algorithm} first"] = await timed(tokens)
            costs[f"{key.algorithm} again"] = await timed(tokens)
        assert verifier.keys is not None
        await verifier.keys.close()

    asyncio.run(run())
    return costs


async def compare(url: str, product_id: str, rounds: int, per_round: int) -> dict[str, dict[str, Any]]:
    issuer = shared_issuer()
    body = {"query": QUESTION, "variables": {"id": product_id}}
    contenders = {"anonymous": {}, "with token": {"Authorization": f"Bearer {issuer.token(CANONICAL_SUB)}"}}
    latencies: dict[str, list[float]] = {name: [] for name in contenders}
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    async with http_session() as session:

        def asker(headers: dict[str, str]) -> Any:
            async def ask() -> Answer:
                async with session.post(url, json=body, headers=headers) as response:
                    payload = await response.json()
                    assert response.status == 200, payload
                    assert "errors" not in payload, payload
                    return Answer(payload, int(response.headers["x-dynamodb-requests"]), None)

            return ask

        for headers in contenders.values():  # warm up both paths
            await sequential(asker(headers), 50, 10)
        for number in range(rounds):
            order = list(contenders) if number % 2 == 0 else list(reversed(contenders))
            for name in order:
                measured, answers = await sequential(asker(contenders[name]), per_round, 30)
                assert all(answer.requests == 1 for answer in answers)
                latencies[name] += measured
            for name in order:
                rates[name].append(await throughput(asker(contenders[name]), per_round * 2, 16, 30))
    return {
        name: {
            "p50_ms": percentile(latencies[name], 0.5) * 1000,
            "p99_ms": percentile(latencies[name], 0.99) * 1000,
            "answers_per_s": statistics.median(rates[name]),
        }
        for name in contenders
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=100)
    args = parser.parse_args()
    micro = verify_cost()
    print("TokenVerifier.verify: " + ", ".join(f"{case} {us:.1f} us" for case, us in micro.items()))
    data = build_bench_data()
    issuer = shared_issuer()
    with loaded_dynamodb_local(data.dataset) as settings:
        settings = settings.replace(auth_issuer=issuer.url, auth_audience=(CLIENT_ID,))
        with bench_server("graphql_api.app:app_from_env", settings, "bench-auth.log") as url:
            result = asyncio.run(compare(url, data.catalog[0].product_id, args.rounds, args.per_round))
    anonymous, signed = result["anonymous"], result["with token"]
    for name, figures in result.items():
        print(
            f"{name:>10}: p50 {figures['p50_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms  "
            f"{figures['answers_per_s']:.0f} answers/s @16"
        )
    print(
        f"token/anonymous: p50 {signed['p50_ms'] / anonymous['p50_ms']:.3f}x "
        f"(+{signed['p50_ms'] - anonymous['p50_ms']:.2f} ms), "
        f"throughput {signed['answers_per_s'] / anonymous['answers_per_s']:.3f}x"
    )


if __name__ == "__main__":
    main()

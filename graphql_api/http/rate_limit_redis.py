"""The rate limits' counters in Valkey/Redis (RATE_LIMIT_STORE=redis://..., or LIVE_BUS when that is unset).

One hash per identity and window (`<TABLE_PREFIX>ratelimit:<identity>#<window start>`), a field per budget. A
charge is one Lua script, so one round trip and atomic across every instance: if each total plus its amount
stays within its limit, HINCRBY each and EXPIREAT the window's expiry, else add nothing; either way answer the
totals. A reconciliation is HINCRBY and EXPIREAT in one MULTI (no condition, as with DynamoDB). Redis expires
the hash at the same time as DynamoDB's time to live would (a window after the window's end), but exactly.
Any error of Redis (refused, reset, timed out) is StoreUnavailable: the limiter's RATE_LIMIT_FAIL_OPEN applies.
"""

from __future__ import annotations

from collections.abc import Mapping

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from graphql_api.repositories.rate_limits import Counted, Counter, StoreUnavailable

# KEYS[1]: the counter. ARGV[1]: its expiry (Unix seconds), then (budget, amount, limit) for each budget charged.
CHARGE = """
local n = (#ARGV - 1) / 3
for i = 0, n - 1 do
  local total = tonumber(redis.call('HGET', KEYS[1], ARGV[2 + 3 * i]) or '0')
  if total + tonumber(ARGV[3 + 3 * i]) > tonumber(ARGV[4 + 3 * i]) then
    return {0, redis.call('HGETALL', KEYS[1])}
  end
end
for i = 0, n - 1 do
  redis.call('HINCRBY', KEYS[1], ARGV[2 + 3 * i], ARGV[3 + 3 * i])
end
redis.call('EXPIREAT', KEYS[1], ARGV[1])
return {1, redis.call('HGETALL', KEYS[1])}
"""


class RedisRateLimitStore:
    """The counters in Redis, shared by every instance using the same server."""

    def __init__(self, url: str, timeout: float, prefix: str = "") -> None:
        # No retries: the limiter gives up after `timeout` and then does not ask for a second; a retry inside
        # the client would only spend that time.
        self.redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
        )
        self.prefix = f"{prefix}ratelimit:"
        self._charge = self.redis.register_script(CHARGE)  # EVALSHA, loading the script once per server

    def key(self, counter: Counter) -> str:
        return self.prefix + counter.key

    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        arguments: list[str | int] = [counter.expires_at]
        for budget, amount in amounts.items():
            arguments += [budget, amount, limits[budget]]
        try:
            admitted, flat = await self._charge(keys=[self.key(counter)], args=arguments)
        except (RedisError, OSError) as error:
            raise StoreUnavailable(f"Redis: {error}") from error
        found = {field.decode(): int(value) for field, value in zip(flat[::2], flat[1::2], strict=True)}
        return Counted(bool(admitted), {budget: found[budget] for budget in limits if budget in found})

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        key = self.key(counter)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                for budget, amount in amounts.items():
                    pipe.hincrby(key, budget, amount)
                pipe.expireat(key, counter.expires_at)
                await pipe.execute()
        except (RedisError, OSError) as error:
            raise StoreUnavailable(f"Redis: {error}") from error

    async def close(self) -> None:
        await self.redis.aclose()

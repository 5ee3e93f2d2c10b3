"""Each change published once on the bus where two streams carry it (LIVE_BUS, during the single-table migration).

The relays read the old tables' streams and the single table's (graphql_api.live.relay), and the shards of the two
may be leased by different relays, so no relay sees both copies of a change: the filter of graphql_api.live.dedupe
runs in Redis instead, shared by every relay. For each record a Lua script (atomic: two relays publishing the two
copies of one write are served one after the other) compares the record's mark (graphql_api.live.dedupe.mark: the
item's rank and new image) with the last one published for its item, and publishes the record only if it shows a
change not published yet, remembering its mark for `REMEMBER_SECONDS`.

Deduplicating before publishing, not on the instances: the instances then receive exactly what they received
before the migration (one copy per change, in order per item), keep dropping a republished record by its sequence
number, and need to know nothing of the migration; and a filter in each instance would need both copies to reach
it in order through different relays anyway. The cost is a script call instead of a PUBLISH per record while the
migration writes the single table, and a small hash per changed item in Redis for ten minutes.
"""

from __future__ import annotations

from typing import Any

from graphql_api.live.dedupe import mark
from graphql_api.live.streams import Record

REMEMBER_SECONDS = 600
"""How long an item's last mark is kept: both copies of a change reach the relays within moments, a failover's
backlog within a few lease times; a relay's first read of the single table replays its last minute."""

PUBLISH_FIRST = """
local last = redis.call('HMGET', KEYS[1], 'v', 'r', 'i')
if last[1] then
  if ARGV[5] == last[3] then return 0 end
  if ARGV[3] ~= '' and last[1] ~= '' and not (ARGV[6] == '1' and last[2] == '1') then
    local v, lv = tonumber(ARGV[3]), tonumber(last[1])
    if v < lv or (v == lv and tonumber(ARGV[4]) < tonumber(last[2])) then return 0 end
  end
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'r', ARGV[4], 'i', ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
"""
"""KEYS[1]: the item's hash; ARGV: channel, message, version ('' none), removal (0/1), new image digest ('' none),
creates (0/1), seconds to remember. Returns 1 if published. Mirrors graphql_api.live.dedupe's `first`."""


def script_arguments(channel: str, message: str, record: Record) -> tuple[str, list[str]] | None:
    """The script's key and arguments for a record; None for a record that shows no change (nothing to publish)."""
    found = mark(record)
    if found is None:
        return None
    key, rank, new_image, created = found
    version, removal = ("", "0") if rank is None else (str(rank[0]), str(rank[1]))
    image = "" if new_image is None else new_image.hex()
    arguments = [channel, message, version, removal, image, "1" if created else "0", str(REMEMBER_SECONDS)]
    return f"live:seen:{channel}:{key.hex()}", arguments


async def publish_first(redis: Any, messages: list[tuple[str, str, Record]]) -> list[bool]:
    """Publish each (channel, message, record) whose change was not published yet, in order, in one round trip;
    whether each was published. `redis` is a redis.asyncio client (RedisError if out of reach)."""
    calls = [(index, script_arguments(*message)) for index, message in enumerate(messages)]
    published = [False] * len(messages)
    wanted = [(index, call) for index, call in calls if call is not None]
    if not wanted:
        return published
    async with redis.pipeline(transaction=False) as pipe:
        for _, (key, arguments) in wanted:
            pipe.eval(PUBLISH_FIRST, 1, key, *arguments)
        results = await pipe.execute()
    for (index, _), result in zip(wanted, results, strict=True):
        published[index] = bool(result)
    return published

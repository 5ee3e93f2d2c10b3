"""The catalog's generation in this process: a number that changes whenever data a public answer may read changes.

It moves on every write this process makes (the view tells it before a write's answer is sent) and on every
change the streams of the followed tables carry, whoever wrote it (another instance, a backfill, the console).
A conditional GET may be answered 304 without running only while the generation is `current` (not None):
every followed table's feed is caught up and alive. Otherwise the document runs (docs/decisions/0008).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from graphql_api.entity import Entity
from graphql_api.errors import Unavailable
from graphql_api.live.hub import Change, Hub

logger = logging.getLogger(__name__)

_RETRY_SECONDS = 1.0
_READY_WITHIN = 60.0


class CatalogVersion:
    def __init__(self, hub: Hub | None, entities: Sequence[Entity[Any]]) -> None:
        self.generation = 0
        self._hub = hub
        self._entities = tuple(entities)
        self._following: dict[str, bool] = {entity.table.name: False for entity in self._entities}
        self._tasks: list[asyncio.Task[None]] = []

    def changed(self, *_: Any) -> bool:
        """A write was made or seen: answers computed before it are no longer known to be current."""
        self.generation += 1
        return False  # as a subscriber's filter: nothing is queued

    @property
    def current(self) -> int | None:
        """The generation, when every followed table's changes reach this process; None when they may not."""
        if self._hub is None:
            return None
        if not self._tasks:
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._follow(self._hub, entity)) for entity in self._entities]
            return None
        if not all(self._following.values()) or any(task.done() for task in self._tasks):
            return None
        return self.generation

    async def _follow(self, hub: Hub, entity: Entity[Any]) -> None:
        name = entity.table.name
        while True:
            try:
                async with hub.subscribe(entity, self._seen, ready_within=_READY_WITHIN) as subscriber:
                    self._following[name] = True
                    self.changed()  # what happened before the feed was caught up is not known
                    async for _ in subscriber.changes():
                        pass
            except Unavailable as lost:  # a gap in the stream, or a reader that did not catch up in time
                logger.warning("catalog version: the %s changes are not followed: %s", name, lost.message)
            finally:
                self._following[name] = False
                self.changed()
            await asyncio.sleep(_RETRY_SECONDS)

    def _seen(self, change: Change[Any]) -> bool:
        return self.changed(change)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

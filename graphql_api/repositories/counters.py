"""Counters kept, not counted: the sizes of the unfiltered listings, in the transactions that change them.

An item counts the members of one family in one shard: `Shard` is the family and the shard's number
(`OrdersByStatus#3`), `Member` what is counted (`PENDING`), `Count` how many and `Amount` their money (an order
status's revenue). A write adds to one shard (ADD: the item is created when missing) in the same transaction as
the write it counts; a read sums the shards of a member (one BatchGetItem), so a shard alone may even be negative.

How many shards (docs/filtering-and-counting.md says why):

- OrdersByStatus: 10. Every new order adds to PENDING, and every status change to two statuses: one item
  would take every order's transaction. Concurrent transactions touching one item cancel each other
  (TransactionConflict, retried with backoff), and one item takes at most ~1,000 WCU/s (a transactional write
  costs 2, so ~500 orders/s). The shard is in the partition key, so the shards spread over partitions at once.
  Ten shards lift that to ~5,000 orders/s and make two random orders meet on a shard one time in ten; a read of
  all five statuses is 50 keys, one BatchGetItem (at most 100 keys), and a status's count 10 items.
- ProductsByCategory: 1. Only staff write products; one Query on `ProductsByCategory#0` lists every category
  in name order (`categories`).
- ReviewsByCustomer: 1. A customer's counter is an item of its own (no two customers contend), and a customer
  writes reviews one at a time.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from graphql_api.dynamo.batch_get import batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Action
from graphql_api.entity import Entity
from graphql_api.money import Money
from graphql_api.repositories._writes import add_to

MAX_CATEGORIES = 1000
"""`categories` reads one Query of at most this many counters (a few dozen bytes each: far below a page's 1 MB)."""


@dataclass(frozen=True, kw_only=True)
class Counter:
    shard: str
    """The family and the shard's number: `OrdersByStatus#3`."""
    member: str
    """What is counted: a status, a category, a customer id."""
    count: int = 0
    amount: Money = Decimal(0)
    """The money of what is counted (an order status's revenue); 0 where none is."""


COUNTERS = Entity(Counter, "Counters", key=("shard", "member"))
OF_SHARD = COUNTERS.listing(pattern="AP13", purpose="Product categories with their counts")
"""AP13: the members of one shard in name order (the categories: `ProductsByCategory#0`)."""


@dataclass(frozen=True)
class Family:
    """Counters of one kind, each spread over `shards` items."""

    name: str
    shards: int

    def shard(self, number: int) -> str:
        return f"{self.name}#{number}"

    def number_of(self, shard: str) -> int | None:
        """The shard's number if `shard` is one of this family's, else None."""
        name, _, number = shard.rpartition("#")
        if name != self.name or not number.isdigit() or int(number) >= self.shards:
            return None
        return int(number)


ORDERS_BY_STATUS = Family("OrdersByStatus", 10)
PRODUCTS_BY_CATEGORY = Family("ProductsByCategory", 1)
REVIEWS_BY_CUSTOMER = Family("ReviewsByCustomer", 1)
FAMILIES: tuple[Family, ...] = (ORDERS_BY_STATUS, PRODUCTS_BY_CATEGORY, REVIEWS_BY_CUSTOMER)


@dataclass(frozen=True)
class Total:
    """A member's count and amount, summed over its shards."""

    count: int = 0
    amount: Decimal = field(default=Decimal(0))

    def __add__(self, other: Total) -> Total:
        return Total(self.count + other.count, self.amount + other.amount)


def add(family: Family, member: str, count: int, amount: Decimal | None = None, *, shard: int | None = None) -> Action:
    """The transaction action adding to a member's counter, on a random shard (or `shard`)."""
    number = random.randrange(family.shards) if shard is None else shard  # noqa: S311 (spreading, not secrecy)
    added: dict[str, int | Decimal] = {"count": count}
    if amount is not None:
        added["amount"] = amount
    return add_to(COUNTERS, COUNTERS.key(family.shard(number), member), added)


def moved(family: Family, old: str, new: str, amount: Decimal | None = None) -> list[Action]:
    """A member leaving `old` for `new` (a product's category, an order's status): nothing when they are the same."""
    if old == new:
        return []
    return [
        add(family, old, -1, None if amount is None else -amount),
        add(family, new, 1, amount),
    ]


async def totals(dynamo: Dynamo, family: Family, members: Sequence[str]) -> dict[str, Total]:
    """Each member's total over its shards: one BatchGetItem per 100 keys (all five statuses: 50 keys)."""
    keys = [
        (COUNTERS.table, COUNTERS.key(family.shard(number), member))
        for member in members
        for number in range(family.shards)
    ]
    summed = {member: Total() for member in members}
    for item in await batch_get(dynamo, keys):
        if item is not None:
            counter = COUNTERS.from_item(item)
            summed[counter.member] += Total(counter.count, counter.amount)
    return summed


async def total(dynamo: Dynamo, family: Family, member: str) -> Total:
    return (await totals(dynamo, family, [member]))[member]


async def listed(dynamo: Dynamo, family: Family) -> dict[str, Total]:
    """Every member of a one-shard family with a count, in name order: one Query."""
    if family.shards != 1:
        raise TypeError(f"{family.name} is spread over {family.shards} shards: list its members by name")
    page = await OF_SHARD.page(dynamo, family.shard(0), first=MAX_CATEGORIES, after=None, read_budget=1)
    found = {counter.member: Total(counter.count, counter.amount) for counter, _ in page.entries}
    return {member: each for member, each in found.items() if each.count != 0}


def summed(counters: Iterable[Counter]) -> dict[tuple[str, str], Total]:
    """Totals by (family name, member) of stored counters, over the shards a read sums (others are left out)."""
    found: dict[tuple[str, str], Total] = {}
    for counter in counters:
        family = next((each for each in FAMILIES if each.number_of(counter.shard) is not None), None)
        if family is not None:
            key = (family.name, counter.member)
            found[key] = found.get(key, Total()) + Total(counter.count, counter.amount)
    return found

"""GraphQL types over domain objects: a type names the domain fields it shows, and `from_domain` copies them.

The type is the API's contract (which fields, `ID` or not, descriptions); the values come from the
entity's dataclass by name, so no field is written a third time. A `_domain` private field, where a type
declares one, receives the domain object itself (for resolvers of related data).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Self


class DomainType:
    _copied: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def from_domain(cls, value: Any) -> Self:
        copied = cls.__dict__.get("_copied")
        if copied is None:
            copied = tuple(field.name for field in dataclasses.fields(cls) if field.init)  # type: ignore[arg-type]
            cls._copied = copied
        values = {name: value if name == "_domain" else getattr(value, name) for name in copied}
        return cls(**values)

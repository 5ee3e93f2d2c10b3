"""GraphQL types over domain objects: a type names the domain fields it shows, and `from_domain` copies them.

The type is the API's contract (which fields, `ID` or not, descriptions); the values come from the
entity's dataclass by name, so no field is written a third time. A `_domain` private field, where a type
declares one, receives the domain object itself (for resolvers of related data).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, Self


class DomainType:
    _copy: ClassVar[Callable[[Any], Any] | None] = None

    @classmethod
    def from_domain(cls, value: Any) -> Self:
        copy = cls.__dict__.get("_copy")
        if copy is None:
            copy = cls._copy = _compiled_copy(cls)
        made: Self = copy(value)
        return made


def _compiled_copy(cls: type) -> Callable[[Any], Any]:
    """`cls(name=value.name, ..., _domain=value)`, written out for the type and compiled once: a canonical page
    makes 141 of these, and a loop over the fields for each showed in its profile."""
    names = [field.name for field in dataclasses.fields(cls) if field.init]
    arguments = ", ".join(f"{name}=value" if name == "_domain" else f"{name}=value.{name}" for name in names)
    namespace: dict[str, Any] = {"cls": cls}
    source = f"def copy(value):\n    return cls({arguments})"
    exec(compile(source, f"<from_domain of {cls.__name__}>", "exec"), namespace)  # noqa: S102
    copy: Callable[[Any], Any] = namespace["copy"]
    return copy

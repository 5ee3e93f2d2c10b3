"""What a query selects below a field, through fragments and inline fragments (for prefetching)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def _fields(selections: Sequence[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection set, those of its fragments included (whatever their directives say)."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread):
            yield from _fields(selection.selections)


def selected(fields: Sequence[Selection], *path: str) -> list[SelectedField]:
    """Every field at `path` (field names, aliases aside) below `fields` (Info.selected_fields: the field being
    resolved); empty when the query selects none there."""
    current = list(_fields(fields))
    for name in path:
        current = [child for field in current for child in _fields(field.selections) if child.name == name]
    return current

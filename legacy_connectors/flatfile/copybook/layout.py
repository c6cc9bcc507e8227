"""Storage layout: inherit USAGE and SIGN from groups, size every item, place it at an offset."""

from __future__ import annotations

from legacy_connectors.flatfile.copybook.model import Field, Usage, storage_size
from legacy_connectors.flatfile.errors import CopybookError

__all__ = ["assign_offsets"]


def _inherit(node: Field, usage: Usage | None, leading: bool | None, separate: bool) -> None:
    if node.usage is None:
        node.usage = usage
    if node.sign_leading is None:
        node.sign_leading = leading
        node.sign_separate = node.sign_separate or separate
    for child in node.children:
        _inherit(child, node.usage, node.sign_leading, node.sign_separate)


def _size(node: Field) -> int:
    if not node.children:
        if node.picture is None and node.usage not in (Usage.FLOAT, Usage.DOUBLE):
            if node.level in (1, 77) or node.level == 0:
                raise CopybookError(
                    f"{node.name} has neither a PICTURE nor subordinate items",
                    line=node.line,
                    column=node.column,
                    source=node.source,
                )
            raise CopybookError(
                f"{node.name} needs a PICTURE clause",
                line=node.line,
                column=node.column,
                source=node.source,
            )
        usage = node.usage or Usage.DISPLAY
        if (
            node.picture is not None
            and node.picture.category != "numeric"
            and usage is not Usage.DISPLAY
        ):
            raise CopybookError(
                f"{node.name}: USAGE {usage.value} needs a numeric PICTURE, got "
                f"{node.picture.text}",
                line=node.line,
                column=node.column,
                source=node.source,
            )
        if usage in (Usage.FLOAT, Usage.DOUBLE) and node.picture is not None:
            node.picture = None
        node.usage = usage
        node.size = storage_size(usage, node.picture, node.sign_separate)
        return node.size
    total = 0
    alternatives: dict[str, int] = {}
    for child in node.children:
        child_size = _size(child) * (child.occurs or 1)
        if child.redefines is None:
            total += child_size
            alternatives[child.name] = child_size
        else:
            base = child.redefines
            if base not in alternatives:
                raise CopybookError(
                    f"{child.name} REDEFINES {base}, which is not the item before it",
                    line=child.line,
                    column=child.column,
                    source=child.source,
                )
            grow = child_size - alternatives[base]
            if grow > 0:
                total += grow
                alternatives[base] = child_size
            alternatives[child.name] = alternatives[base]
    node.size = total
    return total


def _place(node: Field, offset: int, in_redefines: bool) -> None:
    node.offset = offset
    node.in_redefines = in_redefines
    cursor = offset
    starts: dict[str, int] = {}
    redefined = {c.redefines for c in node.children if c.redefines}
    for child in node.children:
        start = starts[child.redefines] if child.redefines is not None else cursor
        starts[child.name] = start
        alt = in_redefines or child.redefines is not None or child.name in redefined
        _place(child, start, alt)
        end = start + child.total_size
        cursor = end if child.redefines is None else max(cursor, end)


def _check_depending(root: Field) -> None:
    names = {n.name for n in root.walk()}
    for node in root.walk():
        if node.depending_on is not None and node.depending_on not in names:
            raise CopybookError(
                f"{node.name} OCCURS DEPENDING ON {node.depending_on}, which is not in "
                f"record {root.name}",
                line=node.line,
                column=node.column,
                source=node.source,
            )


def assign_offsets(root: Field) -> None:
    """Compute ``size`` and ``offset`` of every item below ``root`` (an 01 level)."""
    _inherit(root, root.usage, root.sign_leading, root.sign_separate)
    _size(root)
    _place(root, 0, False)
    _check_depending(root)

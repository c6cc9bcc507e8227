"""Compile a record layout once into one Python function that decodes a whole record.

The generated function reads every field at a precomputed offset (shifted only after an
``OCCURS DEPENDING ON`` array) and decodes text from one code-page translation of the record.
Numbers are decoded by per-field converters (``convert.py``), the reference; for a record at
least as long as the layout, the common numeric storages (trailing-sign zoned, packed, binary)
and ``YYYYMMDD``/``CYYMMDD`` dates are decoded inline instead, and any value the inline code does
not take at once (blanks, odd signs, bad digits) goes to the converter, so both give the same
result. A field that fails to decode is reported through a callback with its path and offset;
what happens then is the caller's corrupt-data policy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from legacy_connectors.flatfile.codec.codepages import code_page
from legacy_connectors.flatfile.codec.conditions import condition_matcher
from legacy_connectors.flatfile.codec.convert import is_text, raw_field_decoder
from legacy_connectors.flatfile.codec.dates import date_converter
from legacy_connectors.flatfile.codec.inline import digit_table, inline_number, latin1_table
from legacy_connectors.flatfile.codec.options import DecodeOptions
from legacy_connectors.flatfile.copybook.model import Field
from legacy_connectors.flatfile.errors import FieldDecodeError

__all__ = ["BadField", "RecordDecoder", "branch_scope", "compile_decoder"]

BadField = Callable[[str, int, str], None]
"""Called as ``bad(field_path, offset_in_record, reason)`` for each field that fails."""

_TRUNCATED = "record ends inside the field"


class _Gen:
    def __init__(self, options: DecodeOptions, checked: bool) -> None:
        self.options = options
        self.checked = checked
        self.lines: list[str] = []
        self.env: dict[str, Any] = {
            "FE": FieldDecodeError,
            "D": Decimal,
            "DT": date,
            "FB": int.from_bytes,
        }
        self.counter = 0
        self.uses_text = False
        self.uses_zoned = False
        self.odo_objects: set[str] = set()
        self.skip: set[int] = set()
        self.active: set[int] = set()
        self.latin1 = None if checked else latin1_table(code_page(options.encoding))
        """The code page as Latin-1 (see ``latin1_table``), if it is one, for the fast path."""
        self.fixed = False
        """True when ``b0`` stays 0 (no ``OCCURS DEPENDING ON``): offsets are constants."""

    def var(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const(self, prefix: str, value: Any) -> str:
        name = self.var(prefix)
        self.env[name] = value
        return name

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)


def _path_expr(path: list[str], indices: list[str]) -> str:
    text = "".join(path)
    if not indices:
        return repr(text)
    return f"{text!r} % ({', '.join(indices)},)"


def _pos(base: str, offset: int) -> str:
    return f"{base} + {offset}" if offset else base


def _at(g: _Gen, base: str, offset: int) -> str:
    """The position of a field: a constant when the base never moves."""
    if g.fixed and base == "b0":
        return str(offset)
    return _pos(base, offset)


def _report(g: _Gen, ind: int, node: Field, path_expr: str, pos: str, reason: str) -> None:
    if node.in_redefines and id(node) not in g.active:
        g.emit(ind, "pass")
    else:
        g.emit(ind, f"bad({path_expr}, {pos}, {reason})")


def _elementary(
    g: _Gen,
    ind: int,
    node: Field,
    base: str,
    out: str,
    idx: list[str],
    path: list[str],
    target: str,
) -> None:
    pos = _at(g, base, node.offset)
    path_expr = _path_expr(path, idx)
    fmt = g.options.date_format(node.name)
    if not pos.isdigit():
        g.emit(ind, f"p = {pos}")
        pos = "p"
    if is_text(node) and fmt is None:
        g.uses_text = True
        size = node.size
        nulls = g.const("N", "\x00" * size)
        g.emit(ind, f"v = t[{pos}:{pos} + {size}]")
        if g.checked:
            g.emit(ind, f"if len(v) != {size}:")
            g.emit(ind + 1, "v = None")
            _report(g, ind + 1, node, path_expr, pos, repr(_TRUNCATED))
            g.emit(ind, f"elif v == {nulls}:")
        else:
            g.emit(ind, f"if v == {nulls}:")
        g.emit(ind + 1, "v = None")
        trim = g.options.trim
        if trim != "none":
            method = {"both": "strip", "left": "lstrip", "right": "rstrip"}[trim]
            g.emit(ind, "else:")
            g.emit(ind + 1, f"v = v.{method}()")
    else:
        call = f"{g.const('c', raw_field_decoder(node, g.options))}(rec, {pos})"
        if fmt is not None:
            call = f"{g.const('d', date_converter(fmt))}({call})"
        fast = None
        if not g.checked:
            fast = inline_number(node, g.options, fmt, g.const, text=g.latin1 is not None)
        g.emit(ind, "try:")
        if fast is None:
            g.emit(ind + 1, f"v = {call}")
        else:
            test, body, zoned = fast
            g.uses_zoned = g.uses_zoned or zoned
            g.uses_text = g.uses_text or (zoned and g.latin1 is not None)
            if test is None:
                for line in body:
                    g.emit(ind + 1, line.format(p=pos))
            else:
                g.emit(ind + 1, f"if {test.format(p=pos)}:")
                for line in body:
                    g.emit(ind + 2, line.format(p=pos))
                g.emit(ind + 1, "else:")
                g.emit(ind + 2, f"v = {call}")
        g.emit(ind, "except FE as e:")
        g.emit(ind + 1, "v = None")
        _report(g, ind + 1, node, path_expr, pos, "e.reason")
    if node.name in g.odo_objects:
        g.emit(ind, f"o_{_ident(node.name)} = v")
    g.emit(ind, target.format(out=out, value="v"))
    if g.options.condition_names and node.conditions and "{out}[" in target:
        cond = g.const("k", condition_matcher(node.conditions))
        g.emit(ind, f"{out}[{node.key + '_CONDITION'!r}] = {cond}(v)")


def _ident(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _children(
    g: _Gen, ind: int, parent: Field, base: str, out: str, idx: list[str], path: list[str]
) -> None:
    for child in parent.children:
        if id(child) in g.skip:
            continue
        if child.is_filler and child.occurs is None and not child.children:
            continue
        if child.is_filler and child.occurs is not None:
            continue
        _item(g, ind, child, base, out, idx, path)


def _item(
    g: _Gen, ind: int, node: Field, base: str, out: str, idx: list[str], path: list[str]
) -> None:
    key = node.key
    sep = "." if path else ""
    my_path = [*path, sep + key.replace("%", "%%")]
    if node.occurs is None:
        if node.children:
            if node.is_filler:
                _children(g, ind, node, base, out, idx, path)
                return
            sub = g.var("r")
            g.emit(ind, f"{sub} = {{}}")
            g.emit(ind, f"{out}[{key!r}] = {sub}")
            _children(g, ind, node, base, sub, idx, my_path)
        else:
            _elementary(g, ind, node, base, out, idx, my_path, "{out}[" + repr(key) + "] = {value}")
        return
    _array(g, ind, node, base, out, idx, my_path)


def _array(
    g: _Gen, ind: int, node: Field, base: str, out: str, idx: list[str], path: list[str]
) -> None:
    assert node.occurs is not None
    key = node.key
    count = g.var("n")
    arr = g.var("a")
    i = g.var("i")
    elem_base = g.var("b")
    nxt = g.var("q")
    variable = g.options.variable_size_occurs and node.depending_on is not None
    path_expr = _path_expr(path, idx)
    start = _pos(base, node.offset)
    if node.depending_on is not None:
        low = node.occurs_min or 0
        g.emit(ind, f"{count} = o_{_ident(node.depending_on)}")
        g.emit(ind, f"if {count} is None or not ({low} <= {count} <= {node.occurs}):")
        reason = (
            f"f'OCCURS DEPENDING ON {node.depending_on} is {{{count}}}, "
            f"expected {low} to {node.occurs}'"
        )
        _report(g, ind + 1, node, path_expr, start, reason)
        g.emit(ind + 1, f"{count} = 0")
        g.emit(ind + 1, f"{arr} = None")
        g.emit(ind, "else:")
        g.emit(ind + 1, f"{count} = int({count})")
        g.emit(ind + 1, f"{arr} = []")
    else:
        g.emit(ind, f"{count} = {node.occurs}")
        g.emit(ind, f"{arr} = []")
    g.emit(ind, f"{nxt} = {start}")
    g.emit(ind, f"for {i} in range({count}):")
    g.emit(ind + 1, f"{elem_base} = {nxt} - {node.offset}")
    elem_path = [*path, "[%d]"]
    if node.children:
        sub = g.var("r")
        g.emit(ind + 1, f"{sub} = {{}}")
        _children(g, ind + 1, node, elem_base, sub, [*idx, i], elem_path)
        g.emit(ind + 1, f"{arr}.append({sub})")
    else:
        _elementary(g, ind + 1, node, elem_base, arr, [*idx, i], elem_path, "{out}.append({value})")
    if variable or _has_variable(node, g.options):
        g.emit(ind + 1, f"{nxt} = {elem_base} + {node.offset + node.size}")
    else:
        g.emit(ind + 1, f"{nxt} += {node.size}")
    g.emit(ind, f"{out}[{key!r}] = {arr}")
    if variable or (g.options.variable_size_occurs and _has_variable(node, g.options)):
        g.emit(ind, f"{base} = {nxt} - {node.offset + node.total_size}")


def _has_variable(node: Field, options: DecodeOptions) -> bool:
    if not options.variable_size_occurs:
        return False
    return any(n.depending_on is not None for n in node.walk() if n is not node)


class RecordDecoder:
    """Decodes records of one layout (an 01 level or any group) into nested dicts."""

    def __init__(
        self,
        root: Field,
        options: DecodeOptions,
        source: str,
        fn: Callable[[bytes, BadField], dict[str, Any]],
        branch: Field | None = None,
        reference: Callable[[bytes, BadField], dict[str, Any]] | None = None,
    ) -> None:
        self.root = root
        self.options = options
        self.source = source
        self.branch = branch
        """The REDEFINES branch this layout decodes alone, if it is one."""
        self.decode: Callable[[bytes, BadField], dict[str, Any]] = fn
        """``decode(record, bad)``: decode one record; ``bad`` is called for each field that
        fails."""
        self.reference = reference or fn
        """The same, through the per-field converters alone (no inline decoding): what the
        fast path must equal, and what decodes records shorter than the layout."""


def branch_scope(branch: Field) -> tuple[set[int], set[int]]:
    """(ids of the items of ``branch`` and its way up to the 01, ids of the REDEFINES
    alternatives left out on that way): a layout that is one branch decodes only it."""
    active = {id(n) for n in branch.walk()}
    skip: set[int] = set()
    node = branch
    while node.parent is not None:
        parent = node.parent
        active.add(id(node))
        group = node.redefines or node.name
        for sibling in parent.children:
            if sibling is not node and (sibling.redefines or sibling.name) == group:
                skip.add(id(sibling))
        node = parent
    return active, skip


def _select_branch(g: _Gen, branch: Field) -> None:
    """Decode only ``branch`` among the REDEFINES alternatives on its way up to the 01."""
    g.active, g.skip = branch_scope(branch)


def _generate(
    root: Field,
    options: DecodeOptions,
    branch: Field | None,
    checked: bool,
    env: dict[str, Any],
) -> tuple[str, Callable[[bytes, BadField], dict[str, Any]]]:
    g = _Gen(options, checked)
    if branch is not None and branch is not root:
        _select_branch(g, branch)
    g.odo_objects = {n.depending_on for n in root.walk() if n.depending_on}
    g.fixed = not g.odo_objects
    g.emit(1, "b0 = 0")
    g.emit(1, "r = {}")
    if root.children:
        _children(g, 1, root, "b0", "r", [], [])
    else:
        _item(g, 1, root, "b0", "r", [], [])
    g.emit(1, "return r")
    head = ["def decode(rec, bad):"]
    if not checked:
        head.append(f"    if len(rec) < {root.offset + root.total_size}:")
        head.append("        return CHECKED(rec, bad)")
    cp = code_page(options.encoding)
    latin1 = g.latin1
    if latin1 is not None and (g.uses_text or g.uses_zoned):
        g.env["TL"] = latin1
        head.append("    z = rec.translate(TL)")
        if g.uses_text:
            head.append("    t = z.decode('latin-1')")
    else:
        if g.uses_text:
            g.env["CODEC"] = cp.codec
            head.append("    t = rec.decode(CODEC, 'replace')")
        if g.uses_zoned:
            g.env["ZT"] = digit_table(cp)
            head.append("    z = rec.translate(ZT)")
    for name in sorted(g.odo_objects):
        head.append(f"    o_{_ident(name)} = None")
    source = "\n".join(head + g.lines) + "\n"
    namespace = dict(g.env)
    namespace.update(env)
    exec(compile(source, f"<layout {root.name}>", "exec"), namespace)
    return source, namespace["decode"]


def compile_decoder(
    root: Field, options: DecodeOptions, branch: Field | None = None
) -> RecordDecoder:
    """Generate and compile the decoding function for ``root``'s layout.

    Two functions are generated: one for records at least as long as the layout, with no
    per-field length checks and inline decoding of common numbers, and the reference, which
    checks every field against the record's end and calls each field's converter.
    With ``branch`` (a group under ``root`` that is, or sits in, a REDEFINES alternative),
    the other alternatives are left out and ``branch``'s fields count as corrupt when bad.
    """
    _, checked = _generate(root, options, branch, True, {})
    source, fast = _generate(root, options, branch, False, {"CHECKED": checked})
    return RecordDecoder(root, options, source, fast, branch, checked)

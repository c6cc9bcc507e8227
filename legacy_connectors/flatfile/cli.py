"""``govgraph flatfile decode|layout``: read a mainframe file by its copybook, as JSON lines.

COPY statements in the copybook are expanded: members are looked up in the copybook's folder,
then in each ``--copybook-dir``.

``decode`` writes one JSON object per record to stdout (groups as objects, OCCURS as arrays,
``-`` in names turned into ``_``, decimals as JSON numbers), or with ``--format csv|parquet``
one flat row per record (see :mod:`legacy_connectors.flatfile.files.export`), and each failing
record's error to stderr with its record number; the exit code is 1 when any record failed or
the file is truncated, 2 for a bad copybook or option, 141 (quietly) when the reader closes the
pipe (``| head -1``). Progress (framing, then records decoded of the total, with rate and time
left) goes to stderr through the gateway's display, nothing with ``--quiet``. ``layout`` prints
every field's offset, length and type.
"""

from __future__ import annotations

import argparse
import mmap
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from legacy_connectors.cli import CommandHost, JobProgress, ProgressPhase

if TYPE_CHECKING:
    from legacy_connectors.flatfile.copybook.model import Field
    from legacy_connectors.flatfile.files.framing import Buffer
    from legacy_connectors.flatfile.files.reader import RecordBlock
    from legacy_connectors.flatfile.schema import CorruptPolicy, FileSchema

DATE_FORMAT_NAMES = "YYMMDD, CYYMMDD, YYYYMMDD, YYDDD, CYYDDD"
"""``legacy_connectors.flatfile.codec.dates.DATE_FORMATS`` for the help text, spelled out so that
``govgraph --help`` does not import the flat-file package (a test keeps them equal)."""


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _tristate(text: str) -> bool | None:
    lowered = text.lower()
    if lowered in ("auto", ""):
        return None
    if lowered in ("yes", "true", "1"):
        return True
    if lowered in ("no", "false", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes, no or auto, got {text!r}")


def _copybook_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--copybook-dir",
        dest="copybook_dirs",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="folder searched for COPY members after the copybook's own (repeatable)",
    )


def register(sub: Any, host: CommandHost) -> None:
    p = sub.add_parser("flatfile", help="decode mainframe flat files with a COBOL copybook")
    actions = p.add_subparsers(dest="flatfile_command", metavar="ACTION", required=True)

    dec = actions.add_parser("decode", help="write each record as one JSON object per line")
    dec.add_argument("--copybook", required=True, type=Path, help="COBOL copybook")
    dec.add_argument("--file", required=True, type=Path, help="data file")
    dec.add_argument("--recfm", default="F", choices=["F", "FB", "V", "VB", "D"])
    dec.add_argument("--encoding", default="cp037", help="code page (cp037, cp285, ascii...)")
    dec.add_argument("--lrecl", type=int, help="record length for F/FB (default: layout size)")
    dec.add_argument("--copybook-format", default="auto", choices=["auto", "fixed", "free"])
    _copybook_dir_option(dec)
    dec.add_argument("--layout", help="01-level record to use (default: the first)")
    dec.add_argument("--segment-field", help="field whose value picks each record's layout")
    dec.add_argument(
        "--record-type",
        action="append",
        type=_pair,
        default=[],
        metavar="VALUE=LAYOUT",
        help="segment value and its layout (repeat for each type)",
    )
    dec.add_argument("--rdw-endian", default="auto", choices=["auto", "big", "little"])
    dec.add_argument("--rdw-includes-header", type=_tristate, default=None, metavar="yes|no|auto")
    dec.add_argument("--bdw-includes-header", type=_tristate, default=None, metavar="yes|no|auto")
    dec.add_argument(
        "--date-field",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME=FORMAT",
        help=f"convert a field to a date ({DATE_FORMAT_NAMES})",
    )
    dec.add_argument("--trim", default="both", choices=["none", "left", "right", "both"])
    dec.add_argument(
        "--keep-corrupt",
        action="store_true",
        help="print bad records with bad fields null, listed in _corrupt_fields",
    )
    dec.add_argument(
        "--fixed-occurs",
        action="store_true",
        help="OCCURS DEPENDING ON arrays always take their maximum size",
    )
    dec.add_argument(
        "--comp5-endian",
        default="big",
        choices=["big", "little"],
        help="byte order of COMP-5 fields (little for PC/Linux compilers)",
    )
    dec.add_argument(
        "--condition-names",
        action="store_true",
        help="add <FIELD>_CONDITION with the matching level-88 name",
    )
    dec.add_argument(
        "--format",
        default="jsonl",
        choices=["jsonl", "csv", "parquet"],
        help="jsonl (nested, default), or flat csv / parquet with one column per field",
    )
    dec.add_argument(
        "--output", type=Path, help="file to write (default stdout; required for parquet)"
    )
    dec.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress on standard error (only errors)",
    )
    dec.set_defaults(func=run_decode, host=host)

    lay = actions.add_parser("layout", help="print each field's offset, length and type")
    lay.add_argument("--copybook", required=True, type=Path)
    lay.add_argument("--copybook-format", default="auto", choices=["auto", "fixed", "free"])
    _copybook_dir_option(lay)
    lay.set_defaults(func=run_layout)


def _schema(args: argparse.Namespace) -> FileSchema:
    from legacy_connectors.errors import LegacyError
    from legacy_connectors.flatfile.codec.dates import DATE_FORMATS
    from legacy_connectors.flatfile.codec.options import DecodeOptions
    from legacy_connectors.flatfile.copybook.parser import load_copybook
    from legacy_connectors.flatfile.schema import FileSchema

    copybook = load_copybook(
        args.copybook, source_format=args.copybook_format, copybook_dirs=args.copybook_dirs
    )
    for warning in copybook.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for name, fmt in args.date_field:
        if fmt.upper() not in DATE_FORMATS:
            raise LegacyError(f"date format {fmt!r} for {name} is not one of {DATE_FORMATS}")
    options = DecodeOptions(
        encoding=args.encoding,
        trim=args.trim,
        date_fields={name: fmt.upper() for name, fmt in args.date_field},
        variable_size_occurs=not args.fixed_occurs,
        condition_names=args.condition_names,
        comp5_endian=args.comp5_endian,
    )
    types = dict(args.record_type)
    if len(copybook.records) > 1 and not types and not args.layout:
        names = ", ".join(r.name for r in copybook.records)
        print(
            f"note: the copybook has {len(copybook.records)} records ({names}); every record is "
            f"decoded as {copybook.records[0].name} (choose with --layout, or --segment-field "
            "with --record-type)",
            file=sys.stderr,
        )
    return FileSchema(
        copybook,
        options,
        layout=args.layout,
        segment_field=args.segment_field,
        types=types or None,
    )


def run_decode(args: argparse.Namespace) -> int:
    from legacy_connectors.errors import LegacyError

    if args.format == "parquet" and args.output is None:
        print("error: --format parquet needs --output FILE (Parquet is binary)", file=sys.stderr)
        return 2
    try:
        schema = _schema(args)
        with open(args.file, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except (LegacyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    host: CommandHost | None = getattr(args, "host", None)
    progress = host.progress("flatfile", quiet=args.quiet) if host is not None else None
    try:
        return _decode_all(args, schema, data, progress)
    except BrokenPipeError:
        return _closed_pipe()
    except LegacyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if progress is not None:
            progress.close()
        if isinstance(data, mmap.mmap):
            data.close()


def _closed_pipe() -> int:
    """The reader of stdout went away (``| head -1``): stop quietly with 128 + SIGPIPE, as
    Unix tools do, pointing stdout at /dev/null so that the final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    return 128 + signal.SIGPIPE


def _decode_all(
    args: argparse.Namespace, schema: FileSchema, data: Buffer, progress: JobProgress | None
) -> int:
    from legacy_connectors.flatfile.files.export import export
    from legacy_connectors.flatfile.files.reader import BLOCK_RECORDS, DecodedRecord, FileReader

    class Watched(FileReader):
        """The reader, advancing the decode phase as each block of records is written."""

        phase: ProgressPhase | None = None

        def blocks(
            self, policy: CorruptPolicy = "fail_record", size: int = BLOCK_RECORDS
        ) -> Iterator[RecordBlock]:
            for block in super().blocks(policy, size):
                yield block
                if self.phase is not None:
                    self.phase.advance(len(block.numbers))

    name = args.file.name
    with _phase(progress, f"frame {name}", None) as phase:
        reader = Watched(
            data,
            schema,
            recfm=args.recfm,
            lrecl=args.lrecl,
            endian=args.rdw_endian,
            rdw_includes_header=args.rdw_includes_header,
            bdw_includes_header=args.bdw_includes_header,
            name=name,
        )
        if phase is not None:
            phase.advance(len(reader.spans.offsets))
    failed = 0
    policy: CorruptPolicy = "null_fields" if args.keep_corrupt else "fail_record"

    def report(rec: DecodedRecord) -> None:
        nonlocal failed
        failed += 1
        if rec.error is not None:
            print(f"error: {rec.error}", file=sys.stderr)
            return
        corrupt = (rec.values or {}).get("_corrupt_fields", [])
        print(
            f"error: record {rec.number} (byte offset {rec.offset}): corrupt fields "
            f"{', '.join(corrupt)}",
            file=sys.stderr,
        )

    with _phase(progress, f"decode {name}", len(reader.spans.offsets)) as phase:
        reader.phase = phase
        if args.output is not None:
            mode = "w" if args.format == "jsonl" else "wb"
            with open(args.output, mode, encoding="utf-8" if mode == "w" else None) as out:
                export(reader, out, args.format, policy, report)
        else:
            out = sys.stdout if args.format == "jsonl" else sys.stdout.buffer
            export(reader, out, args.format, policy, report)
            out.flush()
    for damage in reader.spans.damaged:
        failed += 1
        print(
            f"error: {args.file.name}: {damage}; the rest of that block was skipped",
            file=sys.stderr,
        )
    if reader.problem is not None:
        print(f"error: {args.file.name}: {reader.problem}", file=sys.stderr)
        hints = reader.other_formats()
        if hints:
            print(f"hint: the file reads cleanly as --recfm {' or '.join(hints)}", file=sys.stderr)
        return 1
    if failed:
        print(f"{failed} record(s) failed", file=sys.stderr)
        return 1
    return 0


@contextmanager
def _phase(
    progress: JobProgress | None, name: str, total: int | None
) -> Iterator[ProgressPhase | None]:
    if progress is None:
        yield None
        return
    with progress.phase(name, total=total, unit="records") as phase:
        yield phase


def _describe(node: Field) -> str:
    parts = [node.type_name]
    if node.occurs is not None:
        low = f"{node.occurs_min} TO " if node.occurs_min is not None else ""
        dep = f" DEPENDING ON {node.depending_on}" if node.depending_on else ""
        parts.append(f"OCCURS {low}{node.occurs}{dep}")
    if node.redefines:
        parts.append(f"REDEFINES {node.redefines}")
    return " ".join(parts)


def run_layout(args: argparse.Namespace) -> int:
    from legacy_connectors.errors import LegacyError
    from legacy_connectors.flatfile.copybook.parser import load_copybook

    try:
        copybook = load_copybook(
            args.copybook, source_format=args.copybook_format, copybook_dirs=args.copybook_dirs
        )
    except (LegacyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in copybook.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{'FIELD':<40} {'OFFSET':>6} {'LENGTH':>6}  TYPE")
    for record in copybook.records:
        for node in record.walk():
            indent = "  " * (len(node.path().split(".")) - 1)
            name = f"{indent}{node.level:02d} {node.name}"
            print(f"{name:<40} {node.offset:>6} {node.total_size:>6}  {_describe(node)}")
            for cond, values in node.conditions.items():
                shown = ", ".join(repr(v) for v in values)
                print(f"{indent}   88 {cond:<33} {'':>6} {'':>6}  VALUE {shown}")
    return 0

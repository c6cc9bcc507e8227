"""The flatfile package's public names, and every module of its subpackages importing alone."""

from __future__ import annotations

import pathlib
import pkgutil
import subprocess
import sys
import types

import legacy_connectors.flatfile as flatfile


def test_all_names_exist_once_and_sorted() -> None:
    """Every name in ``__all__`` is defined by the package, listed once, in sorted order."""
    assert flatfile.__all__
    assert all(hasattr(flatfile, name) for name in flatfile.__all__)
    assert sorted(set(flatfile.__all__)) == sorted(flatfile.__all__)


def test_all_is_the_whole_public_surface() -> None:
    """Each public object the package namespace holds (besides subpackages) is in ``__all__``
    (names load on first use, so every one is used first)."""
    for name in flatfile.__all__:
        getattr(flatfile, name)
    public = {
        name
        for name, value in vars(flatfile).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert public == set(flatfile.__all__)


def test_public_names_come_from_their_concern() -> None:
    """Parsing, codecs, framing and writing names are served by their own subpackage."""
    where = {
        "parse_copybook": "copybook",
        "Field": "copybook",
        "compile_decoder": "codec",
        "RecordEncoder": "codec",
        "code_page": "codec",
        "DecodeOptions": "codec",
        "record_spans": "files",
        "write_batch": "writes",
    }
    for name, package in where.items():
        module = getattr(flatfile, name).__module__
        assert module.startswith(f"legacy_connectors.flatfile.{package}."), (name, module)


def test_every_module_imports_on_its_own() -> None:
    """Each flatfile module imports first in a fresh interpreter (no import cycle by order)."""
    names = sorted(
        info.name
        for info in pkgutil.walk_packages(flatfile.__path__, prefix="legacy_connectors.flatfile.")
    )
    assert {
        "legacy_connectors.flatfile.copybook.parser",
        "legacy_connectors.flatfile.codec.numeric",
    } <= set(names)
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    for loaded in [m for m in sys.modules if m.startswith('legacy_connectors')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
    )
    root = pathlib.Path(flatfile.__file__ or "").parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=root, check=False
    )
    assert done.returncode == 0, done.stderr

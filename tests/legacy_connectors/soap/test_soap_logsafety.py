"""zeep's conversion errors are logged without the value that failed to convert."""

from __future__ import annotations

import logging

import pytest
from zeep.xsd.types.builtins import Integer

from legacy_connectors.soap import logsafety


def test_conversion_error_is_logged_without_the_value(caplog: pytest.LogCaptureFixture) -> None:
    """A value zeep cannot convert is named by type of error only, never quoted."""
    logsafety.install()
    logsafety.install()
    with caplog.at_level(logging.ERROR, logger="zeep"):
        from lxml import etree

        assert Integer().parse_xmlelement(etree.fromstring("<a>Jane Smith</a>")) is None
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "translation" in text and "value not logged" in text
    assert "Jane Smith" not in text and not any(r.exc_info for r in caplog.records)

"""The ``soap`` connector kind: any WSDL (document or rpc style, SOAP 1.1 or 1.2).

zeep reads the WSDL and its types; calls go over one pooled HTTP/1.1 client per source (its
own keep-alive connections parsed by httptools for ``http://``, aiohttp for ``https://``), with
envelope templates and decoders compiled from the WSDL's types and zeep as the fallback.
"""

from __future__ import annotations

import typing

from legacy_connectors import lazy as _lazy

if typing.TYPE_CHECKING:
    from legacy_connectors.soap.connector import HeaderHook, SoapConnector
    from legacy_connectors.soap.credentials import Credentials
    from legacy_connectors.soap.settings import SoapSettings

__all__ = ["Credentials", "HeaderHook", "SoapConnector", "SoapSettings"]

__getattr__ = _lazy.lazy_exports(
    globals(),
    {
        "HeaderHook": "legacy_connectors.soap.connector",
        "SoapConnector": "legacy_connectors.soap.connector",
        "Credentials": "legacy_connectors.soap.credentials",
        "SoapSettings": "legacy_connectors.soap.settings",
    },
)

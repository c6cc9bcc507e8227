"""Tiny simulated endpoints for the test WSDLs in this folder (one Starlette app, three routes).

``/vehicles`` answers ``vehicles-rpc.wsdl`` (rpc/literal, SOAP 1.1), ``/licences`` answers
``licences-soap12.wsdl`` (SOAP 1.2, requires the ClientInfo header in the SOAP Header), and
``/claims`` answers ``claims-arrays.wsdl`` (nested arrays and optional elements), and
``/registry.asmx`` answers ``styles/asmx-style.wsdl`` the way ASP.NET services do (xsi and
xsd declared on every envelope, a nil array item).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["CLAIMANTS", "HERE", "LICENCES", "OFFICES", "VEHICLES", "create_app"]

HERE = Path(__file__).parent
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"

VEHICLES: dict[str, dict[str, Any]] = {
    "AB12 CDE": {
        "make": "FORD",
        "model": "FOCUS",
        "firstRegistered": "2012-03-01",
        "taxExpiry": "2027-02-28",
        "engineCc": "1596",
        "exported": "false",
    },
    "XY70 ZZZ": {
        "make": "KIA",
        "firstRegistered": "2020-09-14",
        "engineCc": "999",
        "exported": "1",
    },
    "LM05 QRS": {
        "make": "ROVER",
        "model": "75",
        "firstRegistered": "2005-05-20",
        "engineCc": "1796",
        "exported": "true",
    },
}

LICENCES: dict[str, dict[str, Any]] = {
    "SMITH701015J99AB": {
        "status": "VALID",
        "holder": "J SMITH",
        "expiry": "2031-10-14",
        "endorsements": [("SP30", 3), ("CU80", 6)],
    },
    "JONES852203A99CD": {
        "status": "REVOKED",
        "holder": "A JONES",
        "expiry": "2029-01-02",
        "endorsements": [],
    },
}

CLAIMANTS: dict[str, dict[str, Any]] = {
    "AA123456A": {
        "active": "true",
        "claims": [
            {
                "id": "9000000001",
                "type": "UC",
                "amount": "393.45",
                "opened": "2024-03-01T09:30:00Z",
                "ended": None,
                "payments": [("2026-10-01", "393.45"), ("2026-09-01", "393.45")],
            },
            {
                "id": "9000000002",
                "type": "PIP",
                "amount": "72.65",
                "opened": "2021-01-11T00:00:00",
                "ended": "2023-01-10",
                "payments": [],
            },
        ],
        "note": None,
    },
    "BB123456B": {"active": "false", "claims": None, "note": "No claims on record"},
    "CC123456C": {
        "active": "true",
        "claims": [
            {
                "id": "9000000003",
                "type": "SP",
                "amount": "221.20",
                "opened": "2019-06-01T12:00:00+01:00",
                "ended": "omit",
                "payments": None,
            }
        ],
        "note": None,
    },
}


OFFICES: dict[str, list[tuple[str, str, list[str] | None]]] = {
    "north": [("N01", "2001-04-02T09:00:00", ["0113 496 0000", "0113 496 0001"])],
    "south": [("S01", "1999-12-31T23:59:59", None), ("S02", "2003-06-01T08:30:00", [])],
}
"""Offices by region for the ASP.NET-style registry endpoint (``styles/asmx-style.wsdl``)."""


def _text(el: etree._Element, name: str) -> list[str]:
    return [e.text or "" for e in el.iter() if etree.QName(e).localname == name]


def _envelope(ns: str, body: str) -> bytes:
    head = f'<?xml version="1.0"?><e:Envelope xmlns:e="{ns}"><e:Body>'
    return (head + body + "</e:Body></e:Envelope>").encode()


def _fault11(code: str, detail: str) -> Response:
    body = f"<e:Fault><faultcode>e:{code}</faultcode><faultstring>lookup failed</faultstring>"
    body += f"<detail>{detail}</detail></e:Fault>"
    return Response(_envelope(SOAP11, body), status_code=500, media_type="text/xml")


def _vehicle(vrm: str) -> str:
    v = VEHICLES[vrm]
    parts = [f"<vrm>{escape(vrm)}</vrm>", f"<make>{v['make']}</make>"]
    if "model" in v:
        parts.append(f"<model>{v['model']}</model>")
    parts.append(f"<firstRegistered>{v['firstRegistered']}</firstRegistered>")
    if "taxExpiry" in v:
        parts.append(f"<taxExpiry>{v['taxExpiry']}</taxExpiry>")
    parts.append(f"<engineCc>{v['engineCc']}</engineCc><exported>{v['exported']}</exported>")
    return "".join(parts)


def _claimant(nino: str) -> str:
    c = CLAIMANTS[nino]
    out = [f"<r:Nino>{nino}</r:Nino><r:Active>{c['active']}</r:Active>"]
    if c["claims"] is not None:
        out.append("<r:Claims>")
        for claim in c["claims"]:
            out.append(
                f"<r:Claim><r:Id>{claim['id']}</r:Id><r:Type>{claim['type']}</r:Type>"
                f"<r:Amount>{claim['amount']}</r:Amount><r:Opened>{claim['opened']}</r:Opened>"
            )
            if claim["ended"] is None:
                out.append('<r:Ended xsi:nil="true"/>')
            elif claim["ended"] != "omit":
                out.append(f"<r:Ended>{claim['ended']}</r:Ended>")
            if claim["payments"] is not None:
                out.append("<r:Payments>")
                out.extend(
                    f"<r:Payment><r:PaidOn>{d}</r:PaidOn><r:Amount>{a}</r:Amount></r:Payment>"
                    for d, a in claim["payments"]
                )
                out.append("</r:Payments>")
            out.append("</r:Claim>")
        out.append("</r:Claims>")
    if c["note"]:
        out.append(f"<r:Note>{c['note']}</r:Note>")
    return "".join(out)


def create_app() -> Starlette:
    """The three endpoints; ``app.state.calls`` counts calls by operation."""
    calls: Counter[str] = Counter()

    async def vehicles(request: Request) -> Response:
        root = etree.fromstring(await request.body())
        op = etree.QName(root.find(f"{{{SOAP11}}}Body")[0]).localname
        calls[op] += 1
        ns = "urn:example:vehicles:rpc"
        if op == "getVehicle":
            (vrm,) = _text(root, "vrm")
            if vrm not in VEHICLES:
                detail = (
                    f'<v:UnknownVehicle xmlns:v="{ns}"><v:reason>no such VRM</v:reason>'
                    "</v:UnknownVehicle>"
                )
                return _fault11("Client", detail)
            body = (
                f'<v:getVehicleResponse xmlns:v="{ns}"><vehicle>{_vehicle(vrm)}</vehicle>'
                "</v:getVehicleResponse>"
            )
        else:
            found = "".join(
                f"<vehicle>{_vehicle(v)}</vehicle>" for v in _text(root, "vrm") if v in VEHICLES
            )
            body = (
                f'<v:getVehiclesResponse xmlns:v="{ns}"><vehicles>{found}</vehicles>'
                "</v:getVehiclesResponse>"
            )
        return Response(_envelope(SOAP11, body), media_type="text/xml")

    async def licences(request: Request) -> Response:
        root = etree.fromstring(await request.body())
        calls["FindLicence"] += 1
        header = root.find(f"{{{SOAP12}}}Header")
        system = _text(header, "System") if header is not None else []
        in_body = _text(root.find(f"{{{SOAP12}}}Body"), "ClientInfo")
        if system != ["govgraph"] or in_body:
            fault = (
                "<e:Fault><e:Code><e:Value>e:Sender</e:Value></e:Code><e:Reason>"
                '<e:Text xml:lang="en">ClientInfo header missing</e:Text></e:Reason><e:Detail>'
                '<l:MissingHeader xmlns:l="urn:example:licences:v2"/></e:Detail></e:Fault>'
            )
            return Response(
                _envelope(SOAP12, fault), status_code=400, media_type="application/soap+xml"
            )
        (number,) = _text(root, "LicenceNumber")
        inner = ""
        if number in LICENCES:
            lic = LICENCES[number]
            endorsements = "".join(
                f"<Endorsement><Code>{c}</Code><Points>{p}</Points></Endorsement>"
                for c, p in lic["endorsements"]
            )
            inner = (
                f'<Licence status="{lic["status"]}"><Number>{number}</Number>'
                f"<Holder>{lic['holder']}</Holder><Expiry>{lic['expiry']}</Expiry>{endorsements}</Licence>"
            )
        body = (
            f'<l:FindLicenceResponse xmlns:l="urn:example:licences:v2">{inner}'
            "</l:FindLicenceResponse>"
        )
        return Response(_envelope(SOAP12, body), media_type="application/soap+xml")

    async def claims(request: Request) -> Response:
        root = etree.fromstring(await request.body())
        op = etree.QName(root.find(f"{{{SOAP11}}}Body")[0]).localname
        calls[op] += 1
        decl = (
            'xmlns:c="urn:example:claims:service" xmlns:r="urn:example:claims:records" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        )
        ninos = _text(root, "Nino")
        if op == "GetClaimant":
            if ninos[0] not in CLAIMANTS:
                detail = (
                    '<c:ClaimantUnknown xmlns:c="urn:example:claims:service">'
                    "<c:Reference>R1</c:Reference></c:ClaimantUnknown>"
                )
                return _fault11("Client", detail)
            body = (
                f"<c:GetClaimantResponse {decl}><c:Result>{_claimant(ninos[0])}</c:Result>"
                "</c:GetClaimantResponse>"
            )
        else:
            results = "".join(
                f"<c:Result>{_claimant(n)}</c:Result>" for n in ninos if n in CLAIMANTS
            )
            body = (
                f"<c:GetClaimantsResponse {decl}><c:Results>{results}</c:Results>"
                "</c:GetClaimantsResponse>"
            )
        return Response(_envelope(SOAP11, body), media_type="text/xml")

    async def registry(request: Request) -> Response:
        root = etree.fromstring(await request.body())
        op = etree.QName(root.find(f"{{{SOAP11}}}Body")[0]).localname
        calls[op] += 1
        region = (_text(root, "region") or [""])[0]
        offices = "".join(
            f"<Office><Code>{code}</Code><Opened>{opened}</Opened>"
            + (
                "<Phones>" + "".join(f"<string>{p}</string>" for p in phones) + "</Phones>"
                if phones is not None
                else ""
            )
            + "</Office>"
            for code, opened, phones in OFFICES.get(region, [])
        )
        nil = '<Office xsi:nil="true" />' if region == "north" else ""
        body = (
            '<ListOfficesResponse xmlns="http://example.org/registry/">'
            f"<ListOfficesResult>{offices}{nil}</ListOfficesResult></ListOfficesResponse>"
        )
        envelope = (
            '<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
            'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
            f"<soap:Body>{body}</soap:Body></soap:Envelope>"
        )
        return Response(envelope.encode(), media_type="text/xml; charset=utf-8")

    app = Starlette(
        routes=[
            Route("/registry.asmx", registry, methods=["POST"]),
            Route("/vehicles", vehicles, methods=["POST"]),
            Route("/licences", licences, methods=["POST"]),
            Route("/claims", claims, methods=["POST"]),
        ]
    )
    app.state.calls = calls
    return app

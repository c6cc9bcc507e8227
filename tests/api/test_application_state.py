"""`PassportApplication.state` is an enum beside the deprecated `status` string."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import citizen_id_for, gql
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

APPLICATIONS = "{ me { passport { applications { reference status state } } } }"
FIELDS = """
{ __type(name: "PassportApplication") {
    fields(includeDeprecated: true) { name isDeprecated deprecationReason type { kind name } }
} }
"""


async def test_an_application_state_is_the_enum_of_its_status(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """Each application of a citizen's passport gives its status as the `state` enum value too,
    for every status the office uses."""
    index_url = gateway.settings.gateway.index_url
    people = [p for p in gateway.population.people if p.passport and p.passport.applications]
    seen: set[str] = set()
    for person in people[:6]:
        number = person.passport.passport_number
        cid = await citizen_id_for(index_url, "passports", number)
        assert cid is not None
        body = await gql(client, APPLICATIONS, None, gateway.headers("citizen", cid))
        passport = body["data"]["me"]["passport"]
        assert passport is not None, body
        for application in passport["applications"]:
            assert application["state"] == application["status"], application
            seen.add(application["state"])
    assert seen, "no application was read"
    assert seen <= {"RECEIVED", "IN_PROGRESS", "APPROVED", "ISSUED", "REJECTED"}


async def test_the_string_status_is_deprecated_in_favour_of_state(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """Introspection marks `status` deprecated, pointing to `state`, an enum."""
    body = await gql(client, FIELDS, None, gateway.headers("caseworker"))
    fields = {f["name"]: f for f in body["data"]["__type"]["fields"]}
    assert fields["status"]["isDeprecated"] is True
    assert "`state`" in fields["status"]["deprecationReason"]
    assert fields["state"]["isDeprecated"] is False
    assert fields["state"]["type"] == {"kind": "ENUM", "name": "PassportApplicationStatus"}

"""pinfold.web.pins against the Pinning Service API's own OpenAPI document (spec/, written
down from ipfs/pinning-services-api-spec v1.0.0): schemathesis generates requests for every
operation, valid and invalid, sends them to the routes under a real uvicorn, and checks every
answer: no 5xx, a status the spec documents, a body valid against the spec's schema, and
authentication enforced (the same request without the key is refused). The one check left
out is schemathesis's "every schema-valid request is accepted" (see the test)."""

from __future__ import annotations

import pathlib

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from pinfold.repo import Repo
from pinfold.web import create_app, pinning_routes

from .conftest import Served

SPEC = pathlib.Path(__file__).parent / "spec" / "pinning-service-api-1.0.0.yaml"
schema = schemathesis.openapi.from_path(str(SPEC))
DELEGATE = "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"


@pytest.fixture(scope="module")
def psa_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("psa") / "repo"
    repo = Repo.init(path, fsync=False)
    key = repo.access.create_key("schemathesis", ["files:read", "files:write"]).secret
    for i in range(3):  # something to list, get, replace and delete
        cid = repo.add(f"pinned {i}".encode(), pin=False).root
        repo.pin(cid, name=f"pin{i}", meta={"app": "x"})
    served = Served(repo, create_app(repo, routes=pinning_routes(delegates=[DELEGATE])))
    served.auth = {"Authorization": f"Bearer {key}"}
    served.repo = repo
    yield served
    served.stop()
    repo.close()


@schema.parametrize()
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_every_operation_conforms(case, psa_server):
    # every check schemathesis has, but "a schema-valid request is accepted": the schema
    # cannot say what a CID is, so a cid="" or a requestid of no pin is valid to it and a
    # documented 400/404 to the service
    # the key replaces the bearer token schemathesis makes up, but only where the case has
    # one: a negative case may drop the required header, and putting the key back would
    # turn it into a valid request that is rightly accepted
    auth = psa_server.auth if "Authorization" in (case.headers or {}) else None
    case.call_and_validate(base_url=psa_server.url, headers=auth,
                           excluded_checks=[schemathesis.checks.positive_data_acceptance])


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_operation_needs_the_key(case, psa_server):
    if case.method.upper() != case.operation.method.upper():
        return  # schemathesis's probes of undocumented methods (405) are not operations
    response = case.call(base_url=psa_server.url)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["reason"] == "UNAUTHORIZED"

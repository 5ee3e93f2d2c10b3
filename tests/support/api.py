"""The service as the tests talk to it: settings for fresh tables, a DynamoDB client for set-up, and `Api`
(the app over ASGI with the test data loaded, built by the `api` fixture in tests/conftest.py)."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import httpx2
from starlette.testclient import TestClient

from graphql_api.dynamo.client import DUMMY_KEY, open_dynamo
from graphql_api.settings import Settings
from tests.fixtures_data import TestData
from tests.issuer import CLIENT_ID, admin_headers, shared_issuer

if TYPE_CHECKING:  # boto3-stubs, a dev dependency, for the types only
    from mypy_boto3_dynamodb import DynamoDBClient


def fresh_settings(endpoint: str, **changes: Any) -> Settings:
    """Settings for a new, empty set of tables (a unique prefix) at `endpoint`, trusting the tests' issuer."""
    issuer = shared_issuer()
    defaults: dict[str, Any] = {
        "table_prefix": f"t{uuid.uuid4().hex[:8]}-",
        "cursor_secret": "test-secret",
        "auth_issuer": issuer.url,
        "auth_audience": (CLIENT_ID,),
        # The backends are emulators on a shared machine, and moto answers one request at a time: 50
        # concurrent orders queue 150 calls behind each other. A test about timeouts sets its own; the rest
        # must not fail because a busy emulator answered after the production default of 5 s.
        "dynamodb_read_timeout": 60.0,
        # So does the tests' token issuer, answering key requests from every worker's apps (production: 3 s).
        "auth_jwks_timeout": 30.0,
        # The suite sends thousands of requests from one client address and a handful of identities: rates are
        # tested by tests/integration/test_rate_limits.py with budgets of its own; the limiter still runs here.
        **{
            f"rate_limit_{who}{kind}": 1_000_000
            for who in ("anonymous", "customer", "staff", "admin")
            for kind in ("", "_mutations")
        },
        # The audit trail's readers poll four streams for as long as an app runs: only its own tests turn it on.
        "audit_trail": False,
    }
    return Settings(dynamodb_endpoint_url=endpoint, **{**defaults, **changes})


def dynamodb_local_keys() -> dict[str, str]:
    """The keys this process's clients sign with (one DynamoDB Local database per pytest-xdist worker, see
    tests/conftest.py; the service's dummy key in a single process), for a client built by hand."""
    return {
        "aws_access_key_id": os.environ.get("AWS_ACCESS_KEY_ID", DUMMY_KEY),
        "aws_secret_access_key": os.environ.get("AWS_SECRET_ACCESS_KEY", DUMMY_KEY),
    }


def plain_client(endpoint: str, region: str) -> DynamoDBClient:
    """A boto3 client at `endpoint` signing with this process's keys: another writer, or a reader, beside the service."""
    keys = dynamodb_local_keys()
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=keys["aws_access_key_id"],
        aws_secret_access_key=keys["aws_secret_access_key"],
    )


def run_with_dynamo(settings: Settings, work: Any) -> Any:
    """`await work(dynamo)` on a client of its own (the tests' set-up and checks, not the service's)."""

    async def run() -> Any:
        async with open_dynamo(settings) as dynamo:
            return await work(dynamo)

    return asyncio.run(run())


@dataclass
class Api:
    """The service over HTTP (ASGI), on its own tables, with the test data loaded."""

    client: TestClient
    settings: Settings
    data: TestData

    def post(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx2.Response:
        """As an admin unless `headers` say otherwise (`{}`: anonymous)."""
        return self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=admin_headers() if headers is None else headers,
        )

    def query(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = self.post(query, variables, headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data_of(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = self.query(query, variables, headers)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

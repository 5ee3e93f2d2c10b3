"""The DynamoDB client signs with the standard credential chain, at a custom endpoint too (issue 20).

A small recording HTTP endpoint stands in for DynamoDB: it answers ListTables and keeps the access key
of each request's `Authorization: AWS4-HMAC-SHA256 Credential=<key>/...` header. The environment is
emptied of AWS credentials (and pointed away from ~/.aws) for every test, so each says exactly what is
configured. 127.0.0.2 is loopback on Linux but not one of the local endpoint names: it plays a VPC
endpoint of real DynamoDB without leaving the machine.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from graphql_api.dynamo.client import NoCredentials, client_kwargs, open_dynamo
from graphql_api.settings import Settings

CLIENTS = ("aiohttp", "aiobotocore", "boto3")
CREDENTIAL = re.compile(r"Credential=([^/]+)/")
AWS_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


class Recorder:
    """An HTTP endpoint that answers every DynamoDB call with an empty ListTables and records who signed it."""

    def __init__(self, host: str) -> None:
        self.keys: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                found = CREDENTIAL.search(self.headers.get("Authorization", ""))
                recorder.keys.append(found.group(1) if found else "")
                body = b'{"TableNames": []}'
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def recorder(request: pytest.FixtureRequest) -> Iterator[Recorder]:
    running = Recorder(getattr(request, "param", "127.0.0.1"))
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture(autouse=True)
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in AWS_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no wait on an instance metadata service


def _signed_by(recorder: Recorder, client: str) -> str:
    """Open the client at the recorder, make one call; the access key it signed with."""
    settings = Settings(dynamodb_endpoint_url=recorder.url, dynamodb_client=client, dynamodb_max_attempts=1)

    async def call() -> None:
        async with open_dynamo(settings) as dynamo:
            # The data plane and the rest: the aiohttp transport signs the one itself, botocore the other.
            assert await dynamo.call("get_item", TableName="Customers", Key={}) is not None
            assert await dynamo.call("describe_table", TableName="Customers") is not None

    asyncio.run(call())
    assert len(recorder.keys) == 2, recorder.keys
    assert recorder.keys[0] == recorder.keys[1]
    return recorder.keys[0]


def _credentials_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("DynamoDB credentials:")]


@pytest.mark.parametrize("recorder", ["127.0.0.1", "127.0.0.2"], indirect=True)
@pytest.mark.parametrize("client", CLIENTS)
def test_configured_credentials_sign_at_a_custom_endpoint(
    recorder: Recorder, client: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDCUSTOMENDPOINT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "custom-endpoint-secret")
    caplog.set_level(logging.INFO, logger="graphql_api.dynamo.client")
    assert _signed_by(recorder, client) == "AKIDCUSTOMENDPOINT"
    assert _credentials_logged(caplog) == ["DynamoDB credentials: environment"]


@pytest.mark.parametrize("client", CLIENTS)
def test_a_shared_credentials_file_signs_at_a_custom_endpoint(
    recorder: Recorder, client: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A team's own DynamoDB Local keys in ~/.aws/credentials (here a file of the test's own)."""
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = from-file\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    caplog.set_level(logging.INFO, logger="graphql_api.dynamo.client")
    assert _signed_by(recorder, client) == "AKIDFROMFILE"
    assert _credentials_logged(caplog) == ["DynamoDB credentials: shared credentials file"]


@pytest.mark.parametrize("client", CLIENTS)
def test_without_credentials_a_local_endpoint_signs_with_the_dummy_key(
    recorder: Recorder, client: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="graphql_api.dynamo.client")
    assert _signed_by(recorder, client) == "local"
    assert _credentials_logged(caplog) == [
        f"DynamoDB credentials: none configured, dummy key for the local endpoint {recorder.url}"
    ]


@pytest.mark.parametrize("recorder", ["127.0.0.2"], indirect=True)
@pytest.mark.parametrize("client", CLIENTS)
def test_without_credentials_an_endpoint_that_is_not_local_stops_the_start(recorder: Recorder, client: str) -> None:
    with pytest.raises(NoCredentials, match=re.escape(recorder.url)):
        _signed_by(recorder, client)
    assert recorder.keys == []


def test_the_stream_readers_sign_with_the_same_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """graphql_api.live builds its DynamoDB and Streams clients from client_kwargs: no dummy key once configured."""
    local = Settings(dynamodb_endpoint_url="http://localhost:8000")
    assert client_kwargs(local)["aws_access_key_id"] == "local"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDSTREAMS")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "streams-secret")
    assert "aws_access_key_id" not in client_kwargs(local)

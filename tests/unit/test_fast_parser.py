"""The fast response parser (graphql_api.dynamo.fast_parser) gives exactly what botocore's parser gives.

Every response under recorded_dynamodb/ (DynamoDB Local's and moto's, recorded by
recorded_dynamodb/record.py, and crafted ones for what neither emulator sends: throttling,
UnprocessedKeys, UnprocessedItems, server errors) is answered to a real client, aiobotocore's and
botocore's, once with botocore's parser and once with the fast one: the results (or the errors and
their `response`) are equal, ResponseMetadata included. No difference is allowed: there is none to
explain. Every DynamoDB operation the code uses must have a recorded response, and the output
shapes of the data-plane operations must stay what the fast parser assumes of them.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import re
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from aiobotocore.awsrequest import AioAWSResponse
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import BaseJSONParser, JSONParser

from graphql_api.dynamo import fast_parser
from graphql_api.dynamo.client import open_dynamo
from graphql_api.dynamo.fast_parser import (
    DATA_PLANE_OPERATIONS,
    DATA_PLANE_OUTPUTS,
    AioFastParserFactory,
    FastParserFactory,
    may_hold_binary,
    use_fast_parser,
)
from graphql_api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).resolve().parent / "recorded_dynamodb"
FIXTURES = sorted(RECORDED.glob("*/*.json"))
MODEL = botocore.session.get_session().get_service_model("dynamodb")
OPERATION_OF_METHOD = {xform_name(name): name for name in MODEL.operation_names}
CLIENT_ARGUMENTS: dict[str, Any] = {
    "region_name": "us-east-1",
    "endpoint_url": "http://dynamodb.invalid",
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
}
# One attempt: a recorded error is parsed once, not retried.
CONFIG: dict[str, Any] = {"retries": {"mode": "standard", "total_max_attempts": 1}, "parameter_validation": False}


def load(path: Path) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return fixture


def _from_json(value: Any) -> Any:
    """The recorded request parameters, bytes back from {"base64": ...}."""
    if isinstance(value, dict):
        if value.keys() == {"base64"}:
            return base64.b64decode(value["base64"])
        return {name: _from_json(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_from_json(inner) for inner in value]
    return value


class _AsyncBody:
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read(self) -> bytes:
        return self.body


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


Outcome = tuple[str, dict[str, Any]]
BINARY_VALUE = re.compile(r'"(B|\\u0042)"\s*:\s*"|"BS"\s*:\s*\[')


class Clients:
    """aiobotocore's and botocore's clients, each with botocore's parser and with the fast one, for the
    whole module; each answers a request with the response of `self.fixture`, never reaching a network."""

    def __init__(self) -> None:
        self.fixture: dict[str, Any] = {}
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.aiobotocore = {fast: self.loop.run_until_complete(self._aiobotocore(fast)) for fast in (False, True)}
        self.botocore = {fast: self._botocore(fast) for fast in (False, True)}

    async def _aiobotocore(self, fast: bool) -> Any:
        session = get_session()
        if fast:
            use_fast_parser(session)
        config = AioConfig(**CONFIG)
        client = await self.stack.enter_async_context(
            session.create_client("dynamodb", config=config, **CLIENT_ARGUMENTS)
        )

        def answer(request: Any, **_: Any) -> AioAWSResponse:
            body = _AsyncBody(self.fixture["body"].encode("utf-8"))
            return AioAWSResponse(request.url, self.fixture["status"], self.fixture["headers"], body)

        client.meta.events.register("before-send.dynamodb", answer)  # type: ignore[arg-type]  # a response, not None
        return client

    def _botocore(self, fast: bool) -> Any:
        session = botocore.session.get_session()
        if fast:
            use_fast_parser(session)
        client = session.create_client("dynamodb", config=Config(**CONFIG), **CLIENT_ARGUMENTS)

        def answer(request: Any, **_: Any) -> AWSResponse:
            body = _Body(self.fixture["body"].encode("utf-8"))
            return AWSResponse(request.url, self.fixture["status"], self.fixture["headers"], body)

        client.meta.events.register("before-send.dynamodb", answer)  # type: ignore[arg-type]  # a response, not None
        return client

    def outcome(self, fixture: dict[str, Any], transport: str, fast: bool) -> Outcome:
        """What the client returns (or raises) when the fixture's response answers its request."""
        self.fixture = fixture
        params = _from_json(fixture["request"])
        method = xform_name(fixture["operation"])
        try:
            if transport == "aiobotocore":
                return "returned", self.loop.run_until_complete(getattr(self.aiobotocore[fast], method)(**params))
            return "returned", getattr(self.botocore[fast], method)(**params)
        except ClientError as error:
            return type(error).__name__, dict(error.response)

    def close(self) -> None:
        self.loop.run_until_complete(self.stack.aclose())
        self.loop.close()
        for client in self.botocore.values():
            client.close()


@pytest.fixture(scope="module")
def clients() -> Iterator[Clients]:
    opened = Clients()
    try:
        yield opened
    finally:
        opened.close()


def holds_bytes(value: Any) -> bool:
    if isinstance(value, bytes):
        return True
    if isinstance(value, dict):
        return any(holds_bytes(inner) for inner in value.values())
    if isinstance(value, list):
        return any(holds_bytes(inner) for inner in value)
    return False


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The shapes botocore's walk visits (structures), from now on."""
    visited: list[str] = []
    walk = BaseJSONParser._handle_structure  # type: ignore[attr-defined]

    def counting(self: Any, shape: Any, value: Any) -> Any:
        visited.append(shape.name)
        return walk(self, shape, value)

    monkeypatch.setattr(BaseJSONParser, "_handle_structure", counting, raising=False)
    return visited


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_the_fast_parser_gives_what_botocore_gives(path: Path, clients: Clients, walks: list[str]) -> None:
    fixture = load(path)
    stock = clients.outcome(fixture, "aiobotocore", fast=False)
    walks.clear()
    fast = clients.outcome(fixture, "aiobotocore", fast=True)
    fast_walks = list(walks)
    assert fast == stock
    # The boto3 transport's botocore client: the same, with either parser.
    assert clients.outcome(fixture, "botocore", fast=True) == clients.outcome(fixture, "botocore", fast=False) == stock

    outcome, response = stock
    assert response["ResponseMetadata"]["HTTPStatusCode"] == fixture["status"]
    taken_as_sent = (
        outcome == "returned"
        and fixture["operation"] in DATA_PLANE_OPERATIONS
        and not may_hold_binary(fixture["body"].encode())
        and "walked" not in fixture  # why botocore's walk must run, for the crafted ones that need it
    )
    if taken_as_sent:
        # The point of it: no walk at all, and what DynamoDB sent, plus ResponseMetadata.
        assert fast_walks == []
        sent = json.loads(fixture["body"]) if fixture["body"] else {}
        assert {name: value for name, value in response.items() if name != "ResponseMetadata"} == sent
    elif outcome == "returned" and fixture["operation"] in DATA_PLANE_OPERATIONS:
        assert fast_walks, "a response the fast parser should have left to botocore's walk"
    if BINARY_VALUE.search(fixture["body"]) and outcome == "returned":
        assert holds_bytes(response), "binary values are decoded, as botocore does"


def test_the_recordings_cover_what_the_fast_parser_must_get_right() -> None:
    fixtures = [load(path) for path in FIXTURES]
    returned = {(f["operation"], f["status"] < 300) for f in fixtures}
    for operation in DATA_PLANE_OPERATIONS:
        assert (operation, True) in returned, f"no successful {operation} is recorded"
    bodies = "\n".join(f["body"] for f in fixtures)
    for needed in (
        '"UnprocessedKeys":{"Things"',
        '"UnprocessedItems":{"Things"',
        '"LastEvaluatedKey"',
        '"ConsumedCapacity":[',
        '"ConsumedCapacity":{',
        "ConditionalCheckFailedException",
        '"CancellationReasons":[{"Item"',  # DynamoDB Local: the item of a failed condition
        '"CancellationReasons":[{"Code":"TransactionConflict"',
        "ValidationException",
        "ProvisionedThroughputExceededException",
        "ResourceNotFoundException",
        "12345678901234567890123456789012345678",  # 38 digits
        "1E+125",
        "-1E-130",
        '"N":"-0"',
        '"NULL":true',
        '"BOOL":false',
        '"SS":[',
        '"NS":[',
        '"BS":[',
        '"B":"',
        "\\uD83D\\uDE00",
        "日本語",
    ):
        assert needed in bodies.replace('": ', '":').replace(", ", ","), needed


def _dynamodb_operations_in_code() -> set[str]:
    """DynamoDB operations the code names: any DynamoDB method name in graphql_api (a string or an
    attribute), and the first argument of every `.call("...")` in tests and bench."""
    found: set[str] = set()
    for path in sorted((ROOT / "graphql_api").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = (
                node.value if isinstance(node, ast.Constant) else node.attr if isinstance(node, ast.Attribute) else None
            )
            if isinstance(name, str) and name in OPERATION_OF_METHOD:
                found.add(OPERATION_OF_METHOD[name])
    for path in sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "call"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in OPERATION_OF_METHOD
            ):
                found.add(OPERATION_OF_METHOD[node.args[0].value])
    return found


def test_every_operation_the_code_uses_has_a_recorded_response() -> None:
    used = _dynamodb_operations_in_code()
    assert {"GetItem", "BatchGetItem", "Query", "TransactWriteItems", "DescribeTable"} <= used  # the search works
    recorded = {load(path)["operation"] for path in FIXTURES}
    missing = sorted(used - recorded)
    assert missing == [], f"record a response of {missing} (tests/unit/recorded_dynamodb/record.py)"


def _reached(shape: Any, path: str, seen: set[str]) -> Iterator[tuple[str, Any]]:
    yield path, shape
    if shape.name in seen:
        return
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            yield from _reached(member, f"{path}.{name}", seen)
    elif shape.type_name == "list":
        yield from _reached(shape.member, f"{path}[]", seen)
    elif shape.type_name == "map":
        yield from _reached(shape.key, f"{path}{{key}}", seen)
        yield from _reached(shape.value, f"{path}{{}}", seen)


@pytest.mark.parametrize("operation", DATA_PLANE_OPERATIONS)
def test_the_data_plane_outputs_are_what_the_fast_parser_assumes(operation: str) -> None:
    """botocore's walk of these outputs changes only blobs (all in AttributeValue's B and BS), unknown
    members and null members; a newer botocore model that changes that fails here."""
    output = MODEL.operation_model(operation).output_shape
    assert output is not None
    assert output.name in DATA_PLANE_OUTPUTS
    for path, shape in _reached(output, output.name, set()):
        assert shape.serialization.get("name") in (None, path.rsplit(".", 1)[-1]), f"{path} is renamed on the wire"
        if shape.type_name == "structure":
            assert not shape.is_document_type, path
            assert not shape.is_tagged_union, path
        elif shape.type_name == "blob":
            assert path.endswith((".B", ".BS[]")), f"{path}: a binary value the substring search would miss"
        elif shape.type_name not in ("list", "map"):
            # botocore's JSON parser has no handler for the type: the value is taken as json.loads gives it.
            assert not hasattr(JSONParser, f"_handle_{shape.type_name}"), f"{path}: {shape.type_name} is converted"


def test_the_other_operations_keep_botocores_parser() -> None:
    control_plane = {load(path)["operation"] for path in FIXTURES} - set(DATA_PLANE_OPERATIONS)
    assert {"DescribeTable", "CreateTable", "DeleteTable"} <= control_plane
    assert not {f"{operation}Output" for operation in control_plane} & DATA_PLANE_OUTPUTS


@pytest.mark.parametrize("transport", ["aiobotocore", "boto3"])
@pytest.mark.parametrize("enabled", [True, False])
def test_dynamodb_fast_parser_turns_it_on_and_off(
    monkeypatch: pytest.MonkeyPatch, transport: str, enabled: bool
) -> None:
    sessions: list[Any] = []

    def recording(session: Any) -> None:
        use_fast_parser(session)
        sessions.append(session)

    monkeypatch.setattr(fast_parser, "use_fast_parser", recording)  # client.py imports it where it opens a client
    settings = Settings(
        dynamodb_endpoint_url="http://127.0.0.1:9", dynamodb_client=transport, dynamodb_fast_parser=enabled
    )

    async def open_and_close() -> None:
        async with open_dynamo(settings):
            pass

    asyncio.run(open_and_close())
    assert len(sessions) == enabled
    factory = AioFastParserFactory if transport == "aiobotocore" else FastParserFactory
    for session in sessions:
        assert type(session.get_component("response_parser_factory")) is factory


def test_it_is_on_by_default() -> None:
    assert Settings().dynamodb_fast_parser is True

"""Record the DynamoDB responses that tests/unit/test_fast_parser.py parses, from DynamoDB Local and moto.

    .venv/bin/python -m tests.unit.recorded_dynamodb.record [dynamodb-local] [moto]

Each scenario below is one request; its HTTP response as the server sent it (status, headers, body)
is saved as `<backend>/<NN>-<name>.json`, with the request that produced it. `crafted/` holds the
responses that neither emulator gives (throttling, UnprocessedKeys, UnprocessedItems, server
errors), written after DynamoDB's API reference; this script leaves it alone.
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.backends import dynamodb_local, moto_server

HERE = Path(__file__).resolve().parent

THINGS = "Things"
OTHERS = "Others"

# Numbers at the edges of DynamoDB's range: 38 significant digits, 1E-130 to 9.99...E+125 either side of 0.
EDGE_NUMBERS = {
    "digits38": "12345678901234567890123456789012345678",
    "negative38": "-12345678901234567890123456789012345678",
    "fraction38": "1234567890123456789.0123456789012345678",
    "largest": "9.9999999999999999999999999999999999999E+125",
    "smallestNegative": "-9.9999999999999999999999999999999999999E+125",
    "big": "1E+125",
    "tiny": "1E-130",
    "tinyNegative": "-1E-130",
    "zero": "0",
    "negativeZero": "-0",
    "zeroes": "0.000",
    "trailing": "1.50",
    "money": "505.93",
}
TEXTS = {
    "unicode": "ünïcödé \u2013 日本語 \u2013 Ελληνικά \u2013 emoji 😀 \u2013 clef 𝄞",
    "escapes": 'quote " backslash \\ slash / newline \n tab \t return \r',
    "controls": "\u0000\u0001\u001f\u007f",
    "separators": "line\u2028paragraph\u2029",
    "html": "</script><b>&amp;</b>",
    "quotedB": 'a "B" and a "BS" in a string',
    "empty": "",
}


def n(value: str) -> dict[str, str]:
    return {"N": value}


def s(value: str) -> dict[str, str]:
    return {"S": value}


EDGE_ITEM = {
    "pk": s("edge"),
    "sk": s("numbers"),
    "kind": s("edge"),
    **{name: n(value) for name, value in EDGE_NUMBERS.items()},
    "numberSet": {"NS": ["1E+125", "-1E-130", "0", EDGE_NUMBERS["digits38"], "-3.14"]},
}
TEXT_ITEM = {
    "pk": s("text"),
    "sk": s("strings ✓"),
    "kind": s("text"),
    **{name: s(value) for name, value in TEXTS.items() if value},
    "stringSet": {"SS": ["b", "a", "ünï", "😀", 'with "quotes"']},
}
NESTED_ITEM = {
    "pk": s("nested"),
    "sk": s("shapes"),
    "kind": s("nested"),
    "null": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "emptyString": s(""),
    "emptyList": {"L": []},
    "emptyMap": {"M": {}},
    "list": {"L": [s("one"), n("2"), {"NULL": True}, {"BOOL": False}, {"L": [{"M": {"deep": n("-0.5")}}]}]},
    "map": {
        "M": {
            "address": {"M": {"street": s("1 Main Street"), "lines": {"L": [s("a"), s("b")]}}},
            "sets": {"M": {"ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.5"]}}},
            "with space": {"NULL": True},
        }
    },
}
BINARY_ITEM = {
    "pk": s("binary"),
    "sk": s("blob"),
    "kind": s("binary"),
    "blob": {"B": bytes(range(256))},
    "blobs": {"BS": [b"\x00\x01", b"\xff\xfe", b"text"]},
    "nested": {"M": {"inner": {"B": b"\x10\x20"}}},
}
NAMED_B_ITEM = {"pk": s("named"), "sk": s("B"), "kind": s("named"), "B": s("an attribute named B"), "BS": n("1")}


def order_item(number: int) -> dict[str, Any]:
    return {
        "pk": s("many"),
        "sk": s(f"order#{number:03d}"),
        "kind": s("order"),
        "total": n(f"{number}.99"),
        "lines": {"L": [{"M": {"productId": s(f"prd_{k}"), "quantity": n(str(k + 1))}} for k in range(3)]},
    }


THINGS_TABLE = {
    "TableName": THINGS,
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "kind", "AttributeType": "S"},
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "ByKind",
            "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
}
OTHERS_TABLE = {
    "TableName": OTHERS,
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
}
TOTAL = {"ReturnConsumedCapacity": "TOTAL"}


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": s(pk), "sk": s(sk)}


def guard(reason: str) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": OTHERS,
            "Item": {"id": s(f"guard#{reason}")},
            "ConditionExpression": "attribute_not_exists(id)",
        }
    }


# (name, operation, parameters, recorded): unrecorded steps set the scene.
SCENARIOS: list[tuple[str, str, dict[str, Any], bool]] = [
    ("create-table", "create_table", THINGS_TABLE, True),
    ("create-other-table", "create_table", OTHERS_TABLE, False),
    ("describe-table", "describe_table", {"TableName": THINGS}, True),
    ("put-edge-numbers", "put_item", {"TableName": THINGS, "Item": EDGE_ITEM, **TOTAL}, True),
    ("put-text", "put_item", {"TableName": THINGS, "Item": TEXT_ITEM, **TOTAL}, False),
    ("put-nested", "put_item", {"TableName": THINGS, "Item": NESTED_ITEM, **TOTAL}, False),
    ("put-binary", "put_item", {"TableName": THINGS, "Item": BINARY_ITEM, **TOTAL}, False),
    ("put-named-b", "put_item", {"TableName": THINGS, "Item": NAMED_B_ITEM}, False),
    *[(f"put-order-{k}", "put_item", {"TableName": THINGS, "Item": order_item(k)}, False) for k in range(5)],
    ("put-other", "put_item", {"TableName": OTHERS, "Item": {"id": s("one"), "note": s("other table")}}, False),
    ("put-guard", "put_item", {"TableName": OTHERS, "Item": {"id": s("guard#taken")}}, False),
    (
        "put-returning-old",
        "put_item",
        {"TableName": THINGS, "Item": {**NESTED_ITEM, "version": n("2")}, "ReturnValues": "ALL_OLD", **TOTAL},
        True,
    ),
    (
        "put-condition-failed-with-item",
        "put_item",
        {
            "TableName": THINGS,
            "Item": EDGE_ITEM,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            **TOTAL,
        },
        True,
    ),
    (
        "put-condition-failed",
        "put_item",
        {"TableName": THINGS, "Item": EDGE_ITEM, "ConditionExpression": "attribute_not_exists(pk)", **TOTAL},
        True,
    ),
    ("get-edge-numbers", "get_item", {"TableName": THINGS, "Key": key("edge", "numbers"), **TOTAL}, True),
    ("get-text", "get_item", {"TableName": THINGS, "Key": key("text", "strings ✓"), **TOTAL}, True),
    (
        "get-nested",
        "get_item",
        {"TableName": THINGS, "Key": key("nested", "shapes"), "ConsistentRead": True, **TOTAL},
        True,
    ),
    ("get-binary", "get_item", {"TableName": THINGS, "Key": key("binary", "blob"), **TOTAL}, True),
    ("get-attribute-named-b", "get_item", {"TableName": THINGS, "Key": key("named", "B"), **TOTAL}, True),
    ("get-missing", "get_item", {"TableName": THINGS, "Key": key("missing", "none"), **TOTAL}, True),
    ("get-missing-no-capacity", "get_item", {"TableName": THINGS, "Key": key("missing", "none")}, True),
    (
        "get-projection",
        "get_item",
        {
            "TableName": THINGS,
            "Key": key("edge", "numbers"),
            "ProjectionExpression": "#b, tiny, numberSet",
            "ExpressionAttributeNames": {"#b": "big"},
            **TOTAL,
        },
        True,
    ),
    (
        "query-page",
        "query",
        {
            "TableName": THINGS,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s("many")},
            "Limit": 2,
            "ScanIndexForward": False,
            **TOTAL,
        },
        True,
    ),
    (
        "query-all",
        "query",
        {
            "TableName": THINGS,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s("many")},
            **TOTAL,
        },
        True,
    ),
    (
        "query-empty",
        "query",
        {
            "TableName": THINGS,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s("nobody")},
            **TOTAL,
        },
        True,
    ),
    (
        "query-index-capacity",
        "query",
        {
            "TableName": THINGS,
            "IndexName": "ByKind",
            "KeyConditionExpression": "kind = :kind",
            "ExpressionAttributeValues": {":kind": s("order")},
            "Limit": 3,
            "ReturnConsumedCapacity": "INDEXES",
        },
        True,
    ),
    (
        "query-count",
        "query",
        {
            "TableName": THINGS,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s("many")},
            "Select": "COUNT",
            **TOTAL,
        },
        True,
    ),
    (
        "query-filtered",
        "query",
        {
            "TableName": THINGS,
            "KeyConditionExpression": "pk = :pk",
            "FilterExpression": "#total > :min",
            "ExpressionAttributeNames": {"#total": "total"},
            "ExpressionAttributeValues": {":pk": s("many"), ":min": n("2")},
            "Limit": 4,
            **TOTAL,
        },
        True,
    ),
    ("scan-page", "scan", {"TableName": THINGS, "Limit": 3, **TOTAL}, True),
    ("scan-other-table", "scan", {"TableName": OTHERS, **TOTAL}, True),
    ("scan-one", "scan", {"TableName": THINGS, "Limit": 1}, True),
    (
        "scan-nothing-matches",
        "scan",
        {"TableName": THINGS, "FilterExpression": "kind = :k", "ExpressionAttributeValues": {":k": s("none")}, **TOTAL},
        True,
    ),
    (
        "scan-segment",
        "scan",
        {"TableName": THINGS, "Segment": 0, "TotalSegments": 2, "ConsistentRead": True, **TOTAL},
        True,
    ),
    (
        "batch-get-two-tables",
        "batch_get_item",
        {
            "RequestItems": {
                THINGS: {
                    "Keys": [
                        key("edge", "numbers"),
                        key("text", "strings ✓"),
                        key("missing", "none"),
                        key("nested", "shapes"),
                    ],
                    "ConsistentRead": True,
                },
                OTHERS: {"Keys": [{"id": s("one")}, {"id": s("absent")}]},
            },
            **TOTAL,
        },
        True,
    ),
    (
        "batch-get-nothing-found",
        "batch_get_item",
        {"RequestItems": {THINGS: {"Keys": [key("missing", "none")], "ConsistentRead": True}}, **TOTAL},
        True,
    ),
    (
        "batch-get-binary",
        "batch_get_item",
        {"RequestItems": {THINGS: {"Keys": [key("binary", "blob"), key("edge", "numbers")]}}, **TOTAL},
        True,
    ),
    (
        "batch-write",
        "batch_write_item",
        {
            "RequestItems": {
                THINGS: [
                    {"PutRequest": {"Item": order_item(10)}},
                    {"PutRequest": {"Item": order_item(11)}},
                    {"DeleteRequest": {"Key": key("many", "order#004")}},
                ],
                OTHERS: [{"PutRequest": {"Item": {"id": s("two")}}}],
            },
            **TOTAL,
        },
        True,
    ),
    (
        "update-all-new",
        "update_item",
        {
            "TableName": THINGS,
            "Key": key("many", "order#000"),
            "UpdateExpression": "SET #total = #total + :one, note = :note ADD tags :tags",
            "ExpressionAttributeNames": {"#total": "total"},
            "ExpressionAttributeValues": {":one": n("1"), ":note": s("née ✓"), ":tags": {"SS": ["x", "y"]}},
            "ReturnValues": "ALL_NEW",
            **TOTAL,
        },
        True,
    ),
    (
        "update-updated-old",
        "update_item",
        {
            "TableName": THINGS,
            "Key": key("many", "order#000"),
            "UpdateExpression": "SET #total = :big REMOVE note",
            "ExpressionAttributeNames": {"#total": "total"},
            "ExpressionAttributeValues": {":big": n(EDGE_NUMBERS["largest"])},
            "ReturnValues": "UPDATED_OLD",
            **TOTAL,
        },
        True,
    ),
    (
        "update-no-values",
        "update_item",
        {
            "TableName": THINGS,
            "Key": key("many", "order#001"),
            "UpdateExpression": "SET seen = :yes",
            "ExpressionAttributeValues": {":yes": {"BOOL": True}},
            **TOTAL,
        },
        True,
    ),
    (
        "update-condition-failed-with-item",
        "update_item",
        {
            "TableName": THINGS,
            "Key": key("many", "order#001"),
            "UpdateExpression": "SET #total = :zero",
            "ConditionExpression": "#total > :huge",
            "ExpressionAttributeNames": {"#total": "total"},
            "ExpressionAttributeValues": {":zero": n("0"), ":huge": n("1E+100")},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            **TOTAL,
        },
        True,
    ),
    (
        "delete-all-old",
        "delete_item",
        {"TableName": THINGS, "Key": key("many", "order#002"), "ReturnValues": "ALL_OLD", **TOTAL},
        True,
    ),
    (
        "delete-missing",
        "delete_item",
        {"TableName": THINGS, "Key": key("missing", "none"), "ReturnValues": "ALL_OLD", **TOTAL},
        True,
    ),
    (
        "delete-condition-failed",
        "delete_item",
        {
            "TableName": THINGS,
            "Key": key("many", "order#003"),
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        },
        True,
    ),
    (
        "transact-write",
        "transact_write_items",
        {
            "TransactItems": [
                {
                    "Update": {
                        "TableName": THINGS,
                        "Key": key("many", "order#003"),
                        "UpdateExpression": "SET #status = :paid",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":paid": s("PAID")},
                    }
                },
                guard("fresh"),
            ],
            **TOTAL,
        },
        True,
    ),
    (
        "transact-cancelled-with-item",
        "transact_write_items",
        {
            "TransactItems": [
                {
                    "ConditionCheck": {
                        "TableName": THINGS,
                        "Key": key("edge", "numbers"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                guard("other"),
            ],
            **TOTAL,
        },
        True,
    ),
    (
        "transact-cancelled",
        "transact_write_items",
        {"TransactItems": [guard("another"), guard("taken")], **TOTAL},
        True,
    ),
    (
        "transact-get",
        "transact_get_items",
        {
            "TransactItems": [
                {"Get": {"TableName": THINGS, "Key": key("text", "strings ✓")}},
                {"Get": {"TableName": THINGS, "Key": key("missing", "none")}},
                {"Get": {"TableName": OTHERS, "Key": {"id": s("one")}}},
            ],
            **TOTAL,
        },
        True,
    ),
    ("validation-wrong-key", "get_item", {"TableName": THINGS, "Key": {"pk": s("edge")}}, True),
    (
        "validation-bad-expression",
        "query",
        {"TableName": THINGS, "KeyConditionExpression": "pk = = :pk", "ExpressionAttributeValues": {":pk": s("x")}},
        True,
    ),
    (
        "validation-batch-too-many",
        "batch_get_item",
        {"RequestItems": {THINGS: {"Keys": [key("many", f"order#{k:03d}") for k in range(101)]}}},
        True,
    ),
    ("missing-table", "get_item", {"TableName": "NoSuchTable", "Key": key("a", "b")}, True),
    (
        "missing-table-query",
        "query",
        {
            "TableName": "NoSuchTable",
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": s("x")},
        },
        True,
    ),
    (
        "update-table",
        "update_table",
        {"TableName": THINGS, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "ByKind"}}]},
        True,
    ),
    ("delete-table", "delete_table", {"TableName": OTHERS}, True),
    (
        "update-time-to-live",
        "update_time_to_live",
        {"TableName": THINGS, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expiresAt"}},
        True,
    ),
    ("describe-time-to-live", "describe_time_to_live", {"TableName": THINGS}, True),
]


def _as_json(value: Any) -> Any:
    """Request parameters as JSON: bytes as {"base64": ...}."""
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {name: _as_json(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_as_json(inner) for inner in value]
    return value


def record(backend: str, server: AbstractContextManager[str]) -> None:
    target = HERE / backend
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    captured: list[dict[str, Any]] = []

    def capture(response_dict: dict[str, Any], **_: Any) -> None:
        captured.append(response_dict)

    with server as endpoint:
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(retries={"mode": "standard", "total_max_attempts": 1}, parameter_validation=False),
        )
        client.meta.events.register("before-parse.dynamodb", capture)
        source = _source(backend)
        number = 0
        for name, operation, params, recorded in SCENARIOS:
            captured.clear()
            try:
                getattr(client, operation)(**params)
            except ClientError as error:
                if not recorded:
                    raise
                print(f"{backend}: {name}: {error.response['Error']['Code']}", file=sys.stderr)
            if not recorded:
                continue
            (response,) = captured
            number += 1
            fixture = {
                "operation": client.meta.service_model.operation_model(_operation_name(client, operation)).name,
                "source": source,
                "request": _as_json(params),
                "status": response["status_code"],
                "headers": {header.lower(): value for header, value in response["headers"].items()},
                "body": response["body"].decode("utf-8"),
            }
            path = target / f"{number:02d}-{name}.json"
            path.write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _operation_name(client: Any, method: str) -> str:
    by_method = {name: operation for name, operation in client.meta.method_to_api_mapping.items()}
    return str(by_method[method])


def _source(backend: str) -> str:
    if backend == "moto":
        return f"moto {version('moto')} server (graphql_api.local)"
    return "DynamoDB Local (scripts/dynamodb-local.sh, amplify-dynamodb-simulator 2.9.30)"


def backends(names: list[str]) -> Iterator[tuple[str, AbstractContextManager[str]]]:
    known = {"dynamodb-local": dynamodb_local, "moto": moto_server}
    for name in names or list(known):
        yield name, known[name]()


if __name__ == "__main__":
    for backend_name, server_context in backends(sys.argv[1:]):
        record(backend_name, server_context)

"""DynamoDB's data-plane responses taken as DynamoDB sent them, without botocore's walk of every value.

botocore parses a JSON response in two steps: `json.loads`, then a walk of the result against the
model's output shape, several Python calls for every attribute value of every item: a quarter of
the CPU of a canonical answer (22 -> 16.5 ms with this parser, bench.profile). For the outputs of
the data-plane operations (GetItem, BatchGetItem, Query, Scan, PutItem, UpdateItem, DeleteItem,
BatchWriteItem, TransactWriteItems, TransactGetItems) that walk changes only three things in what
`json.loads` gives: binary values (`B`, `BS`) are base64-decoded to bytes, members the model does
not know are left out, and members that are null are left out. This parser returns the JSON as it
is when none of them can apply, and otherwise leaves the response to botocore's walk:

- a body that holds the key `"B"` or `"BS"` (or an escaped `B`, `\\u0042`), found by a substring
  search of the raw bytes: a binary value is decoded as botocore does (the service stores none, so
  this never happens in practice but is never wrong either);
- a body whose top-level members are not all in the output shape, or are null.

Error responses (ConditionalCheckFailedException's `Item`, TransactionCanceledException's
`CancellationReasons`) are parsed against their error shape, not an output shape, so botocore parses
them as before; so are the control-plane operations (DescribeTable has timestamps) and every other
service. The result is botocore's own, ResponseMetadata included (HTTPStatusCode, HTTPHeaders,
RequestId; RetryAttempts is added by the endpoint after parsing).

What could still differ: a member nested below the top level that the model does not know, or that
is null, would be kept here where botocore leaves it out. DynamoDB sends neither (and the service
reads no such member); tests/unit/test_fast_parser.py pins the parse to botocore's over recorded
responses of every operation the service uses, and the output shapes to the ones reasoned about here.

On by default (DYNAMODB_FAST_PARSER=false turns it off), for both transports.
"""

from __future__ import annotations

from typing import Any

import botocore.session
from aiobotocore.parsers import AioJSONParser, AioResponseParserFactory
from aiobotocore.session import AioSession
from botocore.parsers import JSONParser, ResponseParser, ResponseParserFactory

from graphql_api.dynamo.data_plane import DATA_PLANE_OPERATIONS, may_hold_binary

__all__ = ["DATA_PLANE_OPERATIONS", "DATA_PLANE_OUTPUTS", "may_hold_binary", "use_fast_parser"]

DATA_PLANE_OUTPUTS = frozenset(f"{operation}Output" for operation in DATA_PLANE_OPERATIONS)

# botocore's parser internals (the methods below) are not in botocore-stubs.
_BOTOCORE_JSON: Any = JSONParser


class _DataPlaneBodies:
    """`_handle_json_body` of botocore's JSONParser, taking data-plane outputs as they are (see the module)."""

    def _handle_json_body(self, raw_body: bytes, shape: Any) -> Any:
        if shape is None or shape.name not in DATA_PLANE_OUTPUTS or may_hold_binary(raw_body):
            return _BOTOCORE_JSON._handle_json_body(self, raw_body, shape)
        parsed = _BOTOCORE_JSON._parse_body_as_json(self, raw_body)
        if type(parsed) is dict and parsed.keys() <= shape.members.keys() and None not in parsed.values():
            return parsed
        return _BOTOCORE_JSON._parse_shape(self, shape, parsed)


class FastJSONParser(_DataPlaneBodies, JSONParser):
    """botocore's JSON parser (the boto3 transport) with data-plane outputs taken as they are."""


class AioFastJSONParser(_DataPlaneBodies, AioJSONParser):
    """aiobotocore's JSON parser with data-plane outputs taken as they are."""


class FastParserFactory(ResponseParserFactory):
    def create_parser(self, protocol_name: str) -> ResponseParser:
        if protocol_name == "json":
            return FastJSONParser(**self._defaults)  # type: ignore[attr-defined]  # not in botocore-stubs
        return super().create_parser(protocol_name)


class AioFastParserFactory(AioResponseParserFactory):
    def create_parser(self, protocol_name: str) -> ResponseParser:
        if protocol_name == "json":
            return AioFastJSONParser(**self._defaults)  # type: ignore[attr-defined]  # not in botocore-stubs
        return super().create_parser(protocol_name)


def use_fast_parser(session: AioSession | botocore.session.Session) -> None:
    """Parse the responses of clients that `session` creates from now on with the fast parser.

    Only for a session that creates DynamoDB clients alone: the parser recognises outputs by shape name.
    """
    factory = AioFastParserFactory() if isinstance(session, AioSession) else FastParserFactory()
    session.register_component("response_parser_factory", factory)

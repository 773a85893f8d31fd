"""DynamoDB's item calls answered by moto's backend in the calling thread, without the HTTP round trip.

A boto3 call to moto makes in process the round trip a call to AWS makes: botocore builds an HTTP
request, moto routes and parses it, runs its backend, serializes an HTTP response with a CRC32 header,
and botocore parses that back. For DynamoDB's item operations, the runtime's hot path, only the backend
does work that matters here: a GetItem of a 25-attribute item cost the calling thread 770 us that way
and 221 us answered here, a 10-item Query 3,113 vs 955 us (bench/reports/moto_direct.md).

So a watched DynamoDB client's item calls are answered at botocore's `before-call` event, which lets a
handler supply the response:
- what the caller passed is still validated and serialized by botocore (a bad call fails as it did),
  and every event the rest of the stack hooks still fires: before-parameter-build (grants, faults,
  the journal's capture, run-change notes), before-call (the journal's arm), after-call and, when
  answering raises, after-call-error;
- moto parses that serialized body with its own request parser, so its handler gets exactly what it
  got over HTTP, and answers with its own DynamoHandler method under DynamoDB's service lock, where
  writes are reported to the journal (moto_patches.write_committed) as before; the `answered`
  listeners hear it after;
- a success is moto's result with the members of the operation's output shape, shaped after the write
  is journaled (moto builds the attribute values of each answer afresh, so the caller owns them); an
  error is the response moto would have sent, parsed by botocore's own parser, so the caller raises
  the same ClientError with the same fields.

Skipped: the HTTP request and response (ResponseMetadata's HTTPHeaders carry no date or CRC32; nothing
reads them), moto's URL routing and request recorder, and botocore's retry loop (moto answers no
throttle; faults are raised before it, as they always were). moto's own IAM emulation is not consulted,
so the direct path is off when it is enabled (INITIAL_NO_AUTH_ACTION_COUNT); permissions.py does the
local stack's checks. tests/local/test_moto_direct.py runs every operation here both ways and compares
what the caller gets.
"""

from __future__ import annotations

import secrets
from functools import cache
from typing import Any, cast

from agent_runtime_local import moto_patches

# The operations answered directly: the ones that read or write items. Table and stream management
# (rare, and where moto's answers carry timestamps botocore would parse) still go over HTTP.
DIRECT_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
TARGET_PREFIX = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"


def enabled() -> bool:
    from moto import settings

    auth_after: float = settings.INITIAL_NO_AUTH_ACTION_COUNT
    return auth_after == float("inf")  # moto checks no IAM policy at all


def watch(client: Any) -> None:
    """Answer `client`'s item calls in process (an aws.client_observers entry; DynamoDB clients only,
    and only those that call the AWS endpoint moto intercepts, not one of an endpoint_url's)."""
    region = client.meta.region_name
    if (
        client.meta.service_model.service_name != "dynamodb"
        or client.meta.endpoint_url != f"https://dynamodb.{region}.amazonaws.com"
        or not enabled()
    ):
        return
    from moto.core.models import botocore_stubber

    events = client.meta.events
    service_id = client.meta.service_model.service_id.hyphenize()

    def answer(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
        # Only while moto intercepts calls (a client made under a stopped LocalCloud goes out as sent).
        if model.name not in DIRECT_OPERATIONS or not botocore_stubber.enabled:
            return None
        try:
            return _answer(model, params["body"], region)
        except Exception as error:  # as botocore reports a send that raised, then raises it
            events.emit(f"after-call-error.{service_id}.{model.name}", exception=error, context=context)
            raise

    # On the plain event and last: botocore calls the handlers of "before-call.dynamodb..." before
    # those of "before-call", where the journal arms itself; every one of them must see the call first.
    events.register_last("before-call", answer, unique_id=f"moto-direct-{id(client)}")


def _answer(model: Any, body: bytes, region: str) -> tuple[Any, dict[str, Any]]:
    from botocore.awsrequest import AWSResponse
    from moto.dynamodb.responses import DynamoHandler

    name = model.name
    handler = DynamoHandler()
    handler.region = region
    handler.headers = {"X-Amz-Target": TARGET_PREFIX + name, "Content-Type": CONTENT_TYPE}
    handler.querystring = {}
    handler.uri_match = {}
    handler.response_headers = {"server": "amazon.com"}
    handler.current_account = handler.get_current_account()
    handler.body = handler.params = _parse_request(name, body)
    event_name = f"before-send.dynamodb.{name}"
    with moto_patches.service_lock("dynamodb"):
        status, headers, answered = _call(handler, model)
        report = moto_patches.write_committed
        if report is not None:  # journaled before anything else can fail or read it
            report(event_name, status)
    for listener in moto_patches.answered:
        listener(event_name)
    parsed = answered if status >= 300 else _as_parsed(answered, model.output_shape)
    request_id = secrets.token_urlsafe(39)  # 52 characters, as moto's request ids
    headers = {**headers, "x-amzn-requestid": request_id}
    parsed["ResponseMetadata"] = {
        "RequestId": request_id,
        "HTTPStatusCode": status,
        "HTTPHeaders": headers,
        "RetryAttempts": 0,
    }
    url = f"https://dynamodb.{region}.amazonaws.com/"
    return AWSResponse(url, status, cast(Any, headers), None), parsed  # it keeps any mapping


def _parse_request(name: str, body: bytes) -> Any:
    """What moto's handler reads as its parameters: the body parsed as moto parses it over HTTP."""
    from moto.core.parse import PROTOCOL_PARSERS

    parser = PROTOCOL_PARSERS["json"](_moto_operation(name), map_type=dict)
    request: Any = {"method": "POST", "values": {}, "headers": {}, "body": body}
    request.update(url_path="/", url_params={})
    return parser.parse(request)


@cache
def _moto_operation(name: str) -> Any:
    from moto.core.utils import get_service_model

    return get_service_model("dynamodb").operation_model(name)


def _call(handler: Any, model: Any) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Run moto's handler method as its call_action would, without serializing a success: the status,
    headers, and moto's result (a success, shaped after) or the parsed error."""
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult
    from moto.core.utils import camelcase_to_underscores
    from werkzeug.exceptions import HTTPException

    method = getattr(handler, camelcase_to_underscores(model.name))
    try:
        result = method()
    except ServiceException as error:
        status, headers, text = handler.serialized(ActionResult(error))
        return status, _lower(headers), _parse_error(model, status, headers, text)
    except HTTPException as error:
        status = error.code or 500
        headers = dict(error.get_headers() or [])
        return status, _lower(headers), _parse_error(model, status, headers, error.description or "")
    values: Any = (result.result if isinstance(result, ActionResult) else result) or {}
    return 200, {"content-type": CONTENT_TYPE, "server": "amazon.com"}, values


def _parse_error(model: Any, status: int, headers: dict[str, Any], body: str | bytes) -> dict[str, Any]:
    """The error response parsed as botocore parses one it received (its endpoint adds the modeled
    error's fields, e.g. CancellationReasons, the same way)."""
    from botocore.parsers import create_parser

    parser = create_parser("json")
    response = {
        "status_code": status,
        "headers": _lower(headers),
        "body": body.encode() if isinstance(body, str) else body,
        "context": {"operation_name": model.name},
    }
    parsed: dict[str, Any] = parser.parse(response, model.output_shape)
    code = parsed.get("Error", {}).get("Code")
    shape = None if code is None else model.service_model.shape_for_error_code(code)
    if shape is not None:
        parsed.update(parser.parse(response, shape))
    parsed.pop("ResponseMetadata", None)
    return parsed


def _lower(headers: Any) -> dict[str, str]:
    return {str(key).lower(): str(value) for key, value in dict(headers).items() if key != "status"}


def _as_parsed(value: Any, shape: Any) -> Any:
    """moto's result as botocore would have parsed it from moto's JSON: only the shape's members, none
    that is null, doubles as floats (moto may hold an int). Attribute values are kept as moto built
    them: its answers build them afresh from the stored item (dynamo_to_dict), so the caller owns them
    (tests/local/test_moto_direct.py changes what it got and reads the item again). The output shapes
    of DIRECT_OPERATIONS hold no timestamps (the test checks), the one type moto keeps otherwise."""
    if shape is None:
        return {}
    if shape.name == "AttributeValue":  # strings, bytes and booleans, in nested lists and maps
        return value
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        return {
            key: _as_parsed(item, members[key])
            for key, item in value.items()
            if key in members and item is not None
        }
    if kind == "list":
        return [_as_parsed(item, shape.member) for item in value]
    if kind == "map":
        return {key: _as_parsed(item, shape.value) for key, item in value.items()}
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long"):
        return int(value)
    return value

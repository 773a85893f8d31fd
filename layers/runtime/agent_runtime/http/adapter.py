"""A lean adapter between API Gateway proxy events and endpoint functions, shared by every door.

Chosen over Powertools' REST resolver because routing is API Gateway's job (a v1 or ACP function
serves one route; A2A, Connect and MCP dispatch their few paths or methods in the door) and it imports
in a fraction of the time (bench/cold_start.py measures both).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import mimeparse  # type: ignore[import-untyped]
from pydantic import BaseModel, ValidationError

from agent_runtime import observability
from agent_runtime.config import settings
from agent_runtime.errors import (
    BadRequest,
    BudgetExceeded,
    DomainError,
    NotFound,
    ValidationFailed,
    is_transient,
)
from agent_runtime.http.errors import (
    InternalError,
    NotAcceptable,
    PayloadTooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMediaType,
)
from agent_runtime.json_limits import MAX_DEPTH, too_deep
from agent_runtime.validation import field_errors

log = logging.getLogger("agent_runtime.http")
TENANT_HEADER = "X-Tenant"
Model = TypeVar("Model", bound=BaseModel)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:20]} overflows a double")
    return value


def parse_json(raw: bytes) -> Any:
    """Strict JSON: no NaN/Infinity (nor numbers that overflow to it), valid UTF-8 with no lone
    surrogates, bounded nesting. 400 otherwise."""
    try:
        data = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
        json.dumps(data, ensure_ascii=False).encode()  # lone surrogates ("\ud800") can't be stored
    except RecursionError as error:
        raise BadRequest("request body is nested too deeply") from error
    except (ValueError, UnicodeError) as error:
        raise BadRequest(f"request body is not valid JSON: {error}") from error
    if too_deep(data):
        limit = f"at most {MAX_DEPTH} levels of nesting"
        raise ValidationFailed(
            f"request body nests deeper than {MAX_DEPTH} levels", errors=[{"field": "body", "message": limit}]
        )
    return data


@dataclass
class Request:
    method: str
    path: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    tenant_id: str  # "" on a public route (no authorizer runs)
    principal: str | None
    request_id: str
    # The path before the route's own on this API (API Gateway's stage, "/prod"; "" locally), for
    # absolute URLs a response must name (A2A agent cards).
    base_path: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def accepts(self, media_type: str) -> bool:
        """Whether the client's Accept takes `media_type` at all (q > 0)."""
        accept = self.header("accept")
        if not accept:
            return False
        try:
            return float(mimeparse.quality(media_type, accept)) > 0
        except (mimeparse.MimeTypeParseException, ValueError):
            return False

    def json_value(self, empty: bytes = b"null") -> Any:
        """The body parsed as JSON (any value; `empty` stands for no body); 400/413/415 otherwise."""
        if len(self.body) > settings().max_body_bytes:
            raise PayloadTooLarge(f"request body is larger than {settings().max_body_bytes} bytes")
        content_type = (self.header("content-type") or "application/json").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(f"send application/json, not {content_type}")
        return parse_json(self.body or empty)

    def json(self, model: type[Model]) -> Model:
        """The body parsed as JSON and validated by `model`; 400/413/415/422 problems otherwise."""
        data = self.json_value(empty=b"{}")
        if not isinstance(data, dict):
            raise ValidationFailed(
                "request body must be a JSON object",
                errors=[{"field": "body", "message": "expected an object"}],
            )
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise ValidationFailed("request body is not valid", errors=field_errors(error)) from error

    def int_query(self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise BadRequest(
                f"{name} must be an integer {bounds}", errors=[{"field": name, "message": bounds}]
            )
        return value

    def seconds_query(self, name: str, maximum: float) -> float | None:
        """`?<name>=` as seconds between 0 and `maximum` (None when absent); 400 naming it otherwise."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 <= value <= maximum:
            raise BadRequest(
                f"{name} must be seconds between 0 and {maximum:g}",
                errors=[{"field": name, "message": raw[:40]}],
            )
        return value


@dataclass
class Response:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    # `body` is base64 of binary content (the Connect door's protobuf and stream envelopes).
    base64: bool = False

    @classmethod
    def json(cls, status: int, value: Any, headers: dict[str, str] | None = None) -> Response:
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        return cls(status, body, {"Content-Type": "application/json", **(headers or {})})

    def to_proxy(self) -> dict[str, Any]:
        return {
            "statusCode": self.status,
            "headers": self.headers,
            "body": self.body,
            "isBase64Encoded": self.base64,
        }


def _tenant(event: dict[str, Any], public: bool) -> tuple[str, str | None]:
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    context = authorizer.get("lambda", authorizer)  # REST authorizers flatten, HTTP APIs nest under lambda
    tenant = context.get("tenant_id")
    if not tenant:
        if public:
            return "", None
        raise Unauthorized("no authenticated tenant on this request")
    return str(tenant), context.get("principal")


# Every id this API issues or accepts (run, checkpoint, artifact, delivery, thread, agent) is far
# shorter; a longer one names nothing, and would exceed DynamoDB's key size (an error, not a miss).
MAX_ID_BYTES = 256


def _path_params(event: dict[str, Any]) -> dict[str, str]:
    params: dict[str, str] = event.get("pathParameters") or {}
    for name, value in params.items():
        # A greedy parameter ({proxy+}) holds several segments, each an id of its own.
        longest = max((len(segment.encode()) for segment in value.split("/")), default=0)
        if longest > MAX_ID_BYTES:
            raise NotFound(f"no {name} has a {longest}-byte segment")
    return params


def _base_path(event: dict[str, Any]) -> str:
    path, full = event.get("path") or "", (event.get("requestContext") or {}).get("path") or ""
    return full[: -len(path)] if path and full.endswith(path) else ""


def _request(event: dict[str, Any], public: bool = False) -> Request:
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode()
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if v is not None}
    tenant, principal = _tenant(event, public)
    context = event.get("requestContext") or {}
    return Request(
        method=event.get("httpMethod", ""),
        path=event.get("path", ""),
        path_params=_path_params(event),
        query=event.get("queryStringParameters") or {},
        headers=headers,
        body=body,
        tenant_id=tenant,
        principal=principal,
        request_id=context.get("requestId") or str(uuid.uuid4()),
        base_path=_base_path(event),
    )


# How a door shows an error: (error, request path) -> response in that protocol's error shape.
ErrorRenderer = Callable[[DomainError, str | None], "Response"]


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# A 503's detail: an AWS call stayed throttled through the SDK's retries. Repeating the request is safe
# (reads, answers refused once applied, creates with the same Idempotency-Key).
UNAVAILABLE_DETAIL = "a service the runtime depends on is busy; try again in a moment"


def api_handler(
    errors: ErrorRenderer, *, public: bool = False
) -> Callable[[Callable[[Request], Response]], Handler]:
    """A decorator making an endpoint function a Lambda handler whose errors the door's `errors`
    renders (typed errors as themselves, anything unexpected as an InternalError without details).
    `public`: the route has no authorizer (functions/manifest.py FunctionSpec.public), so requests
    carry no tenant (Request.tenant_id is "")."""

    def wrap(endpoint: Callable[[Request], Response]) -> Handler:
        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            path = event.get("path")
            with observability.invocation(function=getattr(context, "function_name", None)):
                try:
                    request = _request(event, public)
                    observability.bind(tenant=request.tenant_id or None, request_id=request.request_id)
                    response = endpoint(request)
                    if request.tenant_id:
                        # Who the caller is acting as (its own tenant, never another's): the console
                        # shows it, with no endpoint of its own.
                        response.headers.setdefault(TENANT_HEADER, request.tenant_id)
                except DomainError as error:
                    response = errors(error, path)
                    if isinstance(error, BudgetExceeded):  # a 429 says when to try again
                        response.headers["Retry-After"] = str(error.retry_after_seconds)
                except Exception as error:
                    if is_transient(error):
                        log.warning("busy serving %s %s: %s", event.get("httpMethod"), path, error)
                        response = errors(Unavailable(UNAVAILABLE_DETAIL), path)
                        response.headers["Retry-After"] = "1"
                    else:
                        log.exception("unhandled error serving %s %s", event.get("httpMethod"), path)
                        response = errors(InternalError("the server failed to handle this request"), path)
                return response.to_proxy()

        handler.__wrapped__ = endpoint  # type: ignore[attr-defined]
        return handler

    return wrap


def negotiate(request: Request, *media_types: str) -> str:
    """The one of `media_types` the client's Accept prefers, by q-value then specificity (RFC 9110
    12.5.1); ties go to the earlier one, so no Accept, `*/*` or an unreadable header get the first."""
    accept = request.header("accept")
    if not accept:
        return media_types[0]
    # best_match breaks ties towards the end of its list, so it gets ours reversed.
    try:
        chosen: str = mimeparse.best_match(list(reversed(media_types)), accept)
    except (mimeparse.MimeTypeParseException, ValueError):
        return media_types[0]
    if not chosen:
        raise NotAcceptable(f"this endpoint produces {', '.join(media_types)}")
    return chosen

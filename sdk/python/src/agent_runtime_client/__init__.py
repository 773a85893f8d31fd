"""agent-runtime-client: the Python SDK of the agent-runtime HTTP API.

    from agent_runtime_client import Client

    with Client() as client:  # AGENT_RUNTIME_URL / AGENT_RUNTIME_API_KEY, or the local stack
        run = client.runs.create("approval", {"title": "Q4 plan", "points": ["ship it"]})
        for event in client.runs.stream(run.run_id):
            print(event.id, event.type)

`AsyncClient` has the same surface with `await` and `async for`.
"""

from agent_runtime_client._async_client import AsyncClient, AsyncRunStream
from agent_runtime_client._client import Client, RunStream
from agent_runtime_client._core import RawResponse, RetryPolicy
from agent_runtime_client._pagination import AsyncPager, Pager
from agent_runtime_client._version import __version__
from agent_runtime_client.errors import (
    AgentRuntimeError,
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    IntegrityError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
    WaitTimeout,
    WebhookPayloadError,
    WebhookVerificationError,
)
from agent_runtime_client.models import TERMINAL_STATUSES, AnyEvent, parse_event

__all__ = [
    "TERMINAL_STATUSES",
    "APIConnectionError",
    "APIError",
    "AgentRuntimeError",
    "AnyEvent",
    "AsyncClient",
    "AsyncPager",
    "AsyncRunStream",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "IntegrityError",
    "MethodNotAllowedError",
    "NotAcceptableError",
    "NotFoundError",
    "Pager",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RawResponse",
    "RetryPolicy",
    "RunStream",
    "ServerError",
    "UnprocessableEntityError",
    "UnsupportedMediaTypeError",
    "WaitTimeout",
    "WebhookPayloadError",
    "WebhookVerificationError",
    "__version__",
    "parse_event",
]

"""Lazily created, cached boto3 clients.

Never create clients at import time: moto only intercepts clients created after it starts, and
cold starts stay short when a handler only pays for the clients it uses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from agent_runtime.config import settings

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient


# Called with each client created here: the local stack checks every call against the calling
# function's grants (local/agent_runtime_local/permissions.py). Empty in the cloud, where IAM does that.
client_observers: list[Callable[[Any], None]] = []


T = TypeVar("T")
_creating = threading.RLock()


class _PerProcess(Generic[T]):
    """One client per process, however many threads ask for it first. `functools.cache` would let two
    first callers each create one and keep their own: an observer registered on one (a bench's call
    counter, the local stack's checks) then misses the calls made through the other."""

    def __init__(self, create: Callable[[], T]) -> None:
        self._create = create
        self._value: T | None = None
        self.__doc__ = create.__doc__

    def __call__(self) -> T:
        value = self._value
        if value is None:
            with _creating:
                if self._value is None:
                    self._value = self._create()
                value = self._value
        return value

    def cache_clear(self) -> None:
        with _creating:
            self._value = None


def _client(service: str, read_timeout: float = 10) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=read_timeout
    )
    client = boto3.session.Session().client(service, region_name=settings().region, config=config)  # type: ignore[call-overload]
    for observe in client_observers:
        observe(client)
    return client


@_PerProcess
def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


@_PerProcess
def s3() -> S3Client:
    client: S3Client = _client("s3")
    return client


@_PerProcess
def stepfunctions() -> SFNClient:
    client: SFNClient = _client("stepfunctions")
    return client


@_PerProcess
def sqs() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client


# A model may think for a while before its first token (or a whole non-streamed answer).
MODEL_READ_TIMEOUT_SECONDS = 120


@_PerProcess
def bedrock_runtime() -> BedrockRuntimeClient:
    client: BedrockRuntimeClient = _client("bedrock-runtime", read_timeout=MODEL_READ_TIMEOUT_SECONDS)
    return client


@_PerProcess
def apigateway() -> Any:
    """API Gateway's control plane (usage plans and their keys: engine/api_keys.py); untyped, as the
    project has no stubs for it."""
    return _client("apigateway")


@_PerProcess
def s3_presigner() -> S3Client:
    """An S3 client for pre-signed URLs: SigV4, and the endpoint clients download from."""
    import boto3
    from botocore.config import Config

    endpoint = settings().artifact_download_endpoint or None
    client: S3Client = boto3.session.Session().client(
        "s3", region_name=settings().region, endpoint_url=endpoint, config=Config(signature_version="s3v4")
    )
    return client


def reset_clients() -> None:
    """Forget cached clients (the local stack calls this after it starts moto)."""
    for getter in (dynamodb, s3, stepfunctions, sqs, apigateway, s3_presigner, bedrock_runtime):
        getter.cache_clear()

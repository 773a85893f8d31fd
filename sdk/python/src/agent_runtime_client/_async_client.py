"""The asynchronous client: `Client`'s surface, awaited (`await client.runs.get(...)`, `async for`
over listings and streams). tests/sdk/test_surface.py holds the two to the same methods."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

import httpx
from httpx_sse import EventSource

from agent_runtime_client import _operations as ops
from agent_runtime_client._client import _target, check_download, keep
from agent_runtime_client._core import (
    DEFAULT_TIMEOUT,
    NO_WAIT_ENDPOINT,
    STREAM_TIMEOUT,
    WAIT_HOLD_SECONDS,
    AsyncRawResource,
    Backoff,
    Call,
    RetryPolicy,
    StreamState,
    add_usage,
    answer_applied,
    capture,
    default_headers,
    new_idempotency_key,
    settings,
    until_matcher,
    usage_bound,
)
from agent_runtime_client._pagination import AsyncPager
from agent_runtime_client.errors import APIConnectionError, APIError, ConflictError, WaitTimeout, error_for
from agent_runtime_client.models import (
    AnyEvent,
    Artifact,
    ArtifactWithDownload,
    Checkpoint,
    Delivery,
    Run,
    UsageSummary,
    WebhookEvent,
    WebhookSecret,
    WorkflowDetail,
    WorkflowSchemas,
    WorkflowSummary,
)
from agent_runtime_client.webhooks import verify as verify_webhook
from agent_runtime_client.webhooks import verify_payload as verify_webhook_payload

T = TypeVar("T")
E = TypeVar("E")


class AsyncRunStream(Generic[E]):
    """A run just created (`run`) and its events: `async for` each one, live, until the run ends."""

    def __init__(self, run: Run, events: AsyncIterator[E]) -> None:
        self.run = run
        self._events = events

    def __aiter__(self) -> AsyncIterator[E]:
        return self._events


class AsyncRawClient:
    """`AsyncClient.with_raw_response`: each resource's single-request operations, awaited, return a
    `RawResponse`."""

    def __init__(self, client: AsyncClient) -> None:
        self.runs = AsyncRawResource(client.runs)
        self.checkpoints = AsyncRawResource(client.checkpoints)
        self.artifacts = AsyncRawResource(client.artifacts)
        self.workflows = AsyncRawResource(client.workflows)
        self.webhooks = AsyncRawResource(client.webhooks)


class AsyncClient:
    """The async client of the agent-runtime v1 API; see `Client`. Use `async with`, or `aclose()`."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url, self.api_key = settings(base_url, api_key)
        self.retry = retry or RetryPolicy()
        self._wait_endpoint: bool | None = None  # does the server have GET /v1/runs/{id}/wait?
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=default_headers(self.api_key, headers),
            timeout=timeout,
            transport=transport,
        )
        self._downloads = httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=True)
        self.runs = AsyncRuns(self)
        self.checkpoints = AsyncCheckpoints(self)
        self.artifacts = AsyncArtifacts(self)
        self.workflows = AsyncWorkflows(self)
        self.webhooks = AsyncWebhooks(self)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._downloads.aclose()

    async def openapi(self, protocol: str = "v1") -> dict[str, Any]:
        document: dict[str, Any] = await self._request(ops.get_openapi(protocol))
        return document

    async def usage(
        self,
        from_: str | date | datetime,
        *,
        to: str | date | datetime | None = None,
        workflow: str | None = None,
    ) -> UsageSummary:
        """GET /v1/usage summed over every response; see `Client.usage`."""
        start, end = usage_bound(from_), usage_bound(to)
        assert start is not None
        summary = await self._request(ops.get_usage(start, end, workflow, None))
        while summary.truncated and summary.next_cursor:
            page = await self._request(ops.get_usage(start, end, workflow, summary.next_cursor))
            summary = add_usage(summary, page)
        return summary

    @property
    def with_raw_response(self) -> AsyncRawClient:
        """The same operations, each returning a `RawResponse`; see `Client.with_raw_response`."""
        return AsyncRawClient(self)

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def _request(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    call.method,
                    call.path,
                    params=call.request_params(),
                    json=call.json if call.method != "GET" else None,
                    headers=dict(call.headers),
                )
            except httpx.TransportError as error:
                if not self.retry.retries_error(error, call, attempt):
                    raise APIConnectionError(f"{call.method} {call.path}: {error!r}") from error
                await self._sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            if response.is_success:
                capture(response)
                return call.parse(response)
            if self.retry.retries_status(response.status_code, call, attempt):
                await self._sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                attempt += 1
                continue
            raise error_for(response, retried=attempt > 0)


class AsyncRuns:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    async def create(
        self,
        workflow: str,
        input: Any = None,
        *,
        version: str | None = None,
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        callback_url: str | None = None,
        schema_hash: str | None = None,
        idempotency_key: str | None = None,
    ) -> Run:
        call = ops.create_run(
            workflow,
            input,
            version=version,
            config=config,
            metadata=metadata,
            callback_url=callback_url,
            schema_hash=schema_hash,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return await self._c._request(call)

    async def get(self, run_id: str) -> Run:
        return await self._c._request(ops.get_run(run_id))

    async def create_and_stream(
        self,
        workflow: str,
        input: Any = None,
        *,
        version: str | None = None,
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        callback_url: str | None = None,
        schema_hash: str | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncRunStream[AnyEvent]:
        """Create a run and follow it; see `Client.runs.create_and_stream`."""
        run = await self.create(
            workflow,
            input,
            version=version,
            config=config,
            metadata=metadata,
            callback_url=callback_url,
            schema_hash=schema_hash,
            idempotency_key=idempotency_key,
        )
        return AsyncRunStream(run, self.stream(run.run_id))

    def list(
        self,
        *,
        status: str | None = None,
        workflow: str | None = None,
        metadata: Mapping[str, str] | None = None,
        page_size: int | None = None,
    ) -> AsyncPager[Run]:
        async def fetch(cursor: str | None) -> tuple[list[Run], str | None]:
            page = await self._c._request(ops.list_runs(status, workflow, page_size, cursor, metadata))
            return page.data, page.next_cursor

        return AsyncPager(fetch)

    async def cancel(self, run_id: str) -> Run:
        try:
            return await self._c._request(ops.cancel_run(run_id))
        except ConflictError as conflict:
            if conflict.retried and conflict.status_now == "cancelled":
                return await self.get(run_id)
            raise

    def events(self, run_id: str, *, after: int = 0, page_size: int | None = None) -> AsyncPager[AnyEvent]:
        async def fetch(cursor: str | None) -> tuple[list[AnyEvent], str | None]:
            page = await self._c._request(ops.run_events(run_id, cursor or after, page_size))
            return page.data, page.next_cursor

        return AsyncPager(fetch, stop_when_empty=True)

    async def stream(self, run_id: str, *, after: int = 0) -> AsyncIterator[AnyEvent]:
        """See `Client.runs.stream`: every event after `after` exactly once, until the run ends."""
        client = self._c
        state = StreamState(last_id=after)
        call: Call[None] = Call("GET", ops.events_path(run_id), lambda _: None)
        while not state.ended:
            try:
                async with client._http.stream(
                    "GET", call.path, headers=state.headers(), timeout=STREAM_TIMEOUT
                ) as response:
                    if not response.is_success:
                        await response.aread()
                        if not client.retry.retries_status(response.status_code, call, state.failures):
                            raise error_for(response, retried=state.failures > 0)
                        retry_after = response.headers.get("retry-after")
                        await client._sleep(client.retry.delay(state.failures, retry_after))
                        state.failures += 1
                        continue
                    async for sse in EventSource(response).aiter_sse():
                        event = state.accept(sse)
                        if event is not None:
                            yield event
            except httpx.TransportError as error:
                if not client.retry.retries_error(error, call, state.failures):
                    raise APIConnectionError(f"streaming run {run_id}: {error!r}") from error
                await client._sleep(client.retry.delay(state.failures))
                state.failures += 1
                continue
            if not state.ended:
                await client._sleep(state.retry_seconds)

    async def wait(
        self,
        run_id: str,
        *,
        until: str | Iterable[str] | Callable[[Run], bool] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the same surface as Client.runs.wait)
    ) -> Run:
        done = until_matcher(until)
        backoff = Backoff()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            run = await self._wait_once(run_id, remaining)
            if done(run):
                return run
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise WaitTimeout(f"run {run_id} is still {run.status} after {timeout} s", run)
            if self._c._wait_endpoint and run.status != "waiting_for_input":
                continue  # the server held the request as long as it could: ask again at once
            delay = backoff.next()  # polling, or waiting past a human: the endpoint would answer at once
            if remaining is not None:
                delay = min(delay, remaining)
            await self._c._sleep(delay)

    async def _wait_once(self, run_id: str, remaining: float | None) -> Run:
        """The run after at most one held request (GET .../wait, where the server has it) or one read."""
        if self._c._wait_endpoint is not False:
            hold = WAIT_HOLD_SECONDS if remaining is None else max(0.0, min(WAIT_HOLD_SECONDS, remaining))
            try:
                run = await self._c._request(ops.wait_run(run_id, hold))
            except APIError as error:
                if error.status not in NO_WAIT_ENDPOINT:
                    raise
                run = await self.get(run_id)  # the run exists (else this raises): the endpoint doesn't
                self._c._wait_endpoint = False
                return run
            self._c._wait_endpoint = True
            return run
        return await self.get(run_id)


class AsyncCheckpoints:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    def list(self, run_id: str) -> AsyncPager[Checkpoint]:
        async def fetch(cursor: str | None) -> tuple[list[Checkpoint], str | None]:
            page = await self._c._request(ops.list_checkpoints(run_id, cursor))
            return page.data, page.next_cursor

        return AsyncPager(fetch)

    async def get(self, run_id: str, checkpoint_id: str) -> Checkpoint:
        return await self._c._request(ops.get_checkpoint(run_id, checkpoint_id))

    def inbox(
        self, *, status: str = "pending", assignee: str | None = None, page_size: int | None = None
    ) -> AsyncPager[Checkpoint]:
        async def fetch(cursor: str | None) -> tuple[list[Checkpoint], str | None]:
            page = await self._c._request(ops.checkpoint_inbox(status, assignee, page_size, cursor))
            return page.data, page.next_cursor

        return AsyncPager(fetch)

    async def approve(self, run_id: str, checkpoint_id: str, *, comment: str | None = None) -> Checkpoint:
        return await self._answer(ops.approve_checkpoint(run_id, checkpoint_id, comment), "approve", comment)

    async def reject(self, run_id: str, checkpoint_id: str, *, reason: str | None = None) -> Checkpoint:
        return await self._answer(ops.reject_checkpoint(run_id, checkpoint_id, reason), "reject", reason)

    async def claim(self, run_id: str, checkpoint_id: str) -> Checkpoint:
        """Assign a pending checkpoint to this key's principal (ConflictError while someone else holds
        it, or once it is no longer pending)."""
        return await self._c._request(ops.assign_checkpoint(run_id, checkpoint_id, {"claim": True}))

    async def assign(self, run_id: str, checkpoint_id: str, assignee: str | None) -> Checkpoint:
        """Reassign a pending checkpoint to `assignee`; None unassigns it (ConflictError once it is no
        longer pending, or if it changed hands meanwhile)."""
        return await self._c._request(ops.assign_checkpoint(run_id, checkpoint_id, {"assignee": assignee}))

    async def submit(self, run_id: str, checkpoint_id: str, data: dict[str, Any]) -> Checkpoint:
        return await self._answer(ops.submit_checkpoint_input(run_id, checkpoint_id, data), "input", data)

    async def _answer(self, call: Call[Checkpoint], action: str, value: Any) -> Checkpoint:
        try:
            return await self._c._request(call)
        except ConflictError as conflict:
            decision, expected = ops.expected_resolution(action, value)
            if conflict.retried and answer_applied(conflict.checkpoint, decision, **expected):
                assert conflict.checkpoint is not None
                return conflict.checkpoint
            raise


class AsyncArtifacts:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    async def list(self, run_id: str) -> list[Artifact]:
        return (await self._c._request(ops.list_artifacts(run_id))).data

    async def get(self, artifact_id: str) -> ArtifactWithDownload:
        return await self._c._request(ops.get_artifact(artifact_id))

    @overload
    async def download(self, artifact_id: str, path: None = None, *, overwrite: bool = False) -> bytes: ...

    @overload
    async def download(
        self, artifact_id: str, path: str | os.PathLike[str], *, overwrite: bool = False
    ) -> Path: ...

    async def download(
        self, artifact_id: str, path: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> bytes | Path:
        """See `Client.artifacts.download`."""
        client = self._c
        attempt = 0
        while True:
            artifact = await self.get(artifact_id)
            target = _target(path, artifact, overwrite)
            try:
                return await _fetch(client._downloads, artifact, target, overwrite)
            except (httpx.TransportError, httpx.HTTPStatusError) as error:
                status = error.response.status_code if isinstance(error, httpx.HTTPStatusError) else None
                get: Call[None] = Call("GET", artifact.download_url, lambda _: None)
                retry = (
                    client.retry.retries_status(status, get, attempt)
                    if status is not None
                    else client.retry.retries_error(error, get, attempt)
                )
                if not retry:
                    if isinstance(error, httpx.HTTPStatusError):
                        raise error_for(error.response, retried=attempt > 0) from error
                    raise APIConnectionError(f"downloading artifact {artifact_id}: {error!r}") from error
                await client._sleep(client.retry.delay(attempt))
                attempt += 1


async def _fetch(
    http: httpx.AsyncClient, artifact: ArtifactWithDownload, target: Path | None, overwrite: bool
) -> bytes | Path:
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    async with http.stream("GET", artifact.download_url) as response:
        if not response.is_success:
            await response.aread()  # the error's body, for the typed error
        response.raise_for_status()
        if target is None:
            async for chunk in response.aiter_bytes():
                digest.update(chunk)
                chunks.append(chunk)
                size += len(chunk)
            check_download(artifact, size, digest.hexdigest(), None)
            return b"".join(chunks)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
            async for chunk in response.aiter_bytes():
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    check_download(artifact, size, digest.hexdigest(), Path(out.name))
    keep(out.name, target, overwrite)
    return target


class AsyncWorkflows:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    async def list(self) -> list[WorkflowSummary]:
        return (await self._c._request(ops.list_workflows())).data

    async def get(self, name: str) -> WorkflowDetail:
        return await self._c._request(ops.get_workflow(name))

    async def schemas(self, name: str, *, version: str | None = None) -> WorkflowSchemas:
        return await self._c._request(ops.get_workflow_schemas(name, version))


class AsyncWebhooks:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    async def rotate_secret(self) -> WebhookSecret:
        return await self._c._request(ops.rotate_webhook_secret())

    def deliveries(self, run_id: str, *, page_size: int | None = None) -> AsyncPager[Delivery]:
        async def fetch(cursor: str | None) -> tuple[list[Delivery], str | None]:
            page = await self._c._request(ops.list_deliveries(run_id, cursor, page_size))
            return page.data, page.next_cursor

        return AsyncPager(fetch)

    async def redeliver(self, delivery_id: str) -> Delivery:
        return await self._c._request(ops.redeliver(delivery_id))

    @staticmethod
    def verify(body: bytes | str, headers: Mapping[str, str], secret: str) -> WebhookEvent:
        """Check a delivery's signature (no I/O, so not awaited); see `webhooks.verify`."""
        return verify_webhook(body, headers, secret)

    @staticmethod
    def verify_payload(body: bytes | str, headers: Mapping[str, str], secret: str) -> Any:
        """Check a delivery's signature (no I/O, so not awaited); see `webhooks.verify_payload`."""
        return verify_webhook_payload(body, headers, secret)

"""The synchronous client. `AsyncClient` (_async_client.py) has the same surface, awaited."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

import httpx
from httpx_sse import EventSource

from agent_runtime_client import _operations as ops
from agent_runtime_client._core import (
    DEFAULT_TIMEOUT,
    NO_WAIT_ENDPOINT,
    STREAM_TIMEOUT,
    WAIT_HOLD_SECONDS,
    Backoff,
    Call,
    RawResource,
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
from agent_runtime_client._pagination import Pager
from agent_runtime_client.errors import (
    APIConnectionError,
    APIError,
    ConflictError,
    IntegrityError,
    WaitTimeout,
    error_for,
)
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


class RunStream(Generic[E]):
    """A run just created (`run`) and its events: iterate for each one, live, until the run ends."""

    def __init__(self, run: Run, events: Iterator[E]) -> None:
        self.run = run
        self._events = events

    def __iter__(self) -> Iterator[E]:
        return self._events


class RawClient:
    """`Client.with_raw_response`: each resource's single-request operations return a `RawResponse`."""

    def __init__(self, client: Client) -> None:
        self.runs = RawResource(client.runs)
        self.checkpoints = RawResource(client.checkpoints)
        self.artifacts = RawResource(client.artifacts)
        self.workflows = RawResource(client.workflows)
        self.webhooks = RawResource(client.webhooks)


class Client:
    """A client of the agent-runtime v1 API.

    `base_url` and `api_key` default to AGENT_RUNTIME_URL and AGENT_RUNTIME_API_KEY (and then to the
    local stack, http://127.0.0.1:9000, without a key). Requests are retried as `retry` allows
    (`RetryPolicy`). Use it as a context manager, or call `close()`."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url, self.api_key = settings(base_url, api_key)
        self.retry = retry or RetryPolicy()
        self._wait_endpoint: bool | None = None  # does the server have GET /v1/runs/{id}/wait?
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=default_headers(self.api_key, headers),
            timeout=timeout,
            transport=transport,
        )
        # Pre-signed download URLs carry their own authorization: never send the API key there.
        self._downloads = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)
        self.runs = Runs(self)
        self.checkpoints = Checkpoints(self)
        self.artifacts = Artifacts(self)
        self.workflows = Workflows(self)
        self.webhooks = Webhooks(self)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self._downloads.close()

    def openapi(self, protocol: str = "v1") -> dict[str, Any]:
        """The OpenAPI document the server serves: `v1` (this API) or `acp` (ACP 0.2.3)."""
        document: dict[str, Any] = self._request(ops.get_openapi(protocol))
        return document

    def usage(
        self,
        from_: str | date | datetime,
        *,
        to: str | date | datetime | None = None,
        workflow: str | None = None,
    ) -> UsageSummary:
        """GET /v1/usage: the usage and estimated cost of the tenant's runs created in [`from_`, `to`)
        (`to` now by default), of one workflow if given, summed over every response the server needs
        (it sums at most 5,000 runs in one)."""
        start, end = usage_bound(from_), usage_bound(to)
        assert start is not None
        summary = self._request(ops.get_usage(start, end, workflow, None))
        while summary.truncated and summary.next_cursor:
            summary = add_usage(
                summary, self._request(ops.get_usage(start, end, workflow, summary.next_cursor))
            )
        return summary

    @property
    def with_raw_response(self) -> RawClient:
        """The same operations, each returning a `RawResponse` (status, headers and the parsed value):
        `client.with_raw_response.runs.get(run_id).headers["x-request-id"]`."""
        return RawClient(self)

    # -- sending -----------------------------------------------------------------------------------
    def _sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def _request(self, call: Call[T]) -> T:
        """Send the call, retrying as the policy allows; its parsed value, or a typed error."""
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method,
                    call.path,
                    params=call.request_params(),
                    json=call.json if call.method != "GET" else None,
                    headers=dict(call.headers),
                )
            except httpx.TransportError as error:
                if not self.retry.retries_error(error, call, attempt):
                    raise APIConnectionError(f"{call.method} {call.path}: {error!r}") from error
                self._sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            if response.is_success:
                capture(response)
                return call.parse(response)
            if self.retry.retries_status(response.status_code, call, attempt):
                self._sleep(self.retry.delay(attempt, response.headers.get("retry-after")))
                attempt += 1
                continue
            raise error_for(response, retried=attempt > 0)


class Runs:
    def __init__(self, client: Client) -> None:
        self._c = client

    def create(
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
        """Create a run of `workflow` (its latest version unless `version`). The request always carries
        an Idempotency-Key (`idempotency_key`, or a new one), the same on every retry: a retry after a
        lost response returns the run the first attempt created, never a second run."""
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
        return self._c._request(call)

    def get(self, run_id: str) -> Run:
        return self._c._request(ops.get_run(run_id))

    def create_and_stream(
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
    ) -> RunStream[AnyEvent]:
        """Create a run (as `create`) and follow it: iterate the result for every event, live, until the
        run ends; its `run` is the run as created."""
        run = self.create(
            workflow,
            input,
            version=version,
            config=config,
            metadata=metadata,
            callback_url=callback_url,
            schema_hash=schema_hash,
            idempotency_key=idempotency_key,
        )
        return RunStream(run, self.stream(run.run_id))

    def list(
        self,
        *,
        status: str | None = None,
        workflow: str | None = None,
        metadata: Mapping[str, str] | None = None,
        page_size: int | None = None,
    ) -> Pager[Run]:
        """The tenant's runs, newest first, across pages; `metadata` keeps those whose top-level
        metadata has every one of these values."""

        def fetch(cursor: str | None) -> tuple[list[Run], str | None]:
            page = self._c._request(ops.list_runs(status, workflow, page_size, cursor, metadata))
            return page.data, page.next_cursor

        return Pager(fetch)

    def cancel(self, run_id: str) -> Run:
        """Cancel the run (and its pending checkpoint). A ConflictError if it already ended."""
        try:
            return self._c._request(ops.cancel_run(run_id))
        except ConflictError as conflict:
            if conflict.retried and conflict.status_now == "cancelled":
                return self.get(run_id)  # the first attempt cancelled it; its response was lost
            raise

    def events(self, run_id: str, *, after: int = 0, page_size: int | None = None) -> Pager[AnyEvent]:
        """The run's events so far (after `after`), as JSON pages. To follow a run live, `stream`."""

        def fetch(cursor: str | None) -> tuple[list[AnyEvent], str | None]:
            page = self._c._request(ops.run_events(run_id, cursor or after, page_size))
            return page.data, page.next_cursor

        return Pager(fetch, stop_when_empty=True)

    def stream(self, run_id: str, *, after: int = 0) -> Iterator[AnyEvent]:
        """Every event of the run after `after`, each exactly once, live, until the run ends.

        The server sends events in windows (SSE responses of up to ~20 s); this reconnects after each
        window, and after a dropped connection or a retryable error, with Last-Event-ID = the last
        event delivered, and drops any event it already delivered."""
        client = self._c
        state = StreamState(last_id=after)
        call: Call[None] = Call("GET", ops.events_path(run_id), lambda _: None)
        while not state.ended:
            try:
                with client._http.stream(
                    "GET", call.path, headers=state.headers(), timeout=STREAM_TIMEOUT
                ) as response:
                    if not response.is_success:
                        response.read()
                        if not client.retry.retries_status(response.status_code, call, state.failures):
                            raise error_for(response, retried=state.failures > 0)
                        retry_after = response.headers.get("retry-after")
                        client._sleep(client.retry.delay(state.failures, retry_after))
                        state.failures += 1
                        continue
                    for sse in EventSource(response).iter_sse():
                        event = state.accept(sse)
                        if event is not None:
                            yield event
            except httpx.TransportError as error:
                if not client.retry.retries_error(error, call, state.failures):
                    raise APIConnectionError(f"streaming run {run_id}: {error!r}") from error
                client._sleep(client.retry.delay(state.failures))
                state.failures += 1
                continue
            if not state.ended:
                client._sleep(state.retry_seconds)  # the window closed: reconnect as the server asked

    def wait(
        self,
        run_id: str,
        *,
        until: str | Iterable[str] | Callable[[Run], bool] | None = None,
        timeout: float | None = None,
    ) -> Run:
        """The run once it is in `until` (a status, several, or a predicate; any terminal status by
        default) or terminal; WaitTimeout after `timeout` seconds. Uses GET /v1/runs/{id}/wait, which
        the server holds until the run ends or needs a human, and polls GET /v1/runs/{id} with backoff
        where the server has no such endpoint (or while the run waits for a human)."""
        done = until_matcher(until)
        backoff = Backoff()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            run = self._wait_once(run_id, remaining)
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
            self._c._sleep(delay)

    def _wait_once(self, run_id: str, remaining: float | None) -> Run:
        """The run after at most one held request (GET .../wait, where the server has it) or one read."""
        if self._c._wait_endpoint is not False:
            hold = WAIT_HOLD_SECONDS if remaining is None else max(0.0, min(WAIT_HOLD_SECONDS, remaining))
            try:
                run = self._c._request(ops.wait_run(run_id, hold))
            except APIError as error:
                if error.status not in NO_WAIT_ENDPOINT:
                    raise
                run = self.get(run_id)  # the run exists (else this raises): the endpoint doesn't
                self._c._wait_endpoint = False
                return run
            self._c._wait_endpoint = True
            return run
        return self.get(run_id)


class Checkpoints:
    def __init__(self, client: Client) -> None:
        self._c = client

    def list(self, run_id: str) -> Pager[Checkpoint]:
        """Every checkpoint the run raised, oldest first."""

        def fetch(cursor: str | None) -> tuple[list[Checkpoint], str | None]:
            page = self._c._request(ops.list_checkpoints(run_id, cursor))
            return page.data, page.next_cursor

        return Pager(fetch)

    def get(self, run_id: str, checkpoint_id: str) -> Checkpoint:
        return self._c._request(ops.get_checkpoint(run_id, checkpoint_id))

    def inbox(
        self, *, status: str = "pending", assignee: str | None = None, page_size: int | None = None
    ) -> Pager[Checkpoint]:
        """Checkpoints across the tenant's runs in one status (pending by default), oldest first."""

        def fetch(cursor: str | None) -> tuple[list[Checkpoint], str | None]:
            page = self._c._request(ops.checkpoint_inbox(status, assignee, page_size, cursor))
            return page.data, page.next_cursor

        return Pager(fetch)

    def approve(self, run_id: str, checkpoint_id: str, *, comment: str | None = None) -> Checkpoint:
        return self._answer(ops.approve_checkpoint(run_id, checkpoint_id, comment), "approve", comment)

    def reject(self, run_id: str, checkpoint_id: str, *, reason: str | None = None) -> Checkpoint:
        return self._answer(ops.reject_checkpoint(run_id, checkpoint_id, reason), "reject", reason)

    def claim(self, run_id: str, checkpoint_id: str) -> Checkpoint:
        """Assign a pending checkpoint to this key's principal (ConflictError while someone else holds
        it, or once it is no longer pending)."""
        return self._c._request(ops.assign_checkpoint(run_id, checkpoint_id, {"claim": True}))

    def assign(self, run_id: str, checkpoint_id: str, assignee: str | None) -> Checkpoint:
        """Reassign a pending checkpoint to `assignee`; None unassigns it (ConflictError once it is no
        longer pending, or if it changed hands meanwhile)."""
        return self._c._request(ops.assign_checkpoint(run_id, checkpoint_id, {"assignee": assignee}))

    def submit(self, run_id: str, checkpoint_id: str, data: dict[str, Any]) -> Checkpoint:
        """Answer with `data` matching the checkpoint's response_schema: an input checkpoint's input, or
        an approval checkpoint's decision `{"approved": bool, "comment"?, "reason"?}`."""
        return self._answer(ops.submit_checkpoint_input(run_id, checkpoint_id, data), "input", data)

    def _answer(self, call: Call[Checkpoint], action: str, value: Any) -> Checkpoint:
        try:
            return self._c._request(call)
        except ConflictError as conflict:
            # A retry that finds exactly this answer applied: the first attempt's, whose response was lost.
            decision, expected = ops.expected_resolution(action, value)
            if conflict.retried and answer_applied(conflict.checkpoint, decision, **expected):
                assert conflict.checkpoint is not None
                return conflict.checkpoint
            raise


class Artifacts:
    def __init__(self, client: Client) -> None:
        self._c = client

    def list(self, run_id: str) -> list[Artifact]:
        return self._c._request(ops.list_artifacts(run_id)).data

    def get(self, artifact_id: str) -> ArtifactWithDownload:
        """The artifact with a fresh pre-signed `download_url`."""
        return self._c._request(ops.get_artifact(artifact_id))

    @overload
    def download(self, artifact_id: str, path: None = None, *, overwrite: bool = False) -> bytes: ...

    @overload
    def download(
        self, artifact_id: str, path: str | os.PathLike[str], *, overwrite: bool = False
    ) -> Path: ...

    def download(
        self, artifact_id: str, path: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> bytes | Path:
        """The artifact's content, checked against its size and SHA-256: as bytes, or written to `path`
        (a directory gets the artifact's name) and that path returned. An existing file is a
        FileExistsError unless `overwrite`; the download's own HTTP errors are typed like the API's
        (a 404 is a NotFoundError)."""
        client = self._c
        attempt = 0
        while True:
            artifact = self.get(artifact_id)  # a fresh URL on every attempt
            target = _target(path, artifact, overwrite)
            try:
                return _fetch(client._downloads, artifact, target, overwrite)
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
                client._sleep(client.retry.delay(attempt))
                attempt += 1


def _target(path: str | os.PathLike[str] | None, artifact: Artifact, overwrite: bool) -> Path | None:
    if path is None:
        return None
    target = Path(path)
    target = target / Path(artifact.name).name if target.is_dir() else target
    if target.exists() and not overwrite:
        raise FileExistsError(errno.EEXIST, "exists (pass overwrite=True to replace it)", str(target))
    return target


def keep(partial: str, target: Path, overwrite: bool) -> None:
    """Move a checked download into place; without `overwrite`, a file that appeared meanwhile wins
    (a hard link fails where a rename would replace)."""
    if overwrite:
        os.replace(partial, target)
        return
    try:
        os.link(partial, target)
    finally:
        os.unlink(partial)


def _fetch(
    http: httpx.Client, artifact: ArtifactWithDownload, target: Path | None, overwrite: bool
) -> bytes | Path:
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    with http.stream("GET", artifact.download_url) as response:
        if not response.is_success:
            response.read()  # the error's body, for the typed error
        response.raise_for_status()
        if target is None:
            for chunk in response.iter_bytes():
                digest.update(chunk)
                chunks.append(chunk)
                size += len(chunk)
            check_download(artifact, size, digest.hexdigest(), None)
            return b"".join(chunks)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
            for chunk in response.iter_bytes():
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
    check_download(artifact, size, digest.hexdigest(), Path(out.name))
    keep(out.name, target, overwrite)
    return target


def check_download(artifact: Artifact, size: int, sha256: str, partial: Path | None) -> None:
    if size != artifact.size or sha256 != artifact.sha256:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise IntegrityError(
            f"artifact {artifact.artifact_id}: got {size} bytes with SHA-256 {sha256}, "
            f"expected {artifact.size} bytes with {artifact.sha256}"
        )


class Workflows:
    def __init__(self, client: Client) -> None:
        self._c = client

    def list(self) -> list[WorkflowSummary]:
        return self._c._request(ops.list_workflows()).data

    def get(self, name: str) -> WorkflowDetail:
        return self._c._request(ops.get_workflow(name))

    def schemas(self, name: str, *, version: str | None = None) -> WorkflowSchemas:
        return self._c._request(ops.get_workflow_schemas(name, version))


class Webhooks:
    def __init__(self, client: Client) -> None:
        self._c = client

    def rotate_secret(self) -> WebhookSecret:
        """A new signing secret (shown only in this response); the previous one signs too for 24 h."""
        return self._c._request(ops.rotate_webhook_secret())

    def deliveries(self, run_id: str, *, page_size: int | None = None) -> Pager[Delivery]:
        def fetch(cursor: str | None) -> tuple[list[Delivery], str | None]:
            page = self._c._request(ops.list_deliveries(run_id, cursor, page_size))
            return page.data, page.next_cursor

        return Pager(fetch)

    def redeliver(self, delivery_id: str) -> Delivery:
        return self._c._request(ops.redeliver(delivery_id))

    @staticmethod
    def verify(body: bytes | str, headers: Mapping[str, str], secret: str) -> WebhookEvent:
        """Check a delivery's Standard Webhooks signature and timestamp; its body as a WebhookEvent."""
        return verify_webhook(body, headers, secret)

    @staticmethod
    def verify_payload(body: bytes | str, headers: Mapping[str, str], secret: str) -> Any:
        """Check a delivery's signature and timestamp; its body as parsed JSON, whatever door made it."""
        return verify_webhook_payload(body, headers, secret)

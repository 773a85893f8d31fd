"""Settings read from the environment the function (or the local stack) runs in."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    table_name: str
    bucket_name: str
    state_machine_arn: str
    express_state_machine_arn: str  # runs that can't wait for a human (engine/orchestration.py)
    region: str
    # Runs' JSON values above this many bytes are stored in S3 and referenced (claim check).
    inline_payload_limit: int
    # Request bodies above this are refused with 413 (Lambda's synchronous payload limit is 6 MB).
    max_body_bytes: int
    sse_window_seconds: float
    # A window that has events closes at most this long after its first one (responses are buffered).
    sse_hold_seconds: float
    sse_poll_seconds: float
    # A step's buffered events are committed at the latest this long after the oldest was emitted
    # (engine/event_buffer.py): a streamed token's first delay, against a commit per period.
    event_flush_seconds: float
    sse_retry_ms: int
    idempotency_ttl_seconds: int
    workflow_modules: tuple[str, ...]
    artifact_url_ttl_seconds: int
    # Days the bucket keeps artifacts (its lifecycle rule), or None: kept until the run is deleted.
    artifact_retention_days: int | None
    # Where pre-signed download URLs point; empty means S3's own endpoint (the cloud).
    artifact_download_endpoint: str
    # Webhooks (agent_runtime/engine/webhooks): the queues, the retry policy and the SSRF guard's exceptions.
    webhook_queue_url: str
    webhook_dlq_url: str
    webhook_retry_window_seconds: float
    webhook_backoff_base_seconds: float
    webhook_backoff_cap_seconds: float
    webhook_connect_timeout_seconds: float
    webhook_read_timeout_seconds: float
    # A delivery stops after this many attempts even within its retry window; an endpoint that failed
    # this many attempts in a row gets none for webhook_breaker_seconds (engine/webhooks/breaker.py).
    webhook_max_attempts: int
    webhook_breaker_failures: int
    webhook_breaker_seconds: float
    # Hosts or IPs that may be called even though they resolve to private/loopback addresses.
    webhook_allowed_hosts: tuple[str, ...]
    # Plain http to loopback addresses (the local stack only; the cloud requires https).
    webhook_allow_http_loopback: bool
    # Loopback ports never called (the local stack's own endpoints; empty in the cloud).
    webhook_denied_local_ports: frozenset[int]
    # The reconciler (engine/reconcile.py): a run untouched this long without a running execution is
    # re-driven, at most this many times; a pending delivery this long past due is enqueued again.
    reconcile_grace_seconds: float
    reconcile_max_redrives: int
    reconcile_delivery_grace_seconds: float
    # The stack's API Gateway usage plan (its UsagePlanId output): issuing a tenant's key also puts the
    # tenant's usage key in it (engine/api_keys.py, docs/decisions.md). Empty: no usage plan (locally).
    usage_plan_id: str


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@lru_cache(maxsize=1)
def settings() -> Settings:
    modules = os.environ.get("AGENT_RUNTIME_WORKFLOW_MODULES", "")
    return Settings(
        table_name=os.environ.get("TABLE_NAME", "agent-runtime"),
        bucket_name=os.environ.get("BUCKET_NAME", "agent-runtime-artifacts"),
        state_machine_arn=os.environ.get("STATE_MACHINE_ARN", ""),
        express_state_machine_arn=os.environ.get("EXPRESS_STATE_MACHINE_ARN", ""),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        inline_payload_limit=int(os.environ.get("INLINE_PAYLOAD_LIMIT", 64 * 1024)),
        # With a run's output (at most 2 MiB) a run stays within one Lambda response (6 MB).
        max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", 2 * 1024 * 1024)),
        sse_window_seconds=_float("SSE_WINDOW_SECONDS", 20.0),
        # Live tokens (bench/reports/stream_latency.md): a window holds its first frame at most 0.1 s and
        # polls every 0.05 s while it finds events; docs/cost.md prices a streamed minute at these values.
        sse_hold_seconds=_float("SSE_HOLD_SECONDS", 0.1),
        sse_poll_seconds=_float("SSE_POLL_SECONDS", 0.05),
        event_flush_seconds=_float("EVENT_FLUSH_SECONDS", 0.1),
        sse_retry_ms=int(os.environ.get("SSE_RETRY_MS", 1000)),
        idempotency_ttl_seconds=int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", 24 * 3600)),
        workflow_modules=tuple(m.strip() for m in modules.split(",") if m.strip()),
        artifact_url_ttl_seconds=int(os.environ.get("ARTIFACT_URL_TTL_SECONDS", 15 * 60)),
        artifact_retention_days=int(os.environ["ARTIFACT_RETENTION_DAYS"])
        if os.environ.get("ARTIFACT_RETENTION_DAYS")
        else None,
        artifact_download_endpoint=os.environ.get("ARTIFACT_DOWNLOAD_ENDPOINT", ""),
        webhook_queue_url=os.environ.get("WEBHOOK_QUEUE_URL", ""),
        webhook_dlq_url=os.environ.get("WEBHOOK_DLQ_URL", ""),
        webhook_retry_window_seconds=_float("WEBHOOK_RETRY_WINDOW_SECONDS", 24 * 3600),
        webhook_backoff_base_seconds=_float("WEBHOOK_BACKOFF_BASE_SECONDS", 5.0),
        webhook_backoff_cap_seconds=_float("WEBHOOK_BACKOFF_CAP_SECONDS", 3600.0),
        webhook_connect_timeout_seconds=_float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", 3.0),
        webhook_read_timeout_seconds=_float("WEBHOOK_READ_TIMEOUT_SECONDS", 10.0),
        webhook_max_attempts=int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", 30)),
        webhook_breaker_failures=int(os.environ.get("WEBHOOK_BREAKER_FAILURES", 10)),
        webhook_breaker_seconds=_float("WEBHOOK_BREAKER_SECONDS", 60.0),
        webhook_allowed_hosts=tuple(
            h.strip().lower() for h in os.environ.get("WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
        ),
        webhook_allow_http_loopback=os.environ.get("WEBHOOK_ALLOW_HTTP_LOOPBACK", "").lower()
        in {"1", "true", "yes"},
        webhook_denied_local_ports=frozenset(
            int(p) for p in os.environ.get("WEBHOOK_DENIED_LOCAL_PORTS", "").split(",") if p.strip()
        ),
        reconcile_grace_seconds=_float("RECONCILE_GRACE_SECONDS", 30.0),
        reconcile_max_redrives=int(os.environ.get("RECONCILE_MAX_REDRIVES", 3)),
        reconcile_delivery_grace_seconds=_float("RECONCILE_DELIVERY_GRACE_SECONDS", 900.0),
        usage_plan_id=os.environ.get("USAGE_PLAN_ID", ""),
    )

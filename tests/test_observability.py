"""Structured logs (bound fields, JSON formatter) and EMF metrics, without AWS."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from agent_runtime import observability as obs

log = logging.getLogger("agent_runtime.tests.observability")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("METRICS_DISABLED", "METRICS_NAMESPACE", "SERVICE_NAME"):
        monkeypatch.delenv(name, raising=False)
    obs.clear()
    yield
    obs.clear()


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The local stack's logging on a buffer; the root logger is restored afterwards."""
    root = logging.getLogger()
    level = root.level
    stream = io.StringIO()
    handler = obs.configure_local_logging("DEBUG", stream=stream)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _record(caplog: pytest.LogCaptureFixture, message: str) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if r.getMessage() == message]
    return record


# -- log context -------------------------------------------------------------------------------------


def test_bound_fields_are_on_records_and_cleared_between_invocations(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with obs.invocation(function="create_run", tenant="t-1"):
        obs.bind(run_id="r-1")
        log.info("first")
    with obs.invocation(function="get_run"):
        log.info("second")
    log.info("outside")

    first = _record(caplog, "first")
    assert (first.function, first.tenant, first.run_id) == ("create_run", "t-1", "r-1")  # type: ignore[attr-defined]
    second = _record(caplog, "second")
    assert second.function == "get_run"  # type: ignore[attr-defined]
    assert not hasattr(second, "tenant") and not hasattr(second, "run_id")
    outside = _record(caplog, "outside")
    assert not hasattr(outside, "function")
    assert obs.bound() == {}


def test_an_invocation_starts_empty_and_restores_what_was_bound() -> None:
    obs.bind(run_id="stale")  # e.g. left behind by a previous invocation on a warm container
    with obs.invocation(function="f"):
        assert obs.bound() == {"function": "f"}
        with obs.scoped(run_id="r-2", tenant="t"):
            assert obs.bound() == {"function": "f", "run_id": "r-2", "tenant": "t"}
        assert obs.bound() == {"function": "f"}
        obs.bind(tenant="t", run_id="r")
        obs.unbind("run_id")
        obs.bind(tenant=None)  # None removes
        assert obs.bound() == {"function": "f"}
    assert obs.bound() == {"run_id": "stale"}


def test_instrument_binds_the_function_for_each_call() -> None:
    seen: list[dict[str, obs.FieldValue]] = []

    @obs.instrument("webhook_delivery")
    def handler(event: dict[str, str], context: object) -> str:
        seen.append(obs.bound())
        return event["x"]

    assert handler({"x": "ok"}, None) == "ok"
    assert handler.__name__ == "handler"
    assert seen == [{"function": "webhook_delivery"}]
    assert obs.bound() == {}


def test_names_lambda_drops_or_logging_owns_are_refused() -> None:
    # Lambda's runtime overwrites record.tenant_id (its tenant-isolation tenant) and prints requestId.
    for name in ("tenant_id", "aws_request_id", "message", "levelname", "timestamp"):
        with pytest.raises(ValueError, match=name):
            obs.bind(**{name: "x"})
    assert obs.bound() == {}


def test_fields_reach_child_logger_records_and_other_threads_do_not_see_them(
    json_logs: io.StringIO,
) -> None:
    child = logging.getLogger("agent_runtime.runtime.something")  # propagates to the root's handler
    with obs.invocation(function="step_worker", tenant="t-9"):
        child.warning("from a child")
        thread = threading.Thread(target=lambda: child.warning("from a thread"))
        thread.start()
        thread.join()
    by_message = {line["message"]: line for line in _lines(json_logs)}
    assert by_message["from a child"]["function"] == "step_worker"
    assert by_message["from a child"]["tenant"] == "t-9"
    assert "function" not in by_message["from a thread"]


# -- JSON formatter ----------------------------------------------------------------------------------


def test_json_formatter_has_standard_keys_bound_fields_and_extra(json_logs: io.StringIO) -> None:
    with obs.invocation(function="create_run", run_id="r-1"):
        log.info("run %s created", "r-1", extra={"workflow": "demo", "attempt": 2, "run_id": "from-extra"})
    (line,) = _lines(json_logs)
    assert line["message"] == "run r-1 created"
    assert line["level"] == "INFO"
    assert line["logger"] == "agent_runtime.tests.observability"
    assert line["timestamp"].endswith("Z") and len(line["timestamp"]) == len("2024-01-01T00:00:00.000Z")
    assert line["function"] == "create_run"
    assert (line["workflow"], line["attempt"]) == ("demo", 2)
    assert line["run_id"] == "from-extra"  # an explicit extra key wins over the bound field
    for internal in ("args", "msg", "levelno", "pathname", "exc_info", "created"):
        assert internal not in line


def test_json_formatter_writes_exceptions_and_unencodable_values(json_logs: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed", extra={"when": time})  # a module: not JSON, written as its str()
    (line,) = _lines(json_logs)
    assert line["level"] == "ERROR"
    # Powertools Logger's exception keys.
    assert line["exception_name"] == "RuntimeError"
    assert line["exception"].endswith("RuntimeError: boom") and "raise RuntimeError" in line["exception"]
    assert line["stack_trace"]["type"] == "RuntimeError" and line["stack_trace"]["frames"]
    assert line["when"].startswith("<module 'time'")


def test_configure_local_logging_replaces_its_own_handler_only(json_logs: io.StringIO) -> None:
    root = logging.getLogger()
    others = [h for h in root.handlers if not isinstance(h, obs._LocalHandler)]
    second = io.StringIO()
    handler = obs.configure_local_logging(logging.WARNING, stream=second)
    try:
        log.warning("once")
        log.info("below the level")
        assert json_logs.getvalue() == ""
        # Only this test's logger: the session's local cloud may log from its own threads meanwhile.
        assert [line["message"] for line in _lines(second) if line["logger"] == log.name] == ["once"]
        assert [h for h in root.handlers if not isinstance(h, obs._LocalHandler)] == others
        assert root.level == logging.WARNING
    finally:
        root.removeHandler(handler)


# -- metrics -----------------------------------------------------------------------------------------


def _documents(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _assert_valid_emf(document: dict[str, Any]) -> None:
    aws = document["_aws"]
    assert isinstance(aws["Timestamp"], int)
    (directive,) = aws["CloudWatchMetrics"]
    assert isinstance(directive["Namespace"], str) and directive["Namespace"]
    for dimension_set in directive["Dimensions"]:
        for name in dimension_set:
            assert isinstance(document[name], str), name
    for definition in directive["Metrics"]:
        value = document[definition["Name"]]  # Powertools writes a value as a list of samples
        assert all(isinstance(v, int | float) for v in (value if isinstance(value, list) else [value]))


def test_metric_prints_one_valid_emf_document(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_NAME", "agent-runtime-dev")
    before = int(time.time() * 1000)
    with obs.invocation(function="create_run", tenant="t-1", run_id="r-1"):
        obs.metric(obs.RUNS_ENDED, 1, workflow="demo", status="succeeded")
    after = int(time.time() * 1000)

    (document,) = _documents(capsys)
    _assert_valid_emf(document)
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "AgentRuntime"
    assert directive["Metrics"] == [{"Name": "RunsEnded", "Unit": "Count"}]
    assert directive["Dimensions"] == [["service", "workflow", "status"]]
    assert before <= document["_aws"]["Timestamp"] <= after
    assert document["RunsEnded"] == [1]
    assert (document["service"], document["workflow"], document["status"]) == (
        "agent-runtime-dev",
        "demo",
        "succeeded",
    )
    # Ids are properties for Logs Insights, never dimensions.
    assert (document["tenant"], document["run_id"], document["function"]) == ("t-1", "r-1", "create_run")


def test_metric_units_namespace_and_properties(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_NAMESPACE", "Custom/Ns")
    obs.metric(obs.CHECKPOINT_WAIT_SECONDS, 12.5, workflow="demo", outcome="expired")
    obs.metric("CacheHits", 3, properties={"checkpoint": "c-1", "workflow": "ignored"}, workflow="demo")
    wait, hits = _documents(capsys)
    for document in (wait, hits):
        _assert_valid_emf(document)
        assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Custom/Ns"
        assert "service" not in document  # SERVICE_NAME unset
    assert wait["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "CheckpointWaitSeconds", "Unit": "Seconds"}
    ]
    assert wait["CheckpointWaitSeconds"] == [12.5]
    assert hits["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [{"Name": "CacheHits", "Unit": "Count"}]
    assert hits["checkpoint"] == "c-1"
    assert hits["workflow"] == "demo"  # the dimension wins over a property of the same name


def test_disabled_metrics_print_nothing_but_are_captured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_DISABLED", "true")
    with obs.capture() as emitted:
        obs.metric(obs.WEBHOOK_ATTEMPTS, 1, outcome="retry")
    assert capsys.readouterr().out == ""
    assert [(m.name, m.value, m.unit, dict(m.dimensions)) for m in emitted] == [
        ("WebhookAttempts", 1, "Count", {"outcome": "retry"})
    ]


def test_capture_sees_other_threads_and_stops_at_the_end_of_the_block(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVICE_NAME", "svc")
    with obs.capture() as outer:
        with obs.capture() as inner, obs.invocation(tenant="t-2"):
            obs.metric(obs.RUNS_CREATED, 1, workflow="demo")
        thread = threading.Thread(target=lambda: obs.metric(obs.RUNS_CREATED, 1, workflow="other"))
        thread.start()
        thread.join()
    obs.metric(obs.RUNS_CREATED, 1, workflow="after")

    assert [m.dimensions["workflow"] for m in inner] == ["demo"]
    assert inner[0].properties == {"tenant": "t-2"}
    assert inner[0].dimensions == {"service": "svc", "workflow": "demo"}
    assert inner[0].namespace == "AgentRuntime"
    assert [m.dimensions["workflow"] for m in outer] == ["demo", "other"]
    assert len(_documents(capsys)) == 3  # capturing doesn't stop printing


@pytest.mark.parametrize(
    ("name", "value", "unit", "dimensions", "error"),
    [
        ("Anything", 1, None, {"run_id": "r-1"}, "run_id"),
        ("Anything", 1, None, {"tenant": "t-1"}, "tenant"),
        ("Anything", 1, None, {"executionArn": "arn"}, "executionArn"),
        ("Anything", 1, None, {"service": "x"}, "service"),
        ("Anything", 1, None, {"workflow": ""}, "workflow"),
        ("Anything", float("nan"), None, {}, "finite"),
        ("Anything", True, None, {}, "finite"),
        ("Anything", 1, "Parsecs", {}, "unit"),
        (obs.RUNS_CREATED, 1, None, {}, "dimensions"),
        (obs.RUNS_ENDED, 1, None, {"workflow": "demo"}, "dimensions"),
        (obs.CHECKPOINT_WAIT_SECONDS, 1, "Milliseconds", {"workflow": "d", "outcome": "resolved"}, "Seconds"),
        (obs.CHECKPOINT_WAIT_SECONDS, 1, None, {"workflow": "d", "outcome": "approved"}, "outcome"),
        (obs.WEBHOOK_ATTEMPTS, 1, None, {"outcome": "succeeded"}, "outcome"),
    ],
)
def test_malformed_or_high_cardinality_metrics_are_refused(
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: float,
    unit: Any,
    dimensions: dict[str, str],
    error: str,
) -> None:
    with obs.capture() as emitted, pytest.raises(ValueError, match=error):
        obs.metric(name, value, unit, properties=None, **dimensions)
    assert emitted == []
    assert capsys.readouterr().out == ""


def test_business_metrics_declare_their_dimensions() -> None:
    specs = obs.BUSINESS_METRICS
    assert specs[obs.RUNS_CREATED].dimensions == ("workflow",)
    assert specs[obs.RUNS_ENDED].dimensions == ("workflow", "status")
    assert specs[obs.CHECKPOINT_WAIT_SECONDS].unit == "Seconds"
    assert specs[obs.CHECKPOINT_WAIT_SECONDS].values["outcome"] == {"resolved", "expired", "cancelled"}
    assert specs[obs.WEBHOOK_ATTEMPTS].values["outcome"] == {"delivered", "retry", "failed"}


# -- Powertools ----------------------------------------------------------------------------------------


def test_logs_and_metrics_are_powertools_and_tracer_is_never_imported() -> None:
    """Issue 21 #16: Powertools Logger's formatter and keys, and its EMF serializer, not our own; Tracer
    is never made, so the X-Ray SDK (about 200 ms of a cold start) is never imported (Powertools' package
    imports its tracer module, which loads the SDK lazily)."""
    import subprocess
    import sys

    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    assert isinstance(obs.JsonFormatter(), LambdaPowertoolsFormatter)
    with obs.invocation(function="f"):
        assert LambdaPowertoolsFormatter().thread_safe_get_current_keys() == {"function": "f"}
    probe = (
        "import sys, agent_runtime.observability, functions.api.create_run, functions.workers.step_worker\n"
        "print(sorted(m for m in sys.modules if m.startswith('aws_xray_sdk')))\n"
        "print('aws_lambda_powertools.metrics.base' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert shown.split("\n")[:2] == ["[]", "True"]

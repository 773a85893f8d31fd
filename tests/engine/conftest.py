"""The fast engine tier: the engine over moto's DynamoDB, S3 and SQS in this process (no local stack,
no state machine, no workers), with a recording fake orchestrator in place of Step Functions.

The orchestrator is our own interface (engine/orchestration.py), so a fake of it is fair: it records
what the engine asked of Step Functions, and a test plays the state machine's part by calling the
engine's tasks itself. Every AWS API the engine reaches is moto's. Tests in this folder that take the
session's `cloud` (through `api` or `tenant`) instead run on the shared stack; tests/conftest.py runs the
tier's tests first.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
import pytest
from moto import mock_aws
from moto.core.models import MockAWS

from agent_runtime import aws
from agent_runtime.config import settings
from agent_runtime.engine import Engine
from agent_runtime.engine.webhooks.queue import WebhookQueue
from agent_runtime.store import Store, schema
from agent_runtime.store.artifact_items import ArtifactObjects
from agent_runtime.store.dynamo import Table
from agent_runtime.store.payloads import Payloads
from agent_runtime.workflows.registry import Registry, load_modules

REGION = "us-east-1"
KEY = "testing"  # moto takes any credentials; these never reach AWS
TABLE = "agent-runtime-engine-tests"
BUCKET = "agent-runtime-engine-tests"
STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:agent-runtime-run"
WORKFLOW_MODULES = ("tests.workflows.samples", "tests.workflows.durable.samples")
BUILTIN = ("agent_runtime.workflows.builtin.echo", "agent_runtime.workflows.builtin.approval")
# What the engine reads from settings(): the tier's own resources, metrics off, short webhook timings.
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "TABLE_NAME": TABLE,
    "BUCKET_NAME": BUCKET,
    "STATE_MACHINE_ARN": STATE_MACHINE_ARN,
    "EXPRESS_STATE_MACHINE_ARN": "",
    "METRICS_DISABLED": "true",
    "AGENT_RUNTIME_WORKFLOW_MODULES": ",".join(WORKFLOW_MODULES),
    "WEBHOOK_BACKOFF_BASE_SECONDS": "10",
    "WEBHOOK_BACKOFF_CAP_SECONDS": "600",
    "WEBHOOK_RETRY_WINDOW_SECONDS": "86400",
    "WEBHOOK_BREAKER_FAILURES": "3",
    "WEBHOOK_BREAKER_SECONDS": "60",
    "RECONCILE_GRACE_SECONDS": "0",
}


@dataclass
class FakeOrchestrator:
    """engine/orchestration.py's Orchestrator, recording each call instead of calling Step Functions.
    `executions` is what a status or running() answers: name -> RUNNING, SUCCEEDED, ... (absent: none)."""

    state_machine_arn: str = STATE_MACHINE_ARN
    express_state_machine_arn: str = ""
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    executions: dict[str, str] = field(default_factory=dict)

    def start(self, run_id: str, tenant_id: str, name: str | None = None, *, express: bool = False) -> None:
        self.calls.append(("start", run_id, tenant_id, name or run_id, express))
        self.executions.setdefault(name or run_id, "RUNNING")

    def stop(self, name: str, cause: str) -> None:
        self.calls.append(("stop", name, cause))
        if self.executions.get(name) == "RUNNING":
            self.executions[name] = "ABORTED"

    def status(self, name: str) -> str | None:
        self.calls.append(("status", name))
        return self.executions.get(name)

    def running(self) -> set[str]:
        self.calls.append(("running",))
        return {name for name, status in self.executions.items() if status == "RUNNING"}

    def resume(self, task_token: str) -> None:
        self.calls.append(("resume", task_token))

    def abort(self, task_token: str, error: str, cause: str) -> None:
        self.calls.append(("abort", task_token, error, cause))

    def named(self, verb: str) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == verb]


@dataclass
class Tier:
    engine: Engine
    orchestrator: FakeOrchestrator
    sqs: Any
    queue_url: str
    dlq_url: str
    tenant: str

    def items(self) -> list[dict[str, Any]]:
        """Every item in the table."""
        return cast(list[dict[str, Any]], self.engine.store.table.client.scan(TableName=TABLE)["Items"])

    def messages(self, url: str | None = None) -> list[dict[str, Any]]:
        """Every message on the webhook queue (or `url`), delays included (moto delivers them anyway
        once their delay passed: read the attributes instead of waiting)."""
        got = self.sqs.receive_message(
            QueueUrl=url or self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        )
        return cast(list[dict[str, Any]], got.get("Messages", []))


def create_table(client: Any) -> None:
    """The deployed table's keys and indexes, from store/schema.py as infra/data.py and the local stack
    declare it (local/agent_runtime_local/cloud.py)."""
    client.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in schema.KEY_ATTRIBUTES
        ],
        KeySchema=[
            {"AttributeName": schema.PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": schema.SORT_KEY, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": index.projection},
            }
            for index in schema.INDEXES
        ],
    )
    client.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE}
    )


@pytest.fixture(scope="session")
def clients() -> dict[str, Any]:
    """boto3 clients made once (making one costs a few hundred ms); moto intercepts any client's calls
    while a mock is active, so each test's fresh mock serves them."""
    return {
        "dynamodb": boto3.client(
            "dynamodb", region_name=REGION, aws_access_key_id=KEY, aws_secret_access_key=KEY
        ),
        "s3": boto3.client("s3", region_name=REGION, aws_access_key_id=KEY, aws_secret_access_key=KEY),
        "sqs": boto3.client("sqs", region_name=REGION, aws_access_key_id=KEY, aws_secret_access_key=KEY),
    }


@pytest.fixture
def tier(clients: dict[str, Any]) -> Iterator[Tier]:
    if MockAWS._nested_count:
        # A moto mock is already on (the session's local stack): a test here would write into its
        # backends and point its workers' settings at this tier's resources. tests/conftest.py runs
        # tier-less tests first so this never happens; fail loudly if it does.
        pytest.fail("the engine tier must run before the local stack starts (tests/conftest.py orders them)")
    with pytest.MonkeyPatch.context() as patch, mock_aws():  # a fresh moto: the backends reset
        for name, value in ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        settings.cache_clear()
        aws.reset_clients()
        dynamodb, s3, sqs = clients["dynamodb"], clients["s3"], clients["sqs"]
        create_table(dynamodb)
        s3.create_bucket(Bucket=BUCKET)
        queue_url = sqs.create_queue(QueueName="webhooks")["QueueUrl"]
        dlq_url = sqs.create_queue(QueueName="webhooks-dlq")["QueueUrl"]
        store = Store.over(
            Table(dynamodb, TABLE),
            Payloads(s3, BUCKET, settings().inline_payload_limit),
            ArtifactObjects(s3, s3, BUCKET),
        )
        orchestrator = FakeOrchestrator()
        engine = Engine(
            store,
            orchestrator=orchestrator,  # type: ignore[arg-type]  # the recording fake
            webhook_queue=WebhookQueue(sqs, queue_url, dlq_url),
            workflows=workflows(),
        )
        yield Tier(engine, orchestrator, sqs, queue_url, dlq_url, f"t-{uuid.uuid4().hex[:12]}")
    # The environment is back as it was: what settings() caches from now on is the session's own.
    settings.cache_clear()
    aws.reset_clients()


@functools.cache
def workflows() -> Registry:
    return load_modules((*BUILTIN, *WORKFLOW_MODULES))

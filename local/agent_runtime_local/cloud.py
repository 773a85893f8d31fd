"""The local cloud: moto with Step Functions execution on, and this project's resources created in it
from the same sources the CDK stack uses (functions/manifest.py and the state machine definition next
to it, agent_runtime.store.schema for the table)."""

from __future__ import annotations

import io
import json
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from agent_runtime.store import run_changes, schema
from functions import manifest

REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "agent-runtime-local"
BUCKET = "agent-runtime-local-artifacts"
STATE_MACHINE = "agent-runtime-run"
WEBHOOK_QUEUE = "agent-runtime-local-webhooks"
WEBHOOK_DLQ = "agent-runtime-local-webhooks-dlq"
# Everything on the local stack is local: webhooks may use plain http to loopback receivers.
LOCAL_ENVIRONMENT = {
    # No CloudWatch here to read metric documents: don't print them between the log lines.
    "METRICS_DISABLED": "true",
    "WEBHOOK_ALLOW_HTTP_LOOPBACK": "true",
    "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1,localhost,::1",
    # One process runs everything here, so a run untouched for seconds with no execution was lost (a
    # restart): the reconciler's start-up sweep re-drives it at once instead of after the cloud's grace.
    "RECONCILE_GRACE_SECONDS": "5",
    "RECONCILE_DELIVERY_GRACE_SECONDS": "60",
}
# Loopback ports webhooks may never call: the stack's own endpoints (the download endpoint, and the
# gateway when `agent-runtime dev` passes its port), so a callback_url can't be aimed at them.
DENIED_PORTS = "WEBHOOK_DENIED_LOCAL_PORTS"
# The table's stream (the webhook dispatcher's source), as infra/data.py configures it.
STREAM = {"StreamEnabled": True, "StreamViewType": schema.STREAM_VIEW}


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def render_definition(substitutions: dict[str, str]) -> str:
    text = manifest.state_machine_definition()
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", value)
    return text


def local_substitutions() -> dict[str, str]:
    return {var: function_arn(name) for var, name in manifest.STATE_MACHINE_FUNCTIONS.items()}


@dataclass
class Resources:
    table: str
    bucket: str
    state_machine_arn: str
    webhook_queue_url: str = ""
    webhook_dlq_url: str = ""
    express_state_machine_arn: str = ""


def configure_environment(resources: Resources, extra: dict[str, str] | None = None) -> None:
    """Point the runtime (config.settings, aws clients) at the local resources."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "TABLE_NAME": resources.table,
            "BUCKET_NAME": resources.bucket,
            "STATE_MACHINE_ARN": resources.state_machine_arn,
            "EXPRESS_STATE_MACHINE_ARN": resources.express_state_machine_arn,
            "WEBHOOK_QUEUE_URL": resources.webhook_queue_url,
            "WEBHOOK_DLQ_URL": resources.webhook_dlq_url,
            **LOCAL_ENVIRONMENT,
            **(extra or {}),
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    from agent_runtime import aws
    from agent_runtime.config import settings
    from agent_runtime.workflows.registry import registry

    settings.cache_clear()
    registry.cache_clear()
    aws.reset_clients()


def create_resources(stream: bool = True) -> Resources:
    """Create the table (with its stream unless `stream` is False: a restore turns it on once the
    snapshot is loaded), the bucket, the functions, the state machine and the queues."""
    import boto3

    session = boto3.session.Session(
        # moto accepts any credentials; these never reach AWS.
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
        region_name=REGION,
    )
    dynamodb = session.client("dynamodb")
    options: dict[str, Any] = {"StreamSpecification": STREAM} if stream else {}
    dynamodb.create_table(
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
                "Projection": {"ProjectionType": cast(Any, index.projection)},
            }
            for index in schema.INDEXES
        ],
        **options,
    )
    dynamodb.update_time_to_live(
        TableName=TABLE,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.TTL_ATTRIBUTE},
    )
    session.client("s3").create_bucket(Bucket=BUCKET)

    iam = session.client("iam")
    role = iam.create_role(
        RoleName="agent-runtime-local", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )
    role_arn = role["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr(
            "README.txt", "handlers run in-process; see local/agent_runtime_local/lambda_bridge.py"
        )
    lambda_client = session.client("lambda")
    for spec in manifest.FUNCTIONS:
        lambda_client.create_function(
            FunctionName=spec.name,
            Runtime="python3.12",
            Role=role_arn,
            Handler=spec.handler,
            Code={"ZipFile": code.getvalue()},
            Timeout=spec.timeout_seconds,
            MemorySize=spec.memory_mb,
        )
    sfn = session.client("stepfunctions")
    state_machine = sfn.create_state_machine(
        name=STATE_MACHINE, definition=render_definition(local_substitutions()), roleArn=role_arn
    )
    sqs = session.client("sqs")
    dlq_url = sqs.create_queue(QueueName=WEBHOOK_DLQ)["QueueUrl"]
    queue_url = sqs.create_queue(QueueName=WEBHOOK_QUEUE, Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    # Runs that can't wait for a human: the same definition as EXPRESS (functions/manifest.py).
    express = sfn.create_state_machine(
        name=f"{STATE_MACHINE}-express",
        type="EXPRESS",
        definition=manifest.express_state_machine_definition(render_definition(local_substitutions())),
        roleArn=role_arn,
    )
    return Resources(
        TABLE, BUCKET, state_machine["stateMachineArn"], queue_url, dlq_url, express["stateMachineArn"]
    )


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


class LocalCloud:
    """moto started in-process with our resources, handlers wired in. Use as a context manager.

    With `data_dir`, the table and the bucket are kept there (persistence.py) and restored on start,
    before the pollers (and so the reconciler's first sweep) run; without, everything is in memory.
    Pre-signed artifact URLs reach a download endpoint on a free loopback port (downloads.py) that
    serves only signed, unexpired GETs of the bucket's objects.
    """

    def __init__(
        self, environment: dict[str, str] | None = None, data_dir: Path | None = None, recover: bool = False
    ) -> None:
        self._environment = environment or {}
        self._data_dir = data_dir
        self._recover = recover  # restore every whole record of a damaged data dir (persistence.py)
        self._mock: Any = None
        self._downloads: Any = None
        self._data: Any = None
        self._pollers: Any = None
        self.resources: Resources | None = None
        self.restored: Any = None
        self.s3_endpoint = ""

    def start(self) -> Resources:
        from botocore.credentials import Credentials
        from moto import mock_aws

        from agent_runtime import aws
        from agent_runtime_local import (
            faults,
            lambda_bridge,
            memory,
            moto_direct,
            moto_dynamodb,
            moto_patches,
            moto_stepfunctions,
            permissions,
        )
        from agent_runtime_local.downloads import DownloadServer
        from agent_runtime_local.persistence import DataDir
        from agent_runtime_local.unsigned import unsigned

        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        memory.skip_ec2_tables()  # before lambda_bridge imports moto's Lambda (and with it EC2)
        memory.share_malloc_arenas()
        memory.share_service_models()
        memory.pack_stream_records()
        memory.track_only_what_moto_reads()
        lambda_bridge.install()
        moto_patches.install()
        moto_dynamodb.install()
        moto_stepfunctions.install()
        # Every client the runtime makes is held to its function's grants and carries the fault switch
        # (a list check per call while no fault is armed); it calls moto unsigned (unsigned.py), and
        # DynamoDB's item calls reach moto's backend without the HTTP round trip (moto_direct.py).
        for observer in (permissions.watch, faults.watch, unsigned, moto_direct.watch):
            if observer not in aws.client_observers:
                aws.client_observers.append(observer)
        # Every writer of a run's item is in this process: a run's wait wakes at its write, not a poll
        # later (agent_runtime/store/run_changes.py).
        if run_changes.installed() is None:
            changes = run_changes.Notified()
            aws.client_observers.append(changes.observe)
            run_changes.install(changes)
        if self._data_dir is not None:
            self._data = DataDir(self._data_dir)
            self._data.open()
        try:
            self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
            self._mock.start()
            self.resources = create_resources(stream=self._data is None)
            if self._data is not None:
                self.restored = self._data.restore(
                    self.resources.table, self.resources.bucket, STREAM, recover=self._recover
                )
                aws.client_observers.append(self._data.watch)
            # Pre-signed URLs are signed with this secret (moto takes any); public "local" would let
            # anyone forge one. A data dir keeps its own, so URLs stay valid across a restart.
            secret = self._data.secret() if self._data is not None else secrets.token_urlsafe(30)
            self._downloads = DownloadServer(self.resources.bucket, Credentials("local", secret), REGION)
            self._downloads.start()
            self.s3_endpoint = self._downloads.url
            denied = ",".join(
                p for p in (str(self._downloads.port), self._environment.get(DENIED_PORTS, "")) if p
            )
            configure_environment(
                self.resources,
                {
                    **self._environment,
                    "AWS_ACCESS_KEY_ID": "local",
                    "AWS_SECRET_ACCESS_KEY": secret,
                    "ARTIFACT_DOWNLOAD_ENDPOINT": self.s3_endpoint,
                    DENIED_PORTS: denied,
                },
            )
            from agent_runtime_local.pollers import Pollers

            self._pollers = Pollers(
                self.resources.table,
                {
                    manifest.Trigger.WEBHOOK_QUEUE: (
                        self.resources.webhook_queue_url,
                        queue_arn(WEBHOOK_QUEUE),
                    )
                },
            )
            self._pollers.start()
            memory.release_freed_memory()
            memory.freeze_start_up_objects()
            memory.collect_young_objects_less_often()
        except BaseException:
            self.stop()
            raise
        return self.resources

    def stop(self) -> None:
        from agent_runtime import aws

        if self._pollers is not None:
            self._pollers.stop()
            self._pollers = None
        if self._downloads is not None:
            self._downloads.stop()
            self._downloads = None
        if self._data is not None:
            if self._data.watch in aws.client_observers:
                aws.client_observers.remove(self._data.watch)
            self._data.close()
            self._data = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""The local cloud: moto with Step Functions execution on, and this project's resources created in it
from the same sources the CDK stack uses (functions/manifest.py and the state machine definition next
to it, agent_runtime.store.schema for the table)."""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import dataclass
from typing import Any

from agent_runtime.store import schema
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
}


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


def create_resources() -> Resources:
    import boto3

    session = boto3.session.Session(
        # moto accepts any credentials; these never reach AWS.
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
        region_name=REGION,
    )
    dynamodb = session.client("dynamodb")
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
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in schema.INDEXES
        ],
        StreamSpecification={
            "StreamEnabled": True,
            "StreamViewType": schema.STREAM_VIEW,
        },
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
    return Resources(TABLE, BUCKET, state_machine["stateMachineArn"], queue_url, dlq_url)


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalCloud:
    """moto started in-process with our resources, handlers wired in. Use as a context manager.

    Pre-signed artifact URLs need an S3 endpoint a client can reach: moto's own HTTP server, on a
    free loopback port, serves the same in-process state.
    """

    def __init__(self, environment: dict[str, str] | None = None) -> None:
        self._environment = environment or {}
        self._mock: Any = None
        self._s3_server: Any = None
        self._pollers: Any = None
        self.resources: Resources | None = None
        self.s3_endpoint = ""

    def start(self) -> Resources:
        from moto import mock_aws

        from agent_runtime import aws
        from agent_runtime_local import lambda_bridge, moto_patches, permissions

        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        lambda_bridge.install()
        moto_patches.install()
        if permissions.watch not in aws.client_observers:
            aws.client_observers.append(permissions.watch)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        self.resources = create_resources()
        from moto.server import ThreadedMotoServer

        port = _free_port()
        self._s3_server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._s3_server.start()
        self.s3_endpoint = f"http://127.0.0.1:{port}"
        configure_environment(
            self.resources, {"ARTIFACT_DOWNLOAD_ENDPOINT": self.s3_endpoint, **self._environment}
        )
        from agent_runtime_local.pollers import Pollers

        self._pollers = Pollers(
            self.resources.table,
            {manifest.Trigger.WEBHOOK_QUEUE: (self.resources.webhook_queue_url, queue_arn(WEBHOOK_QUEUE))},
        )
        self._pollers.start()
        return self.resources

    def stop(self) -> None:
        if self._pollers is not None:
            self._pollers.stop()
            self._pollers = None
        if self._s3_server is not None:
            self._s3_server.stop()
            self._s3_server = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None

    def __enter__(self) -> LocalCloud:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

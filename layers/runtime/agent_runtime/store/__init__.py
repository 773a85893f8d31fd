"""Data access: one repository per item type over one DynamoDB table (and S3 for large values and
artifacts). Repositories take their clients, raise store errors (store/errors.py) and know nothing
of HTTP or protocols. `Store.default()` builds them over the deployment's clients."""

from __future__ import annotations

from dataclasses import dataclass

from agent_runtime.store.api_key_items import ApiKeyItems
from agent_runtime.store.artifact_items import ArtifactItems, ArtifactObjects
from agent_runtime.store.checkpoint_items import CheckpointItems
from agent_runtime.store.delivery_items import DeliveryItems
from agent_runtime.store.dynamo import Table, default_table
from agent_runtime.store.event_items import EventItems
from agent_runtime.store.payloads import Payloads, default_payloads
from agent_runtime.store.run_items import RunItems
from agent_runtime.store.secret_items import SecretItems
from agent_runtime.store.thread_items import ThreadItems


@dataclass
class Store:
    payloads: Payloads
    runs: RunItems
    events: EventItems
    checkpoints: CheckpointItems
    artifacts: ArtifactItems
    artifact_objects: ArtifactObjects
    threads: ThreadItems
    deliveries: DeliveryItems
    secrets: SecretItems
    api_keys: ApiKeyItems

    @classmethod
    def over(cls, table: Table, payloads: Payloads, artifact_objects: ArtifactObjects) -> Store:
        events = EventItems(table, payloads)
        return cls(
            payloads=payloads,
            runs=RunItems(table, events),
            events=events,
            checkpoints=CheckpointItems(table),
            artifacts=ArtifactItems(table),
            artifact_objects=artifact_objects,
            threads=ThreadItems(table, payloads),
            deliveries=DeliveryItems(table),
            secrets=SecretItems(table),
            api_keys=ApiKeyItems(table),
        )

    @classmethod
    def default(cls) -> Store:
        """Over the clients and resources the environment names (config.settings)."""
        from agent_runtime import aws
        from agent_runtime.config import settings

        objects = ArtifactObjects(aws.s3(), aws.s3_presigner(), settings().bucket_name)
        return cls.over(default_table(), default_payloads(), objects)

"""Data access: one repository per item type over one DynamoDB table (and S3 for large values and
artifacts). Repositories take their clients, raise store errors (store/errors.py) and know nothing
of HTTP or protocols. `Store.default()` builds them over the deployment's clients.

Each repository is built (and its module imported) when first used: the authorizer, on every
request, needs the API keys' repository and nothing else."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent_runtime.store.api_key_items import ApiKeyItems
    from agent_runtime.store.artifact_items import ArtifactItems, ArtifactObjects
    from agent_runtime.store.checkpoint_items import CheckpointItems
    from agent_runtime.store.delivery_items import DeliveryItems
    from agent_runtime.store.dynamo import Table
    from agent_runtime.store.endpoint_items import EndpointItems
    from agent_runtime.store.event_items import EventItems
    from agent_runtime.store.operation_items import OperationItems
    from agent_runtime.store.payloads import Payloads
    from agent_runtime.store.run_items import RunItems
    from agent_runtime.store.secret_items import SecretItems
    from agent_runtime.store.thread_items import ThreadItems
    from agent_runtime.store.usage_meter import Meter


class Store:
    def __init__(
        self,
        table: Table | None = None,
        payloads: Payloads | None = None,
        artifact_objects: ArtifactObjects | None = None,
        meter: Meter | None = None,
    ) -> None:
        self._table = table
        self._payloads = payloads
        self._artifact_objects = artifact_objects
        self.meter = meter

    @classmethod
    def over(cls, table: Table, payloads: Payloads, artifact_objects: ArtifactObjects) -> Store:
        return cls(table, payloads, artifact_objects)

    def metered(self, meter: Meter) -> Store:
        """The same store over the same clients, its run commits folding in `meter`'s usage."""
        return Store(self._table, self._payloads, self._artifact_objects, meter)

    @classmethod
    def default(cls) -> Store:
        """Over the clients and resources the environment names (config.settings), each client
        created when first needed (a handler that never touches S3 creates no S3 client)."""
        return cls()

    @cached_property
    def table(self) -> Table:
        from agent_runtime.store.dynamo import default_table

        return self._table or default_table()

    @cached_property
    def payloads(self) -> Payloads:
        from agent_runtime.store.payloads import default_payloads

        return self._payloads or default_payloads()

    @cached_property
    def artifact_objects(self) -> ArtifactObjects:
        if self._artifact_objects is not None:
            return self._artifact_objects
        from agent_runtime import aws
        from agent_runtime.config import settings
        from agent_runtime.store.artifact_items import ArtifactObjects

        return ArtifactObjects(aws.s3(), aws.s3_presigner(), settings().bucket_name)

    @cached_property
    def events(self) -> EventItems:
        from agent_runtime.store.event_items import EventItems

        return EventItems(self.table, self.payloads)

    @cached_property
    def runs(self) -> RunItems:
        from agent_runtime.store.run_items import RunItems

        return RunItems(self.table, self.events, self.meter)

    @cached_property
    def operations(self) -> OperationItems:
        from agent_runtime.store.operation_items import OperationItems

        return OperationItems(self.table, self.payloads)

    @cached_property
    def checkpoints(self) -> CheckpointItems:
        from agent_runtime.store.checkpoint_items import CheckpointItems

        return CheckpointItems(self.table)

    @cached_property
    def artifacts(self) -> ArtifactItems:
        from agent_runtime.store.artifact_items import ArtifactItems

        return ArtifactItems(self.table)

    @cached_property
    def threads(self) -> ThreadItems:
        from agent_runtime.store.thread_items import ThreadItems

        return ThreadItems(self.table, self.payloads)

    @cached_property
    def deliveries(self) -> DeliveryItems:
        from agent_runtime.store.delivery_items import DeliveryItems

        return DeliveryItems(self.table)

    @cached_property
    def endpoints(self) -> EndpointItems:
        from agent_runtime.store.endpoint_items import EndpointItems

        return EndpointItems(self.table)

    @cached_property
    def secrets(self) -> SecretItems:
        from agent_runtime.store.secret_items import SecretItems

        return SecretItems(self.table)

    @cached_property
    def api_keys(self) -> ApiKeyItems:
        from agent_runtime.store.api_key_items import ApiKeyItems

        return ApiKeyItems(self.table)

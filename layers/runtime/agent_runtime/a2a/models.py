"""A2A 1.0 request shapes (ProtoJSON: camelCase names, enums as their names), as pydantic models of
what this door reads. Unknown fields are ignored, as the spec asks (section 5.7)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

TASK_STATES = (
    "TASK_STATE_UNSPECIFIED",
    "TASK_STATE_SUBMITTED",
    "TASK_STATE_WORKING",
    "TASK_STATE_COMPLETED",
    "TASK_STATE_FAILED",
    "TASK_STATE_CANCELED",
    "TASK_STATE_INPUT_REQUIRED",
    "TASK_STATE_REJECTED",
    "TASK_STATE_AUTH_REQUIRED",
)


# ProtoJSON's Timestamp: RFC 3339 with a zone ("Z" or an offset).
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


class A2AModel(BaseModel):
    # Names are camelCase on the wire; snake_case is accepted too (proto field names).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Part(A2AModel):
    text: str | None = None
    raw: str | None = None  # base64
    url: str | None = None
    data: Any = None
    metadata: dict[str, Any] | None = None
    filename: str | None = None
    media_type: str | None = None

    def kind(self) -> str:
        present = [k for k in ("text", "raw", "url") if getattr(self, k) is not None]
        if "data" in self.model_fields_set:
            present.append("data")
        return present[0] if len(present) == 1 else "invalid"


# A message is kept whole with its task, in the run's item (DynamoDB's 400 KB): at most this much JSON,
# refused as invalid params before anything is written (larger data goes in as artifacts or URLs).
MESSAGE_MAX_BYTES = 256 * 1024


class Message(A2AModel):
    message_id: str = Field(min_length=1, max_length=512)
    context_id: str | None = None
    task_id: str | None = None
    # A client's message is the user's turn: the agent's turns are the task's own (history shows them).
    role: Literal["ROLE_USER"] = "ROLE_USER"
    parts: list[Part] = Field(min_length=1)
    metadata: dict[str, Any] | None = None
    extensions: list[str] | None = None
    reference_task_ids: list[str] | None = None

    @model_validator(mode="after")
    def _fits_its_task(self) -> Message:
        size = len(self.model_dump_json(by_alias=True, exclude_none=True).encode())
        if size > MESSAGE_MAX_BYTES:
            raise ValueError(f"a message is at most {MESSAGE_MAX_BYTES} bytes of JSON ({size} sent)")
        return self

    @field_validator("role", mode="before")
    @classmethod
    def _role_number(cls, value: Any) -> Any:
        return "ROLE_USER" if value == 1 and not isinstance(value, bool) else value  # ProtoJSON's number


class AuthenticationInfo(A2AModel):
    scheme: str = Field(min_length=1, max_length=64)
    credentials: str | None = Field(default=None, max_length=4000)  # "<scheme> <credentials>" fits 4096


class TaskPushNotificationConfig(A2AModel):
    tenant: str | None = None
    id: str | None = Field(default=None, max_length=256)
    task_id: str | None = None
    url: str = Field(min_length=1, max_length=2048)
    token: str | None = Field(default=None, max_length=4096)
    authentication: AuthenticationInfo | None = None


class SendMessageConfiguration(A2AModel):
    accepted_output_modes: list[str] | None = None
    task_push_notification_config: TaskPushNotificationConfig | None = Field(
        default=None,
        # 0.3-era and pre-release names of the same field.
        validation_alias=AliasChoices("taskPushNotificationConfig", "task_push_notification_config"),
    )
    history_length: int | None = Field(default=None, ge=0)
    return_immediately: bool = False


class SendMessageRequest(A2AModel):
    tenant: str | None = None
    message: Message
    configuration: SendMessageConfiguration | None = None
    metadata: dict[str, Any] | None = None


class TaskRequest(A2AModel):
    """GetTask, CancelTask and SubscribeToTask: a task id (and GetTask's historyLength)."""

    tenant: str | None = None
    id: str = Field(min_length=1, max_length=256)
    history_length: int | None = Field(default=None, ge=0)
    metadata: dict[str, Any] | None = None


class ListTasksRequest(A2AModel):
    tenant: str | None = None
    context_id: str | None = None
    status: str | None = None
    page_size: int | None = Field(default=None, ge=1, le=100)
    page_token: str | None = None
    history_length: int | None = Field(default=None, ge=0)
    status_timestamp_after: datetime | None = None
    include_artifacts: bool = False

    @field_validator("status_timestamp_after", mode="before")
    @classmethod
    def _timestamp(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not RFC3339.match(value):
            raise ValueError("an RFC 3339 timestamp with a zone, like 2026-01-31T12:00:00Z")
        return datetime.fromisoformat(value.upper())  # a bad date (month 13) is a ValueError too


class PushConfigRequest(A2AModel):
    """Get/Delete/List push notification configs of a task."""

    tenant: str | None = None
    task_id: str = Field(min_length=1, max_length=256)
    id: str | None = None
    page_size: int | None = None
    page_token: str | None = None


class TenantRequest(A2AModel):
    tenant: str | None = None


class JsonRpcRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    jsonrpc: Literal["2.0"]
    method: str
    params: dict[str, Any] | None = None
    id: str | int | None = None

    @field_validator("id")
    @classmethod
    def _short_id(cls, value: str | int | None) -> str | int | None:
        if isinstance(value, str) and len(value) > 256:
            raise ValueError("an id is at most 256 characters")
        return value

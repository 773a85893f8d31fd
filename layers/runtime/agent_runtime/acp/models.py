"""ACP 0.2.3 request bodies. Unknown fields are ignored, as ACP clients may send newer fields."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

StreamMode = Literal["values", "custom"]
ACP_CONFIG_KEYS = frozenset({"tags", "recursion_limit", "configurable"})
# A run's or thread's metadata is kept in its item (DynamoDB's 400 KB), as v1's is: the same limit.
METADATA_MAX_BYTES = 16 * 1024


def _small_metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    import json

    if value is not None and len(json.dumps(value, ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
        raise ValueError(f"metadata must serialize to at most {METADATA_MAX_BYTES} bytes")
    return value


SmallMetadata = Annotated[dict[str, Any] | None, AfterValidator(_small_metadata)]


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AgentSearchRequest(Lenient):
    name: str | None = None
    version: str | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class AcpConfig(Lenient):
    """ACP's RunCreate.config: the agent's own config is `configurable`; tags and recursion_limit are
    echoed back, so they must have the spec's types."""

    tags: list[str] | None = None
    recursion_limit: int | None = None
    configurable: dict[str, Any] | None = None


class RunCreate(Lenient):
    agent_id: str = Field(min_length=1, max_length=100)
    input: Any = None
    metadata: SmallMetadata = None
    config: dict[str, Any] | None = None
    webhook: str | None = Field(default=None, max_length=2048)
    # The seed document's name for `webhook` (a documented alias): either may be given, not both apart.
    callback: str | None = Field(default=None, max_length=2048)
    stream_mode: list[StreamMode] | StreamMode | None = None
    on_disconnect: Literal["cancel", "continue"] = "continue"
    multitask_strategy: Literal["reject", "rollback", "interrupt", "enqueue"] = "reject"
    after_seconds: int | None = Field(default=None, ge=0)

    @field_validator("config")
    @classmethod
    def _acp_config_types(cls, config: dict[str, Any] | None) -> dict[str, Any] | None:
        if config and not set(config).isdisjoint(ACP_CONFIG_KEYS):
            try:
                AcpConfig.model_validate(config)
            except ValidationError as error:
                problems = (f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
                raise ValueError("; ".join(problems)) from None
        return config

    @model_validator(mode="after")
    def _one_callback(self) -> RunCreate:
        if self.webhook and self.callback and self.webhook != self.callback:
            raise ValueError("webhook and callback name the same URL: give one")
        if self.multitask_strategy in {"rollback", "enqueue"}:
            # Refused whether or not the thread is busy (and on stateless runs): not supported at all.
            raise ValueError(
                f"multitask_strategy {self.multitask_strategy} is not supported: use reject or interrupt"
            )
        return self

    def callback_url(self) -> tuple[str | None, str]:
        """The callback URL and the field it came from (to name it in errors)."""
        if self.callback and not self.webhook:
            return self.callback, "callback"
        return self.webhook, "webhook"

    def modes(self) -> set[str]:
        if self.stream_mode is None:
            return {"values"}
        return set(self.stream_mode) if isinstance(self.stream_mode, list) else {self.stream_mode}

    def _acp_config(self) -> bool:
        """ACP's RunCreate.config is {tags, recursion_limit, configurable}: the agent's own config is
        `configurable`. A config with none of those keys is taken as the agent's config itself."""
        return bool(self.config) and not set(self.config or {}).isdisjoint(ACP_CONFIG_KEYS)

    def agent_config(self) -> dict[str, Any]:
        if not self._acp_config():
            return self.config or {}
        configurable = (self.config or {}).get("configurable")
        return configurable if isinstance(configurable, dict) else {}

    def options(self) -> dict[str, Any]:
        """The creation options the ACP Run object echoes back."""
        options = self.model_dump(
            mode="json",
            exclude={"agent_id", "input", "metadata", "config", "webhook", "callback"},
            exclude_none=True,
        )
        if self._acp_config():
            extra = {k: v for k, v in (self.config or {}).items() if k in ACP_CONFIG_KEYS - {"configurable"}}
            if extra:
                options["config_extra"] = extra
        return options


class RunCreateStateless(RunCreate):
    on_completion: Literal["delete", "keep"] = "delete"


class RunCreateStateful(RunCreate):
    stream_subgraphs: bool = False
    if_not_exists: Literal["create", "reject"] = "reject"


class RunSearchRequest(Lenient):
    agent_id: str | None = None
    status: Literal["pending", "error", "success", "timeout", "interrupted"] | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class ThreadCreate(Lenient):
    thread_id: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    metadata: SmallMetadata = None
    if_exists: Literal["raise", "do_nothing"] = "raise"


class ThreadCheckpoint(Lenient):
    checkpoint_id: str


class MessageBlock(Lenient):
    """ACP's MessageTextBlock or MessageAnyBlock: a `type`, and `text` when it is "text"."""

    type: str
    text: str | None = None
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _text_block_has_text(self) -> MessageBlock:
        if self.type == "text" and self.text is None:
            raise ValueError("a text block needs `text`")
        return self


class Message(Lenient):
    """ACP's Message: what a thread's messages must be, since ACP clients read them back as such."""

    role: str
    content: str | list[MessageBlock]
    id: str | None = None
    metadata: dict[str, Any] | None = None


def _acp_messages(value: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    for index, message in enumerate(value or ()):
        try:
            Message.model_validate(message)  # kept as sent; refused unless it is one
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"messages[{index}] is not an ACP Message: {where}: {first['msg']}") from None
    return value


class ThreadPatch(Lenient):
    checkpoint: ThreadCheckpoint | None = None
    metadata: SmallMetadata = None
    values: Any = None
    messages: Annotated[list[dict[str, Any]] | None, AfterValidator(_acp_messages)] = None


class ThreadSearchRequest(Lenient):
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)

"""Verifying webhook deliveries: Standard Webhooks signatures, checked with the reference library
(`pip install "agent-runtime-client[webhooks]"`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from agent_runtime_client.errors import AgentRuntimeError, WebhookPayloadError, WebhookVerificationError
from agent_runtime_client.models import WebhookEvent


def verify(body: bytes | str, headers: Mapping[str, str], secret: str) -> WebhookEvent:
    """The delivery's body as a WebhookEvent once its `webhook-signature` (any of its signatures, so
    the previous secret's works for 24 h after a rotation) and `webhook-timestamp` (within 5 minutes)
    check out with `secret` (`whsec_...`, from `webhooks.rotate_secret()`); WebhookVerificationError
    otherwise. Deduplicate deliveries by the `webhook-id` header: they are at-least-once. A verified
    body that is not a v1 event (an A2A or ACP run's delivery) is a WebhookPayloadError."""
    _check_signature(body, headers, secret)
    try:
        return WebhookEvent.model_validate_json(body)
    except ValidationError as error:
        raise WebhookPayloadError(
            "the delivery is signed by the runtime but is not a v1 webhook event (an A2A push "
            "notification or an ACP webhook?): read it with webhooks.verify_payload"
        ) from error


def verify_payload(body: bytes | str, headers: Mapping[str, str], secret: str) -> Any:
    """Any door's delivery (a v1 event, an A2A push notification's StreamResponse, an ACP run) as
    parsed JSON, once its signature and timestamp check out as in `verify`."""
    _check_signature(body, headers, secret)
    return json.loads(body)


def _check_signature(body: bytes | str, headers: Mapping[str, str], secret: str) -> None:
    try:
        from standardwebhooks.webhooks import Webhook
        from standardwebhooks.webhooks import WebhookVerificationError as _Invalid
    except ImportError as missing:  # the optional extra
        raise AgentRuntimeError(
            'webhooks.verify needs the standardwebhooks package: pip install "agent-runtime-client[webhooks]"'
        ) from missing
    try:
        Webhook(secret).verify(body, dict(headers), json_parse=False)
    except (_Invalid, ValueError) as error:
        raise WebhookVerificationError(str(error) or "the signature does not verify") from error

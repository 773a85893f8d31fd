"""Verifying webhook deliveries: Standard Webhooks signatures, checked with the reference library
(`pip install "agent-runtime-client[webhooks]"`)."""

from __future__ import annotations

from collections.abc import Mapping

from agent_runtime_client.errors import AgentRuntimeError, WebhookVerificationError
from agent_runtime_client.models import WebhookEvent


def verify(body: bytes | str, headers: Mapping[str, str], secret: str) -> WebhookEvent:
    """The delivery's body as a WebhookEvent once its `webhook-signature` (any of its signatures, so
    the previous secret's works for 24 h after a rotation) and `webhook-timestamp` (within 5 minutes)
    check out with `secret` (`whsec_...`, from `webhooks.rotate_secret()`); WebhookVerificationError
    otherwise. Deduplicate deliveries by the `webhook-id` header: they are at-least-once."""
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
    return WebhookEvent.model_validate_json(body)

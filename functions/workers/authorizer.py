"""API Gateway REQUEST authorizer: an API key (Bearer or x-api-key) -> its tenant.

The tenant and principal travel to every function in requestContext.authorizer. Raising
"Unauthorized" is API Gateway's convention for a 401.
"""

from typing import Any

from agent_runtime.auth import authenticate, key_from_headers
from agent_runtime.errors import Unauthorized


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        tenant_id, principal = authenticate(key_from_headers(event.get("headers") or {}))
    except Unauthorized as error:
        raise Exception("Unauthorized") from error  # API Gateway maps exactly this message to 401
    # Allow every method of this API for the tenant: the policy is cached per key, and tenancy is
    # enforced by each function on every item it reads.
    arn_parts = event["methodArn"].split("/")
    api_arn = "/".join(arn_parts[:2]) + "/*"
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": api_arn}],
        },
        "context": {"tenant_id": tenant_id, "principal": principal},
    }

"""API Gateway REQUEST authorizer: an API key (Bearer or x-api-key) -> its tenant.

The tenant and principal travel to every function in requestContext.authorizer. Raising
"Unauthorized" is API Gateway's convention for a 401.
"""

from typing import Any

from agent_runtime.engine import Engine
from agent_runtime.http.credentials import key_from_headers


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    found = Engine.default().api_keys.authenticate(key_from_headers(event.get("headers") or {}))
    if found is None:
        raise Exception("Unauthorized")  # API Gateway maps exactly this message to 401
    # Allow every method of this API for the tenant: tenancy is enforced by each function on every item
    # it reads. The authorizer has no result cache (docs/decisions.md 8), so it runs on every request.
    arn_parts = event["methodArn"].split("/")
    api_arn = "/".join(arn_parts[:2]) + "/*"
    return {
        "principalId": found.principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": api_arn}],
        },
        "context": {"tenant_id": found.tenant_id, "principal": found.principal},
    }

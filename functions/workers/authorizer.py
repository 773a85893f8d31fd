"""API Gateway REQUEST authorizer: an API key (Bearer or x-api-key) -> its tenant.

The tenant and principal travel to every function in requestContext.authorizer. Raising
"Unauthorized" is API Gateway's convention for a 401.
"""

from typing import Any

from agent_runtime.engine import Engine
from agent_runtime.engine.api_keys import usage_key
from agent_runtime.http.credentials import key_from_headers


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = event.get("headers") or {}
    # API Gateway caches this answer per value of the route family's one header (infra/api.py
    # identity_header): a request carrying two different keys is refused, so the key authenticated is
    # always the one the answer is cached under.
    if len(set(filter(None, (key_from_headers({k: v}) for k, v in headers.items())))) > 1:
        raise Exception("Unauthorized")
    found = Engine.default().api_keys.authenticate(key_from_headers(headers))
    if found is None:
        raise Exception("Unauthorized")  # API Gateway maps exactly this message to 401
    # Allow every method of this API for the tenant: tenancy is enforced by each function on every item
    # it reads. The answer is cached per key for 5 minutes (docs/decisions.md 60) and reused for any
    # method of the family, so it must not depend on the method.
    arn_parts = event["methodArn"].split("/")
    api_arn = "/".join(arn_parts[:2]) + "/*"
    return {
        "principalId": found.principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": api_arn}],
        },
        "context": {"tenant_id": found.tenant_id, "principal": found.principal},
        # The tenant's key in the stack's usage plan (API key source AUTHORIZER): API Gateway throttles
        # each tenant to manifest.TENANT_THROTTLE by it (docs/decisions.md 62). Derived from the tenant
        # id, no read; the local gateway throttles per tenant itself and ignores it.
        "usageIdentifierKey": usage_key(found.tenant_id),
    }

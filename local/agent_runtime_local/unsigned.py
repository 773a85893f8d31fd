"""The local stack's clients call moto unsigned, with a User-Agent built once per client.

moto checks no signature, and takes the account and region it answers for from the URL and the access
key id, which a signature would only repeat (the local key is no AWS key id: moto's default account,
the one the local stack creates everything in). Signing each request and rebuilding its User-Agent
(then copying both long headers into moto's request object) were about 60% of the CPU of a DynamoDB
call here (bench/reports/echo_ops-*.md).

S3 clients stay signed: unsigned, botocore sends an object's body aws-chunked with a trailing checksum,
which moto 5.2 stores framing and all. So are pre-signed URLs (agent_runtime.aws.s3_presigner is not
one of these clients; the download endpoint checks their signatures).
"""

from __future__ import annotations

from typing import Any


def unsigned(client: Any) -> None:
    """Send `client`'s calls unsigned (an agent_runtime.aws.client_observers entry, also applied to
    the local stack's own clients and the Step Functions interpreter's). S3 clients are left signed."""
    if client.meta.service_model.service_name == "s3":
        return
    events = client.meta.events
    service_id = client.meta.service_model.service_id.hyphenize()
    creator = client._user_agent_creator
    events.unregister(f"request-created.{service_id}", client._request_signer.handler)
    events.unregister(f"request-created.{service_id}", creator.rebuild_and_replace_user_agent_handler)
    # botocore builds the header again for every request from its parts; moto reads it for nothing
    # the URL doesn't already say (the region), so each client's is built once.
    user_agent = creator.to_string()
    creator.to_string = lambda: user_agent

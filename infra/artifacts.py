"""The S3 bucket for artifacts and large payloads, and the bucket its access logs go to."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.config import StackConfig

# Key prefixes the runtime writes (agent_runtime.store.payloads and the artifact store).
PAYLOADS_PREFIX = "payloads/"
ARTIFACTS_PREFIX = "artifacts/"


class Artifacts(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        common = {
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            # Server access logs can only be delivered to a bucket encrypted with S3-managed keys.
            "encryption": s3.BucketEncryption.S3_MANAGED,
            "enforce_ssl": True,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "removal_policy": config.removal_policy,
        }
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs", expiration=Duration.days(config.access_log_expiry_days)
                )
            ],
            **common,  # type: ignore[arg-type]
        )
        # No expiry of payloads/: a claim-checked payload lives as long as the run item that points to it.
        # artifacts/ expire only when the operator sets artifactRetentionDays.
        lifecycle_rules = [
            s3.LifecycleRule(
                id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(1)
            )
        ]
        if config.artifact_retention_days is not None:
            lifecycle_rules.append(
                s3.LifecycleRule(
                    id="expire-artifacts",
                    prefix=ARTIFACTS_PREFIX,
                    expiration=Duration.days(config.artifact_retention_days),
                )
            )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="artifacts-bucket/",
            lifecycle_rules=lifecycle_rules,
            **common,  # type: ignore[arg-type]
        )

"""AWS list prices (us-east-1, on-demand, no free tier) that a run's usage is priced with.

Dated: a run stores what it used (engine/usage.py), never dollars, so a price change is one edit here
and every run's `estimated_cost_usd` follows. Sources: the public pricing pages of AWS Lambda, AWS Step
Functions, Amazon DynamoDB (on-demand, after the November 2024 cut), Amazon S3 (Standard), Amazon SQS,
Amazon API Gateway (REST APIs, first tier) and Amazon EventBridge (Scheduler), as read on PRICES_AS_OF.
"""

from __future__ import annotations

PRICES_AS_OF = "2026-12-01"
REGION = "us-east-1"
SOURCES = (
    "https://aws.amazon.com/lambda/pricing/",
    "https://aws.amazon.com/step-functions/pricing/",
    "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    "https://aws.amazon.com/s3/pricing/",
    "https://aws.amazon.com/sqs/pricing/",
    "https://aws.amazon.com/api-gateway/pricing/",
    "https://aws.amazon.com/eventbridge/pricing/",
)

# USD per unit. The functions run on arm64 (infra/compute.py ARCHITECTURE).
LAMBDA_REQUEST = 0.20 / 1e6
LAMBDA_GB_SECOND_ARM64 = 0.0000133334
LAMBDA_GB_SECOND_X86 = 0.0000166667
SFN_STANDARD_TRANSITION = 0.025 / 1e3
SFN_EXPRESS_REQUEST = 1.00 / 1e6
SFN_EXPRESS_GB_SECOND = 0.00001667  # first 1,000 GB-hours a month; billed in 64 MB and 100 ms chunks
DYNAMODB_WRITE_UNIT = 0.625 / 1e6
DYNAMODB_READ_UNIT = 0.125 / 1e6
DYNAMODB_GB_MONTH = 0.25
S3_PUT = 0.005 / 1e3  # PUT, COPY, POST, LIST
S3_GET = 0.0004 / 1e3  # GET, HEAD and the rest
S3_GB_MONTH = 0.023
SQS_REQUEST = 0.40 / 1e6  # standard queues, per 64 KB chunk
API_GATEWAY_REST_REQUEST = 3.50 / 1e6
SCHEDULER_INVOCATION = 1.00 / 1e6

LAMBDA_GB_SECOND = LAMBDA_GB_SECOND_ARM64
GB = 1024**3


def as_table() -> dict[str, object]:
    """The table as data (bench/cost.py writes it into its report)."""
    return {
        "as_of": PRICES_AS_OF,
        "region": REGION,
        "sources": list(SOURCES),
        "usd": {
            name.lower(): value
            for name, value in globals().items()
            if name.isupper() and isinstance(value, float) and name != "GB"
        },
    }

"""AWS list prices (us-east-1, on-demand, no free tier) that a run's usage is priced with.

Dated: a run stores what it used (engine/usage.py), never dollars, so a price change is one edit here
and every run's `estimated_cost_usd` follows. Sources: the public pricing pages of AWS Lambda, AWS Step
Functions, Amazon DynamoDB (on-demand, after the November 2024 cut), Amazon S3 (Standard), Amazon SQS,
Amazon API Gateway (REST APIs, first tier) and Amazon EventBridge (Scheduler), as read on PRICES_AS_OF.
"""

from __future__ import annotations

from typing import NamedTuple

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
        "models": {
            "as_of": MODEL_PRICES_AS_OF,
            "sources": list(MODEL_SOURCES),
            "usd_per_million_tokens": {model: price._asdict() for model, price in MODEL_PRICES.items()},
        },
    }


# -- Model tokens ----------------------------------------------------------------------------------
# USD per million tokens, keyed by the ledger's model id ("<provider>:<model>"): input (uncached),
# output, cache reads and cache writes. On-demand list prices (Amazon Bedrock, us-east-1; OpenAI's API)
# as published for these models; a model not listed here is counted but not priced (its tokens show in
# `usage.models` with `estimated_cost_usd: null`). Add a model: one line here.
MODEL_PRICES_AS_OF = "2026-12-06"
MODEL_SOURCES = ("https://aws.amazon.com/bedrock/pricing/", "https://openai.com/api/pricing/")


class ModelPrice(NamedTuple):
    input: float
    output: float
    cache_read: float
    cache_write: float


MODEL_PRICES: dict[str, ModelPrice] = {
    # The scripted model (make dev, tests) costs nothing.
    "scripted": ModelPrice(0.0, 0.0, 0.0, 0.0),
    "bedrock:amazon.nova-micro-v1:0": ModelPrice(0.035, 0.14, 0.00875, 0.0),
    "bedrock:amazon.nova-lite-v1:0": ModelPrice(0.06, 0.24, 0.015, 0.0),
    "bedrock:amazon.nova-pro-v1:0": ModelPrice(0.80, 3.20, 0.20, 0.0),
    "bedrock:anthropic.claude-3-haiku-20240307-v1:0": ModelPrice(0.25, 1.25, 0.25, 0.25),
    "bedrock:anthropic.claude-3-5-haiku-20241022-v1:0": ModelPrice(0.80, 4.00, 0.08, 1.00),
    "bedrock:anthropic.claude-haiku-4-5-20251001-v1:0": ModelPrice(1.00, 5.00, 0.10, 1.25),
    "bedrock:anthropic.claude-3-7-sonnet-20250219-v1:0": ModelPrice(3.00, 15.00, 0.30, 3.75),
    "bedrock:anthropic.claude-sonnet-4-20250514-v1:0": ModelPrice(3.00, 15.00, 0.30, 3.75),
    "bedrock:anthropic.claude-sonnet-4-5-20250929-v1:0": ModelPrice(3.00, 15.00, 0.30, 3.75),
    "openai:gpt-4o-mini": ModelPrice(0.15, 0.60, 0.075, 0.0),
    "openai:gpt-4o": ModelPrice(2.50, 10.00, 1.25, 0.0),
    "openai:gpt-4.1-nano": ModelPrice(0.10, 0.40, 0.025, 0.0),
    "openai:gpt-4.1-mini": ModelPrice(0.40, 1.60, 0.10, 0.0),
    "openai:gpt-4.1": ModelPrice(2.00, 8.00, 0.50, 0.0),
}
# Bedrock's cross-region inference profiles ("us.", "eu.", "apac.", "global." before the model id) are
# priced as the model itself.
INFERENCE_PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "global.")


def model_price(model_id: str) -> ModelPrice | None:
    """The price of `model_id` (a ledger key), or None when the table doesn't have it."""
    if model_id.startswith("scripted"):
        return MODEL_PRICES["scripted"]
    provider, _, model = model_id.partition(":")
    if provider == "bedrock":
        for prefix in INFERENCE_PROFILE_PREFIXES:
            if model.startswith(prefix):
                model = model[len(prefix) :]
                break
        return MODEL_PRICES.get(f"bedrock:{model}")
    return MODEL_PRICES.get(model_id)

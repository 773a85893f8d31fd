"""Adapters to DynamoDB and S3. Only this package and orchestration.py talk to AWS."""

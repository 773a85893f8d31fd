"""HTTP for every door: the Lambda proxy adapter (adapter.py), HTTP statuses of errors (errors.py),
problem details (problems.py) and where a request carries its API key (credentials.py). Import the
module you need: the authorizer, on every request, must not pay for the adapter's pydantic."""

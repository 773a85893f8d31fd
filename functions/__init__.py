"""Lambda functions: one module per function, each exposing `handler(event, context)`."""

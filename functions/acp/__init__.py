"""ACP 0.2.3 endpoints: one module (one Lambda) per operation, named by its operationId."""

"""ACP 0.2.3 handlers: one module per resource (agents, runs, threads). Every operation is its own
Lambda (the manifest names `functions.acp.<module>.<operationId>`); operations that differ only by
being on a thread share one endpoint function, which reads the thread id from the path if there is one."""

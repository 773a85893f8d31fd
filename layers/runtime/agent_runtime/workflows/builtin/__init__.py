"""Built-in workflows shipped with the runtime."""

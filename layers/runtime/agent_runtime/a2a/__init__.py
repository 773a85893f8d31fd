"""The A2A 1.0 door: agent cards, the JSON-RPC and HTTP+JSON bindings, and push notifications over
the engine's runs, checkpoints, streams, artifacts and threads (docs/decisions.md 40-44)."""

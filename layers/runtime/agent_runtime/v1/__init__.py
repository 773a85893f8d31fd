"""The v1 door: the runtime's own HTTP API (openapi/agent-runtime.yaml). Requests become engine
calls; engine objects become v1 JSON (views.py); errors become RFC 9457 problems (errors.py);
webhooks carry v1 bodies (webhooks.py)."""

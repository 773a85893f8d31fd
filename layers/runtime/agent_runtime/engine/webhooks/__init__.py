"""Webhooks: signed, retried, observable callbacks for runs' events.

table stream (event items = the outbox) -> dispatch.py -> SQS (queue.py) -> sender.py -> HTTP POST.
Bodies are shaped by the formatter of the door that created the run (a `Formatter` per protocol,
named in functions/manifest.py's WEBHOOK_FORMATTERS), so the engine never knows a protocol's shape.
"""

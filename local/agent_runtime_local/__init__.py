"""The embedded local stack: moto executing the real state machine, our handlers in-process, and an
HTTP gateway on loopback that turns requests into the API Gateway events the cloud sends."""

"""Adapters that host agents written with other frameworks as durable workflows.

Each module imports its framework, an optional extra (`pip install 'agent-runtime[pydantic-ai]'`,
`'agent-runtime[langgraph]'`): only the workflows that use one import it, and the Lambda layer carries
none unless it is built with them (infra/build_layer.sh, LAYER_EXTRAS).
"""

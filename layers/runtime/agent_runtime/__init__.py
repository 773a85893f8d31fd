"""agent-runtime: the shared runtime layer (domain, workflows, stores, orchestration, protocols)."""

__version__ = "0.1.0"

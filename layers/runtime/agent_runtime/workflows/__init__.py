"""The workflow SDK (what step code is written against) and the registry of named, versioned workflows."""

from agent_runtime.workflows.sdk import RetryableStepError, StepContext, Workflow

__all__ = ["RetryableStepError", "StepContext", "Workflow"]

"""The workflow SDK (what step code is written against) and the registry of named, versioned workflows."""

from agent_runtime.workflows.checkpoints import CheckpointKind, Resolution
from agent_runtime.workflows.sdk import RetryableStepError, StepContext, Workflow

__all__ = ["CheckpointKind", "Resolution", "RetryableStepError", "StepContext", "Workflow"]

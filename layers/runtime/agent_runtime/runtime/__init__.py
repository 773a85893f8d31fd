"""The runtime layer: what handlers call. Validates against workflows, applies state changes through
the stores, starts executions. No HTTP here, no boto3 either (that lives in store/ and orchestration)."""

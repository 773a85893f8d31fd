"""The CDK app that deploys agent-runtime: one construct per concern, driven by functions/manifest.py."""

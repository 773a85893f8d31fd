"""The MCP door (Model Context Protocol, 2026-07-28, Streamable HTTP; the Tasks extension): every
workflow is a tool, a tool call is a run, a long run is a task (docs/decisions.md 77)."""

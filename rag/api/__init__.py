"""Doors for other apps: an OpenAI-compatible chat API, an MCP server, and their auth."""

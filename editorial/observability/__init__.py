"""Observability: what an operator sees. For now the request id that every log line of a request
carries (middleware)."""

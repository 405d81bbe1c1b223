"""The triage queue: which pending article the board should review next (docs/architecture.md,
"The triage queue")."""

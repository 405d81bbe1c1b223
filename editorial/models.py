"""Review rounds, assignments and reminders: added with the review workflow."""

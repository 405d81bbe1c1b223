"""Bulk import of articles and their versions (``POST /api/v1/articles/bulk/``, ``manage.py
import_articles``): ``lines`` reads and checks each line, ``writer`` plans and writes a batch of
lines in one transaction, ``history`` writes their historical rows set-based, ``api`` is the edge.
See docs/architecture.md, "Bulk import"."""

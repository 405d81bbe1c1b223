"""The review dossier: everything that happened to an article (or one of its versions) in time
order, for a regulator or a complaint: versions with their hashes, rounds with their bases,
decisions with what they were made under (``snapshots``), transitions with actor and reason, and
webhook deliveries. ``selectors`` reads the entries, ``serializers`` and ``api`` give them as JSON
and CSV, ``admin`` as a printable page."""

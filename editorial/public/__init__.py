"""The public read side: what the site shows for each article, anonymously.

It lives under ``editorial`` rather than ``articles`` because the page names the reviewers who
approved the text, which only the review workflow knows (imports run reviewers <- articles <-
editorial). ``selectors`` decides what is shown, ``serializers`` and ``views`` render it.
"""

from __future__ import annotations

from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "editorial.comments"
    label = "editorial_comments"
    verbose_name = "Review comments"

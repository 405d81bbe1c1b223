from django.urls import path

import config.api.converters  # noqa: F401  (registers the "id" converter)
from editorial.comments import api

urlpatterns = [
    path(
        "articles/<slug:slug>/versions/<number:number>/comments/",
        api.VersionCommentListView.as_view(),
        name="version-comments",
    ),
    path("comments/<id:pk>/replies/", api.CommentReplyView.as_view(), name="comment-replies"),
    path("comments/<id:pk>/resolve/", api.CommentResolveView.as_view(), name="comment-resolve"),
    path("comments/<id:pk>/reopen/", api.CommentReopenView.as_view(), name="comment-reopen"),
]

from django.urls import path

import config.api.converters  # noqa: F401  (registers the "number" converter)
from articles.api import views
from articles.imports.api import BulkImportView

urlpatterns = [
    path("articles/", views.ArticleListCreateView.as_view(), name="article-list"),
    # Before the article's route: "bulk" is a reserved slug (articles.models.RESERVED_SLUGS).
    path("articles/bulk/", BulkImportView.as_view(), name="article-bulk-import"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="article-detail"),
    path(
        "articles/<slug:slug>/versions/<number:number>/",
        views.VersionDetailView.as_view(),
        name="version-detail",
    ),
]

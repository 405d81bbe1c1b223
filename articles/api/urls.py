from django.urls import path

import config.api.converters  # noqa: F401  (registers the "number" converter)
from articles.api import views

urlpatterns = [
    path("articles/", views.ArticleListCreateView.as_view(), name="article-list"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="article-detail"),
    path(
        "articles/<slug:slug>/versions/<number:number>/",
        views.VersionDetailView.as_view(),
        name="version-detail",
    ),
]

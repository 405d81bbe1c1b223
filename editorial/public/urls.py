from django.urls import path

from editorial.public import views

urlpatterns = [
    path("public/articles/", views.PublicArticleListView.as_view(), name="public-article-list"),
    path(
        "public/articles/<slug:slug>/", views.PublicArticleDetailView.as_view(), name="public-article-detail"
    ),
]

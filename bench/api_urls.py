"""The benchmark's URLconf (bench/api_settings.py): the site's URLs and, under /bench/bare/, the
plain Django views it is measured against. Never the site's ROOT_URLCONF."""

from django.urls import path

from bench import bare_views
from config.urls import handler403, handler404, handler500  # noqa: F401 - the site's error pages
from config.urls import urlpatterns as site

urlpatterns = [
    path("bench/bare/articles/", bare_views.articles),
    path("bench/bare/articles/<slug:slug>/", bare_views.article),
    path("bench/bare/articles/<slug:slug>/versions/", bare_views.versions),
    path("bench/bare/assignments/", bare_views.assignments),
    path("bench/bare/public/articles/", bare_views.public_articles),
    path("bench/bare/public/articles/<slug:slug>/", bare_views.public_article),
    *site,
]

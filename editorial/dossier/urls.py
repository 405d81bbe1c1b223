from django.urls import path

from editorial.dossier import api

urlpatterns = [
    path("articles/<slug:slug>/dossier/", api.ArticleDossierView.as_view(), name="article-dossier"),
]

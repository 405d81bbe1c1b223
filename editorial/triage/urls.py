from django.urls import path

from editorial.triage import api

urlpatterns = [
    path("triage/queue/", api.QueueView.as_view(), name="triage-queue"),
    path("triage/page-views/", api.PageViewsView.as_view(), name="triage-page-views"),
]

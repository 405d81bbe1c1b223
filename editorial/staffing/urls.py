from django.urls import path

import config.api.converters  # noqa: F401  (registers the "id" converter)
from editorial.staffing import api

urlpatterns = [
    path("rounds/", api.RoundListView.as_view(), name="round-list"),
    path("rounds/<id:pk>/", api.RoundDetailView.as_view(), name="round-detail"),
    path(
        "rounds/<id:pk>/override-requests/",
        api.OverrideRequestCreateView.as_view(),
        name="round-override-request",
    ),
    path("override-requests/", api.OverrideRequestListView.as_view(), name="override-request-list"),
    path("override-requests/<id:pk>/grant/", api.OverrideGrantView.as_view(), name="override-request-grant"),
    path(
        "override-requests/<id:pk>/decline/",
        api.OverrideDeclineView.as_view(),
        name="override-request-decline",
    ),
]

from django.urls import path

import config.api.converters  # noqa: F401  (registers the "id" converter)
from editorial.webhooks import api

urlpatterns = [
    path("webhooks/endpoints/", api.EndpointListView.as_view(), name="webhook-endpoints"),
    path("webhooks/endpoints/<id:pk>/", api.EndpointDetailView.as_view(), name="webhook-endpoint"),
    path(
        "webhooks/endpoints/<id:pk>/rotate-secret/",
        api.EndpointRotateSecretView.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhooks/endpoints/<id:pk>/deliveries/",
        api.EndpointDeliveryListView.as_view(),
        name="webhook-endpoint-deliveries",
    ),
    path(
        "webhooks/deliveries/<id:pk>/redeliver/",
        api.DeliveryRedeliverView.as_view(),
        name="webhook-delivery-redeliver",
    ),
]

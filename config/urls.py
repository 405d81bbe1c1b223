from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api import auth

admin.site.site_header = "Medical Advisory Board"
admin.site.site_title = "Medical Advisory Board"
admin.site.index_title = "Editorial review"

api_v1 = [
    path("auth/token/", auth.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", auth.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", auth.LogoutAllView.as_view(), name="auth-logout-all"),
    path("", include("articles.api.urls")),
    path("", include("editorial.api.urls")),
    path("", include("editorial.public.urls")),
    path("", include("editorial.staffing.urls")),
    path("", include("editorial.dossier.urls")),
    path("", include("editorial.comments.urls")),
    path("", include("editorial.webhooks.urls")),
    path("", include("editorial.triage.urls")),
]

urlpatterns = [
    # The second factor, between the admin's password and the admin (config/security/)
    path("admin/second-factor/", include("config.security.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from our static files, its start-up script a file of its own (the CSP allows no
    # inline script).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs/swagger_ui.html"),
        name="api-docs",
    ),
    # Sign-in for the browsable API (session authentication)
    path("api-auth/", include("rest_framework.urls")),
    # /health/live, /health/ready, /metrics (ProbeMiddleware answers them first; listed here too)
    path("", include("editorial.observability.urls")),
]

# 404 and 403 in the admin are pages in its layout saying what the member can do instead; elsewhere
# the API's JSON error or Django's plain page (editorial/admin/refusals.py).
handler403 = "editorial.admin.refusals.forbidden"
handler404 = "editorial.admin.refusals.not_found"
handler500 = "config.api.errors.server_error"

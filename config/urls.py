from django.contrib import admin
from django.urls import path

admin.site.site_header = "Medical Advisory Board"
admin.site.site_title = "Medical Advisory Board"
admin.site.index_title = "Editorial review"

urlpatterns = [
    path("admin/", admin.site.urls),
]

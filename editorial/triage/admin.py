"""The triage queue in the admin: a page on the editors-in-chief's desk (``desk``)."""

from django.contrib import admin

from editorial.triage import desk

desk.install(admin.site)  # /admin/desk/triage/

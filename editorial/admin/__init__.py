"""The editorial app in the Django admin: the board members' review desk (``review_desk``), review
rounds (``rounds``) and the editors-in-chief's desk (``editorial.staffing.desk``)."""

from django.contrib import admin

from editorial.admin import review_desk, rounds  # noqa: F401  (register the model admins)
from editorial.dossier import admin as dossier_admin
from editorial.staffing import desk

admin.site.index_template = "editorial/admin/index.html"
desk.install(admin.site)  # the editors-in-chief's desk, /admin/desk/
dossier_admin.install(admin.site)  # the printable review dossier of an article

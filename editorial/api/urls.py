from django.urls import path

import config.api.converters  # noqa: F401  (registers the "id" converter)
from editorial.api import diffs, views

transition = views.ArticleTransitionView.as_view
ARTICLE = "articles/<slug:slug>/"

urlpatterns = [
    path(ARTICLE + "versions/", views.VersionListCreateView.as_view(), name="version-list"),
    # What changed in a version (its default base is the workflow's, so it is served from here).
    path(ARTICLE + "versions/<number:number>/diff/", diffs.VersionDiffView.as_view(), name="version-diff"),
    path(ARTICLE + "submit/", transition(transition="submit"), name="article-submit"),
    path(ARTICLE + "withdraw/", transition(transition="withdraw"), name="article-withdraw"),
    path(ARTICLE + "retire/", transition(transition="retire"), name="article-retire"),
    path(ARTICLE + "restore/", transition(transition="restore"), name="article-restore"),
    path(ARTICLE + "history/", views.ArticleHistoryView.as_view(), name="article-history"),
    path(ARTICLE + "rounds/", views.ArticleRoundsView.as_view(), name="article-rounds"),
    path(ARTICLE + "assignments/", views.ArticleAssignmentCreateView.as_view(), name="article-assign"),
    path(ARTICLE + "auto-assign/", views.ArticleAutoAssignView.as_view(), name="article-auto-assign"),
    path("assignments/", views.AssignmentListView.as_view(), name="assignment-list"),
    path("assignments/<id:pk>/decision/", views.AssignmentDecisionView.as_view(), name="assignment-decision"),
    path("assignments/<id:pk>/decline/", views.AssignmentDeclineView.as_view(), name="assignment-decline"),
    path("assignments/<id:pk>/accept/", views.AssignmentAcceptView.as_view(), name="assignment-accept"),
    path("board-members/", views.BoardMemberListView.as_view(), name="board-member-list"),
]

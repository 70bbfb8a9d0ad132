"""URLs of a lead's member management, under /cohorts/<id>/ (see cohort_manage_views)."""

from django.urls import path

import quizsite.converters  # noqa: F401  (registers the "id" path converter)
from exams import cohort_manage_views

app_name = "cohort_manage"
urlpatterns = [
    path(
        "<id:cohort_id>/members/manage/",
        cohort_manage_views.cohort_manage,
        name="manage",
    ),
    path(
        "<id:cohort_id>/members/remove/",
        cohort_manage_views.cohort_remove,
        name="remove",
    ),
    path(
        "<id:cohort_id>/invitations/<id:invitation_id>/withdraw/",
        cohort_manage_views.invitation_withdraw,
        name="withdraw",
    ),
]

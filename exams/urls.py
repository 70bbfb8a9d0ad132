from django.urls import path

import quizsite.converters  # noqa: F401  (registers the "id" path converter)
from exams import cohort_views, practice_views, views

app_name = "exams"
urlpatterns = [
    path("", views.home, name="home"),
    path("exams/<slug:slug>/start/", views.exam_start, name="exam_start"),
    path("attempts/", views.history, name="history"),
    path("attempts/<id:attempt_id>/", views.attempt_take, name="attempt_take"),
    path(
        "attempts/<id:attempt_id>/items/<id:position>/",
        views.attempt_answer,
        name="attempt_answer",
    ),
    path(
        "attempts/<id:attempt_id>/items/<id:position>/flag/",
        views.attempt_flag,
        name="attempt_flag",
    ),
    path("attempts/<id:attempt_id>/review/", views.attempt_review, name="attempt_review"),
    path("attempts/<id:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
    path("attempts/<id:attempt_id>/time-up/", views.attempt_time_up, name="attempt_time_up"),
    path("attempts/<id:attempt_id>/result/", views.attempt_result, name="attempt_result"),
    path("cohorts/", cohort_views.cohort_list, name="cohort_list"),
    path("cohorts/<id:cohort_id>/", cohort_views.cohort_detail, name="cohort_detail"),
    path(
        "cohorts/<id:cohort_id>/code/",
        cohort_views.cohort_regenerate_code,
        name="cohort_regenerate_code",
    ),
    path(
        "cohorts/<id:cohort_id>/code/close/",
        cohort_views.cohort_close_code,
        name="cohort_close_code",
    ),
    path(
        "cohorts/<id:cohort_id>/members.csv",
        cohort_views.cohort_members_csv,
        name="cohort_members_csv",
    ),
    path(
        "cohorts/<id:cohort_id>/mastery.csv",
        cohort_views.cohort_heatmap_csv,
        name="cohort_heatmap_csv",
    ),
    path(
        "cohorts/<id:cohort_id>/objectives/<id:objective_id>/",
        cohort_views.cohort_objective,
        name="cohort_objective",
    ),
    path(
        "cohorts/<id:cohort_id>/members/<id:user_id>/",
        cohort_views.cohort_member,
        name="cohort_member",
    ),
    path(
        "cohorts/<id:cohort_id>/members/<id:user_id>/attempts/<id:attempt_id>/",
        cohort_views.cohort_member_attempt,
        name="cohort_member_attempt",
    ),
    path("practice/", practice_views.practice_home, name="practice_home"),
    path("practice/start/", practice_views.practice_start, name="practice_start"),
    path("practice/<id:session_id>/", practice_views.practice_session, name="practice_session"),
    path("practice/<id:session_id>/check/", practice_views.practice_check, name="practice_check"),
    path("practice/<id:session_id>/next/", practice_views.practice_next, name="practice_next"),
    path("practice/<id:session_id>/end/", practice_views.practice_end, name="practice_end"),
    path(
        "practice/<id:session_id>/summary/",
        practice_views.practice_summary,
        name="practice_summary",
    ),
]

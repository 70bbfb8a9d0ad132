from django.urls import path

from exams import practice_views, views

app_name = "exams"
urlpatterns = [
    path("", views.home, name="home"),
    path("exams/<slug:slug>/start/", views.exam_start, name="exam_start"),
    path("attempts/", views.history, name="history"),
    path("attempts/<int:attempt_id>/", views.attempt_take, name="attempt_take"),
    path(
        "attempts/<int:attempt_id>/items/<int:position>/",
        views.attempt_answer,
        name="attempt_answer",
    ),
    path(
        "attempts/<int:attempt_id>/items/<int:position>/flag/",
        views.attempt_flag,
        name="attempt_flag",
    ),
    path("attempts/<int:attempt_id>/review/", views.attempt_review, name="attempt_review"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
    path("attempts/<int:attempt_id>/time-up/", views.attempt_time_up, name="attempt_time_up"),
    path("attempts/<int:attempt_id>/result/", views.attempt_result, name="attempt_result"),
    path("practice/", practice_views.practice_home, name="practice_home"),
    path("practice/start/", practice_views.practice_start, name="practice_start"),
    path("practice/<int:session_id>/", practice_views.practice_session, name="practice_session"),
    path("practice/<int:session_id>/check/", practice_views.practice_check, name="practice_check"),
    path("practice/<int:session_id>/next/", practice_views.practice_next, name="practice_next"),
    path("practice/<int:session_id>/end/", practice_views.practice_end, name="practice_end"),
    path(
        "practice/<int:session_id>/summary/",
        practice_views.practice_summary,
        name="practice_summary",
    ),
]

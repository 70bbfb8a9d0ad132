from django.urls import path

from exams import views

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
]

from django.urls import path

from exams import views

app_name = "exams"
urlpatterns = [
    path("", views.home, name="home"),
]

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exams.models import Exam, Question


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    exams = Exam.objects.visible_to(request.user).order_by("title")
    published = Question.objects.published().count()
    return render(request, "exams/home.html", {"exams": exams, "published": published})

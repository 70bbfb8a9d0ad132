"""Practice pages. Check and Next answer htmx with the practice card partial;
without JavaScript they post and redirect to the session page."""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from accounts.decorators import learner_required
from exams import practice
from exams.models import PracticeAnswer, PracticeSession, Question, TaskStatement
from exams.reports import objective_mastery, weakest_objectives
from exams.snapshots import AnswerInvalid, ItemSnapshot

CARD = "exams/practice_session.html#practice-card"


def _session_for_user(request: HttpRequest, session_id: int) -> PracticeSession:
    return get_object_or_404(PracticeSession, pk=session_id, user=request.user)


@learner_required
@require_safe
def practice_home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    mastery = objective_mastery(request.user, now)
    counts = dict(
        Question.objects.published()
        .values("objective_id")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("objective_id", "n")
    )
    tasks = []
    for task in TaskStatement.objects.prefetch_related("objectives"):
        objectives = [
            {"objective": o, "questions": counts.get(o.id, 0), "mastery": mastery.get(o.id)}
            for o in task.objectives.all()
        ]
        if any(o["questions"] for o in objectives):
            tasks.append({"task": task, "objectives": objectives})
    context = {
        "tasks": tasks,
        "open_session": PracticeSession.objects.filter(
            user=request.user, ended_at__isnull=True
        ).first(),
        "weakest": weakest_objectives(request.user, now),
        "recent": PracticeSession.objects.filter(user=request.user, ended_at__isnull=False)
        .annotate(answered=Count("answers"))
        .order_by("-started_at")[:5],
    }
    return render(request, "exams/practice_home.html", context)


@learner_required
@require_POST
def practice_start(request: HttpRequest) -> HttpResponse:
    try:
        session = practice.start_session(
            user=request.user,
            scope=request.POST.get("scope", ""),
            value=request.POST.get("value", ""),
            now=timezone.now(),
        )
    except practice.PracticeError as error:
        return render(request, "exams/error.html", {"message": error.message}, status=error.status)
    return redirect("exams:practice_session", session_id=session.pk)


def _card_context(session: PracticeSession, answer: PracticeAnswer | None = None) -> dict:
    context: dict = {"session": session}
    snapshot = session.current_snapshot
    if snapshot is None:
        return context
    if session.current_checked:
        if answer is None:
            answer = session.answers.order_by("-answered_at").first()
        context["review"] = ItemSnapshot.from_json(snapshot).reviewed(
            answer.response, answer.is_correct
        )
        context["objective"] = snapshot.get("objective")
    else:
        context["shown"] = ItemSnapshot.from_json(snapshot).shown(None)
    return context


@learner_required
@require_safe
def practice_session(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_for_user(request, session_id)
    if not session.is_open:
        return redirect("exams:practice_summary", session_id=session.pk)
    context = _card_context(session)
    context["answered"] = session.answers.count()
    return render(request, "exams/practice_session.html", context)


def _refused(request, session, message: str, status: int) -> HttpResponse:
    if request.htmx:
        # Keep the question on screen; show the message in the card's alert area.
        response = render(
            request,
            "exams/practice_session.html#practice-alert",
            {"message": message},
            status=status,
        )
        return reswap(retarget(response, "#practice-alert"), "outerHTML")
    return render(
        request,
        "exams/error.html",
        {"message": message, "practice_session": session},
        status=status,
    )


@learner_required
@require_POST
def practice_check(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        session, answer = practice.check_answer(
            user=request.user,
            session_id=session_id,
            token=request.POST.get("token", ""),
            data=request.POST,
            now=timezone.now(),
        )
    except PracticeSession.DoesNotExist:
        raise Http404("No such practice session.") from None
    except AnswerInvalid as error:
        return _refused(request, _session_for_user(request, session_id), str(error), 400)
    except practice.PracticeError as error:
        return _refused(
            request, _session_for_user(request, session_id), error.message, error.status
        )
    if not request.htmx:
        return redirect("exams:practice_session", session_id=session.pk)
    return render(request, CARD, _card_context(session, answer))


@learner_required
@require_POST
def practice_next(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_for_user(request, session_id)
    if request.POST.get("token", "") != session.current_token:
        # A second click, or another window already moved on: show where we are.
        message = None
    else:
        try:
            practice.serve_next(session=session, now=timezone.now())
            message = None
        except practice.PracticeError as error:
            message = error.message
    if not request.htmx:
        return redirect("exams:practice_session", session_id=session.pk)
    context = _card_context(session)
    context["message"] = message
    return render(request, CARD, context)


@learner_required
@require_POST
def practice_end(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_for_user(request, session_id)
    practice.end_session(session=session, now=timezone.now())
    url = reverse("exams:practice_summary", args=[session.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@learner_required
@require_safe
def practice_summary(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_for_user(request, session_id)
    summary = practice.summarize(session, timezone.now())
    return render(request, "exams/practice_summary.html", {"session": session, "summary": summary})

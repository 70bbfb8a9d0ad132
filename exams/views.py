"""Learner pages. Views parse, call exams.attempts, and render; htmx requests
get the partial they asked for, plain requests a full page or a redirect."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from accounts.decorators import learner_required
from exams import attempts, grading, reports
from exams.charts import score_trend
from exams.forms import parse_write
from exams.models import Attempt, AttemptItem, Exam, ObjectiveResult
from exams.snapshots import AnswerInvalid, ItemSnapshot


def _get_attempt_for_user(request: HttpRequest, attempt_id: int) -> Attempt:
    """The learner's own attempt, finalized first if its time ran out; 404 otherwise."""
    attempt = get_object_or_404(
        Attempt.objects.select_related("exam"), pk=attempt_id, user=request.user
    )
    return attempts.finalize_if_expired(attempt, _now(request))


def _now(request: HttpRequest):
    """One reading of the server's clock per request: the page's countdown, its
    header and the deadline checks of one response all agree."""
    if not hasattr(request, "_quizsite_now"):
        request._quizsite_now = timezone.now()
    return request._quizsite_now


def _with_clock(request: HttpRequest, response: HttpResponse, attempt: Attempt) -> HttpResponse:
    """Every attempt response re-syncs the page's countdown to the server's clock."""
    seconds = attempt.seconds_left(_now(request))
    if seconds is not None and attempt.status == Attempt.Status.IN_PROGRESS:
        response["X-Seconds-Left"] = str(seconds)
    return response


# --- home and history -----------------------------------------------------


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    exams = list(Exam.objects.visible_to(request.user).order_by("title"))
    context: dict = {"exams": exams}
    if request.user.is_authenticated:
        now = _now(request)
        mine = Attempt.objects.filter(user=request.user).select_related("exam")
        per_exam, running_ids = {}, []
        for exam_id, best, started, current in (
            mine.values("exam_id")
            .order_by()
            .annotate(
                best=Max("scaled_score", filter=Q(status__in=Attempt.FINAL)),
                started=Count("id"),
                current=Max("id", filter=Q(status=Attempt.Status.IN_PROGRESS)),
            )
            .values_list("exam_id", "best", "started", "current")
        ):
            per_exam[exam_id] = (best, started)
            if current is not None:
                running_ids.append(current)
        # Attempts in progress are read only when there are any (one per exam at most).
        in_progress = [
            attempts.finalize_if_expired(a, now)
            for a in (mine.filter(pk__in=running_ids) if running_ids else [])
        ]
        running = {a.exam_id for a in in_progress if a.status == Attempt.Status.IN_PROGRESS}
        for exam in exams:
            exam.my_best, started = per_exam.get(exam.id, (None, 0))
            exam.in_progress = exam.id in running
            exam.refusal_now = exam.refusal(now=now, attempts_started=started)
            if exam.max_attempts is not None:
                exam.attempts_left = max(0, exam.max_attempts - started)
        context["in_progress"] = [
            {"attempt": a, "seconds_left": a.seconds_left(now)}
            for a in in_progress
            if a.status == Attempt.Status.IN_PROGRESS
        ]
        context["recent"] = list(mine.finalized().order_by("-submitted_at")[:5])
        progress = context["progress"] = reports.dashboard(
            request.user, now, exams=exams, recent=context["recent"]
        )
        # Nothing answered, nothing finished, nothing running: a first visit.
        context["has_progress"] = bool(progress["seen"] or progress["readiness"])
        context["first_run"] = not (
            context["in_progress"] or context["recent"] or context["has_progress"]
        )
        # A first visit offers the first exam that can be started now.
        context["first_exam"] = next((e for e in exams if e.refusal_now is None), None)
    return render(request, "exams/home.html", context)


@learner_required
@require_safe
def history(request: HttpRequest) -> HttpResponse:
    finished = Attempt.objects.finalized().filter(user=request.user).select_related("exam")
    page = Paginator(finished.order_by("-submitted_at"), 20).get_page(request.GET.get("page"))
    trend = score_trend(list(finished.order_by("-submitted_at")[:20])[::-1])
    return render(request, "exams/history.html", {"page": page, "trend": trend})


# --- taking an exam -------------------------------------------------------


@learner_required
@require_POST
def exam_start(request: HttpRequest, slug: str) -> HttpResponse:
    exam = get_object_or_404(Exam.objects.visible_to(request.user), slug=slug)
    try:
        attempt = attempts.start_attempt(user=request.user, exam=exam, now=_now(request))
    except attempts.AttemptError as error:
        return render(request, "exams/error.html", {"message": error.message}, status=error.status)
    return redirect("exams:attempt_take", attempt_id=attempt.pk)


def _position(request: HttpRequest, attempt: Attempt, items: list[AttemptItem]) -> int:
    try:
        position = int(request.GET.get("q", ""))
    except ValueError:
        position = next((i.position for i in items if i.answered_at is None), 1)
    return min(max(position, 1), len(items))


@learner_required
@require_safe
def attempt_take(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    if attempt.is_final:
        return redirect("exams:attempt_result", attempt_id=attempt.pk)
    if _time_is_up(request, attempt):
        return _time_up_page(request, attempt)
    items = _item_states(attempt)
    position = _position(request, attempt, items)
    item = AttemptItem.objects.get(attempt=attempt, position=position)
    context = _take_context(request, attempt, items, item)
    return _with_clock(request, render(request, "exams/attempt_take.html", context), attempt)


def _item_states(attempt: Attempt) -> list[AttemptItem]:
    """Every item's position, answered and flagged state (for the navigator)."""
    return list(
        AttemptItem.objects.filter(attempt=attempt)
        .only("position", "answered_at", "flagged")
        .order_by("position")
    )


def _time_is_up(request: HttpRequest, attempt: Attempt) -> bool:
    return attempt.deadline is not None and _now(request) >= attempt.deadline


def _time_up_page(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    """Between the deadline and the end of the grace: answers still on their
    way are being collected; the page reloads itself into the result."""
    wait = (attempt.deadline + attempts.grace() - _now(request)).total_seconds()
    context = {"attempt": attempt, "wait": max(1, math.ceil(wait) + 1)}
    return render(request, "exams/attempt_time_up.html", context)


@dataclass(frozen=True, slots=True)
class NavCell:
    """One button of the question navigator, worked out here once: the grid
    has one per item (65 in the simulation), and the same logic spelled out
    in the template cost a third of the page's rendering."""

    number: str
    css: str
    label: str
    current: bool


def nav_cell(item: AttemptItem, current: int) -> NavCell:
    answered, here = item.answered_at is not None, item.position == current
    css = "nav-cell"
    label = f"Question {item.position}, {'answered' if answered else 'not answered'}"
    if answered:
        css += " is-answered"
    if item.flagged:
        css += " is-flagged"
        label += ", flagged"
    if here:
        css += " is-current"
        label += ", current"
    return NavCell(str(item.position), css, label, here)


def _take_context(
    request: HttpRequest, attempt: Attempt, items: list[AttemptItem], item: AttemptItem
) -> dict:
    answered = sum(1 for i in items if i.answered_at is not None)
    return {
        "attempt": attempt,
        "items": items,
        "cells": [nav_cell(i, item.position) for i in items],
        "item": item,
        "current": item.position,
        "seq": item.seq,
        "writer": secrets.token_hex(8),
        "shown": ItemSnapshot.from_json(item.snapshot).shown(item.response),
        "count": len(items),
        "answered": answered,
        "percent": round(100 * answered / len(items)) if items else 0,
        "seconds_left": attempt.seconds_left(_now(request)),
        "previous": item.position - 1 if item.position > 1 else None,
        "next": item.position + 1 if item.position < len(items) else None,
    }


def _go(request: HttpRequest, attempt: Attempt, position: int) -> HttpResponse:
    """Where a plain (no JavaScript) form post goes after saving."""
    go = request.POST.get("go", "")
    if go == "review":
        return redirect("exams:attempt_review", attempt_id=attempt.pk)
    target = {"next": position + 1, "prev": position - 1}.get(go)
    if target is None:
        target = int(go) if re.fullmatch(r"[0-9]{1,4}", go) else position
    url = reverse("exams:attempt_take", args=[attempt.pk])
    return redirect(f"{url}?q={max(target, 1)}")


def _status(request, attempt, item, *, message, level, answered=None, status=200, fields=False):
    """The item's status with its sequence number; after a save its navigator
    cell and the progress bar, and with `fields` the answer as stored."""
    context = {
        "attempt": attempt,
        "item": item,
        "cell": nav_cell(item, item.position),
        "current": item.position,
        "seq": item.seq,
        "status_message": message,
        "status_level": level,
        "oob": True,
        "fields": fields,
        "answered": answered,
    }
    if fields:
        context["shown"] = ItemSnapshot.from_json(item.snapshot).shown(item.response)
    if answered is not None:
        count = attempt.total
        context.update(count=count, percent=round(100 * answered / count) if count else 0)
    html = render_to_string("exams/attempt_take.html#save-reply", context, request)
    return _with_clock(request, HttpResponse(html, status=status), attempt)


def _refused(request, attempt, position: int, message: str, status: int) -> HttpResponse:
    if request.htmx:
        # Nothing was stored: the page keeps the sequence number it sent.
        context = {
            "seq": request.POST.get("seq", ""),
            "status_message": message,
            "status_level": "error",
        }
        html = render_to_string("exams/attempt_take.html#item-status", context, request)
        return _with_clock(request, HttpResponse(html, status=status), attempt)
    return _with_clock(
        request,
        render(
            request,
            "exams/error.html",
            {"message": message, "attempt": attempt, "position": position},
            status=status,
        ),
        attempt,
    )


@learner_required
@require_POST
def attempt_answer(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    try:
        saved = attempts.save_answer(
            user=request.user,
            attempt_id=attempt_id,
            position=position,
            data=request.POST,
            write=parse_write(request.POST),
            now=_now(request),
        )
    except AttemptItem.DoesNotExist:
        raise Http404("No such question in your attempts.") from None
    except AnswerInvalid as error:
        return _refused(
            request, _get_attempt_for_user(request, attempt_id), position, str(error), 400
        )
    except attempts.StaleWrite as stale:
        current = stale.current
        if not request.htmx:
            return _refused(request, current.item.attempt, position, stale.message, stale.status)
        # Show the answer the server holds, with its version, in place of the page's.
        return _status(
            request,
            current.item.attempt,
            current.item,
            message=stale.message,
            level="error",
            status=stale.status,
            answered=current.answered_count,
            fields=True,
        )
    except attempts.AttemptError as error:
        attempt = _get_attempt_for_user(request, attempt_id)
        return _refused(request, attempt, position, error.message, error.status)
    attempt = saved.item.attempt
    if not request.htmx:
        return _go(request, attempt, position)
    return _status(
        request, attempt, saved.item, message="Saved", level="ok", answered=saved.answered_count
    )


@learner_required
@require_POST
def attempt_flag(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    try:
        item = attempts.set_flag(
            user=request.user,
            attempt_id=attempt_id,
            position=position,
            flagged=request.POST.get("flagged") == "1",
            now=_now(request),
        )
    except AttemptItem.DoesNotExist:
        raise Http404("No such question in your attempts.") from None
    except attempts.AttemptError as error:
        attempt = _get_attempt_for_user(request, attempt_id)
        response = _refused(request, attempt, position, error.message, error.status)
        return reswap(retarget(response, "#item-status"), "outerHTML") if request.htmx else response
    if not request.htmx:
        url = reverse("exams:attempt_take", args=[attempt_id])
        return redirect(f"{url}?q={position}")
    context = {
        "attempt": item.attempt,
        "item": item,
        "cell": nav_cell(item, item.position),
        "current": item.position,
        "oob": True,
    }
    html = render_to_string("exams/attempt_take.html#flag-form", context, request)
    html += render_to_string("exams/attempt_take.html#nav-cell", context, request)
    return _with_clock(request, HttpResponse(html), item.attempt)


@learner_required
@require_safe
def attempt_review(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    if attempt.is_final:
        return redirect("exams:attempt_result", attempt_id=attempt.pk)
    if _time_is_up(request, attempt):
        return _time_up_page(request, attempt)
    items = _item_states(attempt)
    groups = {
        "all": items,
        "unanswered": [i for i in items if i.answered_at is None],
        "flagged": [i for i in items if i.flagged],
    }
    show = request.GET.get("show", "all")
    if show not in groups:
        show = "all"
    context = {
        "attempt": attempt,
        "items": items,
        "unanswered": groups["unanswered"],
        "flagged": groups["flagged"],
        "answered_count": len(items) - len(groups["unanswered"]),
        "show": show,
        "shown_items": groups[show],
        "seconds_left": attempt.seconds_left(_now(request)),
    }
    return _with_clock(request, render(request, "exams/attempt_review.html", context), attempt)


def _to_result(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    url = reverse("exams:attempt_result", args=[attempt.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@learner_required
@require_POST
def attempt_submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    attempt = attempts.submit_attempt(attempt=attempt, now=_now(request))
    return _to_result(request, attempt)


@learner_required
@require_POST
def attempt_time_up(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The page's countdown reached zero. Only the server's clock can end the
    attempt: a claim that arrives early changes nothing, and one inside the
    grace leads to the page that waits for answers still on their way."""
    attempt = _get_attempt_for_user(request, attempt_id)
    attempt = attempts.expire_attempt(attempt=attempt, now=_now(request))
    if attempt.is_final:
        return _to_result(request, attempt)
    url = reverse("exams:attempt_take", args=[attempt.pk])
    return _with_clock(
        request, HttpResponseClientRedirect(url) if request.htmx else redirect(url), attempt
    )


@learner_required
@require_safe
def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = _get_attempt_for_user(request, attempt_id)
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return redirect("exams:attempt_take", attempt_id=attempt.pk)
    context = result_context(attempt, request.GET.get("show", "all"))
    return render(request, "exams/attempt_result.html", context)


RESULT_FILTERS = ("all", "incorrect", "flagged")
STUDY_NEXT_BELOW = 70  # per cent of an objective's items correct


def result_context(attempt: Attempt, show: str = "all") -> dict:
    """What the result page shows of a finalized attempt (the learner's own
    page and a team lead's read-only review); `show` filters the items."""
    objectives = sorted(
        ObjectiveResult.objects.filter(attempt=attempt).select_related("objective"),
        key=lambda r: (r.correct / r.total if r.total else 0, r.objective.code),
    )
    for result in objectives:
        result.percent = round(100 * result.correct / result.total) if result.total else 0
    items = AttemptItem.objects.filter(attempt=attempt).select_related("objective")
    reviews = [
        {
            "position": item.position,
            "objective": item.objective,
            "scored": item.scored,
            "flagged": item.flagged,
            "review": ItemSnapshot.from_json(item.snapshot).reviewed(
                item.response, item.is_correct
            ),
        }
        for item in items.order_by("position")
    ]
    # Unscored items are listed apart, after the ones that counted.
    unscored = [r for r in reviews if not r["scored"]]
    reviews = [r for r in reviews if r["scored"]]
    counts = {
        "all": len(reviews),
        "incorrect": sum(1 for r in reviews if not r["review"]["is_correct"]),
        "flagged": sum(1 for r in reviews if r["flagged"]),
    }
    if show not in RESULT_FILTERS:
        show = "all"
    shown = [
        r
        for r in reviews
        if show == "all"
        or (show == "incorrect" and not r["review"]["is_correct"])
        or (show == "flagged" and r["flagged"])
    ]
    end = min(attempt.submitted_at, attempt.deadline) if attempt.deadline else attempt.submitted_at
    return {
        "attempt": attempt,
        "objectives": objectives,
        "study_next": [r.objective for r in objectives if r.percent < STUDY_NEXT_BELOW][:3],
        "reviews": shown,
        "unscored_reviews": unscored,
        "show": show,
        "counts": counts,
        "needed": grading.correct_needed_to_pass(
            attempt.raw_score or 0, attempt.scored_count, attempt.pass_mark
        ),
        "band": {
            "score": round(((attempt.scaled_score or 100) - 100) / 9, 1),
            "pass": round((attempt.pass_mark - 100) / 9, 1),
        },
        "time_used": end - attempt.started_at,
    }


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")

"""Team-lead pages: the cohorts I lead, their progress, members and CSVs.

Every view starts from `_cohort_for_lead`: a cohort this user leads, or 404.
Members are looked up inside that cohort only.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from accounts.cohorts import regenerate_code
from accounts.decorators import learner_required
from accounts.models import Cohort, Membership, User
from exams import reports
from exams.charts import score_trend, weekly_trend
from exams.forms import SORTS, CohortFilterForm
from exams.models import Attempt, Exam
from exams.spreadsheets import csv_response
from exams.views import result_context

PAGE_SIZE = 25
REPORT_SECONDS = 60


def _cohort_for_lead(request: HttpRequest, cohort_id: int) -> Cohort:
    return get_object_or_404(Cohort.objects.led_by(request.user), pk=cohort_id)


def _member(cohort: Cohort, user_id: int) -> User:
    return get_object_or_404(
        User,
        pk=user_id,
        memberships__cohort=cohort,
        memberships__role=Membership.Role.LEARNER,
    )


def _report(request: HttpRequest, cohort: Cohort):
    """The cohort's report for the page's filters, sorted.

    A report costs about as much as a few hundred exam requests for a large
    cohort, and leads refresh it during exams, so each one is kept for
    REPORT_SECONDS (per filter set) and the page says when it was computed.
    """
    form = CohortFilterForm(request.GET or None, exams=Exam.objects.order_by("title"))
    valid = form.is_valid() if request.GET else True
    data = form.cleaned_data if request.GET and valid else {}
    start, end = form.bounds() if request.GET and valid else (None, None)
    exam = data.get("exam")
    bounds = ":".join(f"{b:%Y%m%d}" if b else "-" for b in (start, end))
    key = f"cohort-report:{cohort.pk}:{exam.pk if exam else '-'}:{bounds}"
    report = cache.get(key)
    if report is None:
        report = reports.cohort_report(cohort, now=timezone.now(), exam=exam, start=start, end=end)
        cache.set(key, report, REPORT_SECONDS)
    sort = data.get("sort") or "name"
    members = sorted(report.members, key=SORTS[sort.lstrip("-")], reverse=sort.startswith("-"))
    return form, replace(report, members=members), sort


@learner_required
@require_safe
def cohort_list(request: HttpRequest) -> HttpResponse:
    cohorts = (
        Cohort.objects.led_by(request.user)
        .annotate(
            learners=Count(
                "memberships", filter=Q(memberships__role=Membership.Role.LEARNER), distinct=True
            )
        )
        .order_by("name")
    )
    return render(request, "exams/cohort_list.html", {"cohorts": cohorts})


@learner_required
@require_safe
def cohort_detail(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    form, report, sort = _report(request, cohort)
    page = Paginator(report.members, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "cohort": cohort,
        "form": form,
        "report": report,
        "page": page,
        "sort": sort,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "ready": [m for m in report.members if m.ready],
        "report_seconds": REPORT_SECONDS,
        "trend": weekly_trend(report.trend),
        "columns": [
            ("name", "Name"),
            ("last_active", "Last active"),
            ("attempts", "Attempts"),
            ("best", "Best"),
            ("latest", "Latest"),
            ("mastery", "Mastery"),
            ("ready", "Ready to book"),
        ],
    }
    return render(request, "exams/cohort_detail.html", context)


@learner_required
@require_POST
def cohort_regenerate_code(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    regenerate_code(cohort=cohort, expires_at=cohort.join_code_expires_at)
    messages.success(request, f"New join code: {cohort.join_code}. The old code no longer works.")
    return redirect("exams:cohort_detail", cohort_id=cohort.pk)


@learner_required
@require_safe
def cohort_member(request: HttpRequest, cohort_id: int, user_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    member = _member(cohort, user_id)
    now = timezone.now()
    mastery = reports.objective_mastery(member, now)
    attempts = list(
        Attempt.objects.finalized()
        .filter(user=member)
        .select_related("exam")
        .order_by("-submitted_at")
    )
    dashboard = reports.dashboard(member, now, mastery=mastery)
    context = {
        "cohort": cohort,
        "member": member,
        "attempts": attempts,
        "progress": dashboard,
        "trend": score_trend(attempts[:20][::-1]),
    }
    return render(request, "exams/cohort_member.html", context)


@learner_required
@require_safe
def cohort_member_attempt(
    request: HttpRequest, cohort_id: int, user_id: int, attempt_id: int
) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    member = _member(cohort, user_id)
    attempt = get_object_or_404(
        Attempt.objects.finalized().select_related("exam"), pk=attempt_id, user=member
    )
    context = {
        **result_context(attempt, request.GET.get("show", "all")),
        "viewer": {"cohort": cohort, "member": member},
    }
    return render(request, "exams/attempt_result.html", context)


@learner_required
@require_safe
def cohort_members_csv(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    _, report, _ = _report(request, cohort)
    header = [
        "username",
        "name",
        "last active (UTC)",
        "attempts",
        "best score",
        "latest score",
        "latest passed",
        "ready to book",
        "mastery %",
    ]
    rows = (
        [
            m.user.username,
            m.name,
            m.last_active.strftime("%Y-%m-%d %H:%M") if m.last_active else "",
            m.attempts,
            m.best,
            m.latest,
            m.latest_passed,
            m.ready,
            m.mastery,
        ]
        for m in report.members
    )
    return csv_response(f"{slugify(cohort.name)}-members.csv", header, rows)


@learner_required
@require_safe
def cohort_heatmap_csv(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    _, report, _ = _report(request, cohort)
    header = ["username", "name"] + [f"{o.code} {o.title}" for o in report.objectives]
    rows = (
        [m.user.username, m.name] + [m.cells.get(o.id) for o in report.objectives]
        for m in report.members
    )
    return csv_response(f"{slugify(cohort.name)}-mastery.csv", header, rows)

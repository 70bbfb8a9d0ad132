"""Team-lead pages: the cohorts I lead, their progress, members and CSVs.

Every view starts from `_cohort_for_lead`: a cohort this user leads, or 404.
Members are looked up inside that cohort only.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe

from accounts.cohorts import close_code, code_is_open, regenerate_code
from accounts.decorators import learner_required
from accounts.models import Cohort, Membership, User
from exams import reports
from exams.charts import score_trend, weekly_trend
from exams.forms import SORTS, CohortFilterForm
from exams.models import Attempt, Exam, Objective
from exams.spreadsheets import csv_response
from exams.views import result_context

PAGE_SIZE = 25
READY_PAGE_SIZE = 20


def _cohort_for_lead(request: HttpRequest, cohort_id: int) -> Cohort:
    return get_object_or_404(Cohort.objects.led_by(request.user), pk=cohort_id)


def _member(cohort: Cohort, user_id: int) -> User:
    return get_object_or_404(
        User,
        pk=user_id,
        memberships__cohort=cohort,
        memberships__role=Membership.Role.LEARNER,
    )


def _matches(member: reports.MemberRow, words: list[str]) -> bool:
    text = f"{member.username} {member.first_name} {member.last_name} {member.email}".casefold()
    return all(word in text for word in words)


def _report(request: HttpRequest, cohort: Cohort, now):
    """The cohort's report for the page's filters: members searched, filtered, sorted.

    Computed fresh on every request (no cache): it reads the rollups, so it
    costs a constant number of queries whose size grows with members, not with
    answers, and a membership change shows at once.
    """
    exams = Exam.objects.open_to_cohort(cohort).order_by("title")
    form = CohortFilterForm(request.GET or None, exams=exams)
    valid = form.is_valid() if request.GET else True
    data = form.cleaned_data if request.GET and valid else {}
    start, end = form.bounds() if request.GET and valid else (None, None)
    report = reports.cohort_report(
        cohort, now=now, exams=list(exams), exam=data.get("exam"), start=start, end=end
    )
    members = report.members
    words = (data.get("q") or "").casefold().split()
    if words:
        members = [m for m in members if _matches(m, words)]
    if data.get("inactive"):
        cutoff = now - timedelta(days=reports.INACTIVE_DAYS)
        members = [m for m in members if m.last_active is None or m.last_active < cutoff]
    sort = data.get("sort") or "name"
    if sort.lstrip("-") == "forecast":
        reports.fill_in(report, members, now)  # every member's forecast, to sort on
    key = SORTS[sort.lstrip("-")]
    members = sorted(members, key=lambda m: (key(m), m.username), reverse=sort[0] == "-")
    return form, data, report, members, sort


def _query(request: HttpRequest, *drop: str) -> str:
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


@learner_required
@require_safe
def cohort_list(request: HttpRequest) -> HttpResponse:
    learners = (
        Membership.objects.filter(cohort=OuterRef("pk"), role=Membership.Role.LEARNER)
        .values("cohort")
        .annotate(n=Count("id"))
        .values("n")
    )
    # Counted in a subquery: led_by() joins the memberships to find the lead,
    # and counting over that join would count the lead's row, not the learners.
    cohorts = (
        Cohort.objects.led_by(request.user)
        .annotate(learners=Coalesce(Subquery(learners), 0))
        .order_by("name")
    )
    return render(request, "exams/cohort_list.html", {"cohorts": cohorts})


@learner_required
@require_safe
def cohort_detail(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    now = timezone.now()
    form, data, report, members, sort = _report(request, cohort, now)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    reports.fill_in(report, page.object_list, now)
    ready = Paginator(report.ready, READY_PAGE_SIZE).get_page(request.GET.get("ready_page"))
    reports.quote_evidence(report, [*page.object_list, *ready.object_list])
    trend_exam = data.get("exam") or (report.readiness_exams[0] if report.readiness_exams else None)
    context = {
        "cohort": cohort,
        "code_open": code_is_open(cohort, now),
        "form": form,
        "report": report,
        "members": members,
        "page": page,
        "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=2)),
        "ready": ready,
        "ready_rule": reports.READY_RULE,
        "sort": sort,
        "query": _query(request, "page"),
        "sort_query": _query(request, "page", "sort"),
        "ready_query": _query(request, "ready_page"),
        "trend": weekly_trend(report.trend, trend_exam.pass_mark if trend_exam else 700),
        "trend_exam": trend_exam,
        "inactive_days": reports.INACTIVE_DAYS,
        "columns": [
            ("name", "Name", ""),
            ("username", "Username", ""),
            ("last_active", "Last active", ""),
            ("attempts", "Attempts", "num"),
            ("best", "Best", "num"),
            ("latest", "Latest", "num"),
            ("mastery", "Mastery", "num"),
            ("forecast", "Forecast", ""),
            ("ready", "Ready to book", ""),
        ],
    }
    return render(request, "exams/cohort_detail.html", context)


@learner_required
@require_safe
def cohort_objective(request: HttpRequest, cohort_id: int, objective_id: int) -> HttpResponse:
    """The questions of an objective the cohort misses most (what to teach next)."""
    cohort = _cohort_for_lead(request, cohort_id)
    objective = get_object_or_404(
        Objective.objects.select_related("task_statement"), pk=objective_id
    )
    context = {
        "cohort": cohort,
        "objective": objective,
        "questions": reports.missed_questions(cohort, objective),
    }
    return render(request, "exams/cohort_objective.html", context)


@learner_required
@require_POST
def cohort_regenerate_code(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    regenerate_code(cohort=cohort, now=timezone.now())
    messages.success(request, f"New join code: {cohort.join_code}. The old code no longer works.")
    return redirect("exams:cohort_detail", cohort_id=cohort.pk)


@learner_required
@require_POST
def cohort_close_code(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    close_code(cohort=cohort, now=timezone.now())
    messages.success(
        request,
        "The join code no longer works: nobody can join with it. Members stay; "
        "make a new code to let people join again.",
    )
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
    dashboard = reports.dashboard(member, now, mastery=mastery, cohort=cohort)
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
    now = timezone.now()
    _, _, report, members, _ = _report(request, cohort, now)
    reports.fill_in(report, members, now)
    header = [
        "username",
        "name",
        "email",
        "last active (UTC)",
        "attempts",
        "best score",
        "latest score",
        "latest passed",
        "ready to book",
        "mastery %",
        "forecast score",
        "forecast low (80%)",
        "forecast high (80%)",
        "P(pass)",
    ]
    rows = (
        [
            m.username,
            m.name,
            m.email,
            m.last_active.strftime("%Y-%m-%d %H:%M") if m.last_active else "",
            m.attempts,
            m.best,
            m.latest,
            m.latest_passed,
            m.ready,
            m.mastery,
            *(
                (m.forecast.score, m.forecast.low, m.forecast.high, round(m.forecast.p_pass, 2))
                if m.forecast
                else ("", "", "", "")
            ),
        ]
        for m in members
    )
    return csv_response(f"{slugify(cohort.name)}-members.csv", header, rows, bom=_bom(request))


@learner_required
@require_safe
def cohort_heatmap_csv(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    now = timezone.now()
    _, _, report, members, _ = _report(request, cohort, now)
    reports.fill_in(report, members, now)
    header = ["username", "name"] + [f"{o.code} {o.title}" for o in report.objectives]
    rows = ([m.username, m.name] + [m.cells.get(o.id) for o in report.objectives] for m in members)
    return csv_response(f"{slugify(cohort.name)}-mastery.csv", header, rows, bom=_bom(request))


def _bom(request: HttpRequest) -> bool:
    """?bom=1: start the file with a byte order mark, for Excel."""
    return request.GET.get("bom") == "1"

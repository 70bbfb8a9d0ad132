"""A team lead manages their own cohort's members: add in bulk, remove, invite.

Every view starts from the cohort page's own lookup (a cohort this user
leads, or 404); the work is done by accounts/membership.py, shared with the
admin. Leads add and remove learners; staff name leads in the admin.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts import membership
from accounts.decorators import learner_required
from accounts.forms import BulkMembersForm
from accounts.models import Cohort, Invitation, Membership
from exams.cohort_views import _cohort_for_lead
from quizsite.converters import IdConverter

PAGE_SIZE = 50


def _page(request: HttpRequest, cohort: Cohort, form: BulkMembersForm, report=None, status=200):
    search = request.GET.get("q", "").strip()[:100]
    members = (
        Membership.objects.filter(cohort=cohort, role=Membership.Role.LEARNER)
        .select_related("user")
        .order_by("user__username")
    )
    if search:
        members = members.filter(
            Q(user__username__icontains=search)
            | Q(user__email__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    context = {
        "cohort": cohort,
        "form": form,
        "report": report,
        "invite": bool(form["invite"].value()),
        "search": search,
        "search_query": urlencode({"q": search}) if search else "",
        "blockers": report.blockers(invite=bool(form["invite"].value())) if report else [],
        "page": Paginator(members, PAGE_SIZE).get_page(request.GET.get("page")),
        "invitations": Invitation.objects.filter(cohort=cohort)
        .pending(timezone.now())
        .select_related("invited_by")
        .order_by("email"),
    }
    return render(request, "exams/cohort_manage.html", context, status=status)


@learner_required
@require_http_methods(["GET", "HEAD", "POST"])
def cohort_manage(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    if request.method != "POST":
        return _page(request, cohort, BulkMembersForm())
    form = BulkMembersForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, cohort, form, status=400)
    data = form.cleaned_data
    again = BulkMembersForm(initial={"names": data["text"], "invite": data["invite"]})
    try:
        if "add" not in request.POST:
            report = membership.check_members(cohort=cohort, text=data["text"])
            return _page(request, cohort, again, report)
        result = membership.add_members(
            cohort=cohort,
            text=data["text"],
            invite=data["invite"],
            invited_by=request.user,
            now=timezone.now(),
            link=membership.invitation_link(request),
        )
    except membership.MembershipError as error:
        messages.error(request, str(error))
        return _page(request, cohort, again, getattr(error, "report", None), status=400)
    messages.success(request, membership.result_message(result))
    return redirect("cohort_manage:manage", cohort_id=cohort.pk)


def _member_id(value: str) -> int:
    """A user id as the URLs take one, or ValueError: an id too large for the
    database is refused here, not left to fail there (SQLite raises)."""
    if not re.fullmatch(IdConverter.regex, value):
        raise ValueError(value)
    return int(value)


@learner_required
@require_POST
def cohort_remove(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    try:
        ids = [_member_id(value) for value in request.POST.getlist("member")]
        removed = membership.remove_members(cohort=cohort, user_ids=ids)
    except ValueError:
        messages.error(request, "Nothing was removed: the selection was not understood.")
    except membership.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Removed {removed} {'member' if removed == 1 else 'members'}.")
    return redirect("cohort_manage:manage", cohort_id=cohort.pk)


@learner_required
@require_POST
def invitation_withdraw(request: HttpRequest, cohort_id: int, invitation_id: int) -> HttpResponse:
    cohort = _cohort_for_lead(request, cohort_id)
    try:
        invitation = membership.withdraw_invitation(
            cohort=cohort, invitation_id=invitation_id, now=timezone.now()
        )
    except membership.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Withdrew the invitation to {invitation.email}.")
    return redirect("cohort_manage:manage", cohort_id=cohort.pk)

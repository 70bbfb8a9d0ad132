"""People in the admin.

A cohort's page shows counts and its leads, never its memberships inline (a
cohort of thousands would make the page megabytes long and its form too big to
save). Members are managed on the paginated, searchable Membership list and
added in bulk from the cohort's "Add members" page (accounts/membership.py).
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode

from accounts import membership
from accounts.forms import StaffBulkMembersForm
from accounts.models import Cohort, Invitation, Membership, User

LEADS_SHOWN = 20


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, ("Preferences", {"fields": ("time_zone",)}))


def _count(role: str) -> Count:
    return Count("memberships", filter=Q(memberships__role=role), distinct=True)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "learner_count", "lead_count", "join_code", "join_code_expires_at"]
    search_fields = ["name"]
    fields = ["name", "join_code", "join_code_expires_at", "created_at", "people", "leads"]
    readonly_fields = ["created_at", "people", "leads"]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                learners=_count(Membership.Role.LEARNER),
                leads_=_count(Membership.Role.LEAD),
            )
        )

    @admin.display(description="Learners", ordering="learners")
    def learner_count(self, cohort: Cohort) -> int:
        return cohort.learners

    @admin.display(description="Team leads", ordering="leads_")
    def lead_count(self, cohort: Cohort) -> int:
        return cohort.leads_

    def _memberships_url(self, cohort: Cohort, **filters: str) -> str:
        query = urlencode({"cohort__id__exact": cohort.pk, **filters})
        return f"{reverse('admin:accounts_membership_changelist')}?{query}"

    @admin.display(description="Members")
    def people(self, cohort: Cohort) -> str:
        if not cohort.pk:
            return "Save the cohort, then add its members."
        pending = Invitation.objects.filter(cohort=cohort).pending(timezone.now()).count()
        return format_html(
            '<a href="{}">{} learners</a> · <a href="{}">{} team leads</a> · {} pending '
            'invitations · <a href="{}">Add members in bulk</a>',
            self._memberships_url(cohort, role__exact=Membership.Role.LEARNER),
            cohort.learners,
            self._memberships_url(cohort, role__exact=Membership.Role.LEAD),
            cohort.leads_,
            pending,
            reverse("admin:accounts_cohort_add_members", args=[cohort.pk]),
        )

    @admin.display(description="Team leads")
    def leads(self, cohort: Cohort) -> str:
        if not cohort.pk:
            return "–"
        leads = list(
            User.objects.filter(memberships__cohort=cohort, memberships__role=Membership.Role.LEAD)
            .order_by("username")
            .only("id", "username")[: LEADS_SHOWN + 1]
        )
        if not leads:
            return "None yet: add one as a “Team lead” in bulk or on the membership list."
        shown = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:accounts_user_change", args=[u.pk]), u.username) for u in leads),
        )
        if len(leads) > LEADS_SHOWN:
            more = self._memberships_url(cohort, role__exact=Membership.Role.LEAD)
            return format_html('{} … <a href="{}">all leads</a>', shown, more)
        return shown

    def get_urls(self):
        add_members = path(
            "<path:object_id>/members/add/",
            self.admin_site.admin_view(self.add_members_view),
            name="accounts_cohort_add_members",
        )
        return [add_members, *super().get_urls()]

    def add_members_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        cohort = get_object_or_404(Cohort, pk=object_id)
        membership_admin = self.admin_site.get_model_admin(Membership)
        if not (
            self.has_view_permission(request, cohort)
            and membership_admin.has_add_permission(request)
        ):
            raise PermissionDenied
        form = StaffBulkMembersForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if "add" in request.POST:
                try:
                    result = membership.add_members(
                        cohort=cohort,
                        text=data["text"],
                        role=data["role"],
                        invite=data["invite"],
                        invited_by=request.user,
                        now=timezone.now(),
                        link=membership.invitation_link(request),
                    )
                except membership.MembershipError as error:
                    messages.error(request, str(error))
                    report = getattr(error, "report", None)
                else:
                    messages.success(request, membership.result_message(result))
                    return redirect("admin:accounts_cohort_change", cohort.pk)
            else:
                try:
                    report = membership.check_members(
                        cohort=cohort, text=data["text"], role=data["role"]
                    )
                except membership.MembershipError as error:
                    messages.error(request, str(error))
            form = StaffBulkMembersForm(
                initial={"names": data["text"], "role": data["role"], "invite": data["invite"]}
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": cohort,
            "cohort": cohort,
            "title": f"Add members to {cohort.name}",
            "form": form,
            "report": report,
            "invite": bool(form["invite"].value()),
            "blockers": report.blockers(invite=bool(form["invite"].value())) if report else [],
        }
        return TemplateResponse(request, "admin/accounts/cohort/add_members.html", context)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "user_email", "cohort", "role", "joined_at"]
    list_filter = ["role", "cohort"]
    search_fields = [
        "user__username",
        "user__email",
        "user__first_name",
        "user__last_name",
        "cohort__name",
    ]
    autocomplete_fields = ["user", "cohort"]
    list_select_related = ["user", "cohort"]
    list_per_page = 100
    ordering = ["cohort__name", "user__username"]
    date_hierarchy = None

    @admin.display(description="Email", ordering="user__email")
    def user_email(self, obj: Membership) -> str:
        return obj.user.email


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: invitations are sent from a cohort's "Add members" page."""

    list_display = ["email", "cohort", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["cohort"]
    search_fields = ["email", "cohort__name"]
    list_select_related = ["cohort", "invited_by"]
    readonly_fields = [
        "cohort",
        "email",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "withdrawn_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

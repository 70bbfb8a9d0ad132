import logging

from django.contrib import messages
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.http import require_http_methods, require_POST

from accounts.cohorts import join_cohort, leave_cohort
from accounts.decorators import learner_required
from accounts.forms import EmailForm, JoinCohortForm, SignUpForm
from accounts.membership import InvitationError, accept_invitation, find_invitation
from accounts.models import LOOKALIKE_USERNAME, Cohort, Membership

security_log = logging.getLogger("quizsite.security")


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("exams:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:
            # A concurrent sign-up took this name or a look-alike after our check.
            form.add_error("username", LOOKALIKE_USERNAME)
        else:
            if form.cleaned_data.get("join_code"):
                cohort = join_cohort(
                    user=user, code=form.cleaned_data["join_code"], now=timezone.now()
                )
                messages.success(request, f"Welcome! You have joined {cohort.name}.")
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            target = request.POST.get("next", "")
            if not url_has_allowed_host_and_scheme(
                target, {request.get_host()}, request.is_secure()
            ):
                target = "exams:home"
            return redirect(target)
    return render(
        request, "accounts/signup.html", {"form": form, "next": request.GET.get("next", "")}
    )


@learner_required
def profile(request: HttpRequest) -> HttpResponse:
    """The account page: its email address (two forms, told apart by `action`)
    and its cohorts."""
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action") if posted else None
    email_form = EmailForm(posted if action == "email" else None, instance=request.user)
    form = JoinCohortForm(posted if action != "email" else None)
    if action == "email" and email_form.is_valid():
        email_form.save()
        messages.success(request, f"Your email address is now {request.user.email}.")
        return redirect("accounts:profile")
    if posted is not None and action != "email" and form.is_valid():
        cohort = join_cohort(
            user=request.user, code=form.cleaned_data["join_code"], now=timezone.now()
        )
        messages.success(request, f"You have joined {cohort.name}.")
        return redirect("accounts:profile")
    memberships = Membership.objects.filter(user=request.user).select_related("cohort")
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "email_form": email_form, "memberships": memberships},
    )


@learner_required
@require_POST
def leave(request: HttpRequest, cohort_id: int) -> HttpResponse:
    cohort = get_object_or_404(
        Cohort,
        pk=cohort_id,
        memberships__user=request.user,
        memberships__role=Membership.Role.LEARNER,
    )
    leave_cohort(user=request.user, cohort=cohort)
    messages.success(request, f"You have left {cohort.name}.")
    return redirect("accounts:profile")


@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: sign up or log in, then join the cohort it names."""
    now = timezone.now()
    try:
        invitation = find_invitation(token=token, now=now)
        if request.method == "POST" and request.user.is_authenticated:
            cohort, added = accept_invitation(token=token, user=request.user, now=now)
            if added:
                messages.success(request, f"You have joined {cohort.name}.")
            else:
                messages.info(request, f"You are already in {cohort.name}.")
            return redirect("accounts:profile")
    except InvitationError as error:
        return render(request, "accounts/invitation.html", {"error": str(error)}, status=404)
    return render(
        request,
        "accounts/invitation.html",
        {"invitation": invitation, "next": request.get_full_path()},
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """An htmx request whose page holds an old CSRF token (the learner logged in
    again in another tab, which rotates the token) is told so, and handed the
    current token: the page keeps what the learner did on screen, says that it
    was not saved, and sends it again (static/js/site.js). A cross-site
    request learns nothing from this: it cannot read the response. Other
    requests get Django's explanation."""
    security_log.warning(
        "CSRF failure on %s for %s: %s", request.path, request.user, reason or "no reason"
    )
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(
            "Not saved: you signed in again in another window.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
        response["X-CSRF-Token"] = get_token(request)
        return response
    return django_csrf_failure(request, reason)

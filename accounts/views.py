from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.csrf import csrf_failure as django_csrf_failure

from accounts.forms import SignUpForm


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("exams:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = "exams:home"
        return redirect(target)
    return render(
        request, "accounts/signup.html", {"form": form, "next": request.GET.get("next", "")}
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """htmx requests with a stale CSRF token (the learner logged in again in
    another tab) reload the page, which saves nothing silently and shows the
    saved state; other requests get Django's explanation."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse("This page is out of date: reloading.", status=403)
        response["HX-Refresh"] = "true"
        return response
    return django_csrf_failure(request, reason)

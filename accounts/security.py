"""Security logging: failed logins (denied access is logged by django.request)."""

import logging

from django.contrib.auth.signals import user_logged_in, user_login_failed

log = logging.getLogger("quizsite.security")


def _address(request) -> str:
    if request is None:
        return "-"
    return request.META.get("REMOTE_ADDR", "-")


def log_failed_login(sender, credentials, request=None, **kwargs) -> None:
    log.warning("failed login for %r from %s", credentials.get("username", ""), _address(request))


def log_login(sender, request, user, **kwargs) -> None:
    log.info("login: %s from %s", user.get_username(), _address(request))


def connect() -> None:
    user_login_failed.connect(log_failed_login, dispatch_uid="quizsite-failed-login")
    user_logged_in.connect(log_login, dispatch_uid="quizsite-login")

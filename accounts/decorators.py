"""Authentication for pages that htmx also talks to."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode


def learner_required(view: Callable) -> Callable:
    """login_required that answers htmx requests with 401 and a redirect header.

    A plain redirect would be followed by the browser's XMLHttpRequest, and
    htmx would swap the login page into the question as if the answer were
    saved. The login page brings the learner back to the page they were on.
    """
    plain = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated or not getattr(request, "htmx", False):
            return plain(request, *args, **kwargs)
        current = request.htmx.current_url or request.get_full_path()
        parts = urlsplit(current)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
        response = HttpResponse("Your session has ended: log in again.", status=401)
        response["HX-Redirect"] = f"{settings.LOGIN_URL}?{urlencode({'next': back})}"
        return response

    return wrapper

"""Requests the site cannot serve normally: bodies Django cannot parse safely
(400, before anything reads them) and a database that is down (503)."""

import codecs
import logging
import sys
from collections.abc import Callable
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
outage_log = logging.getLogger("quizsite.outage")


class RequestBodyMiddleware:
    """Answer 400 to a form body that is not UTF-8, or not valid in it.

    Django refuses a non-UTF-8 urlencoded body with BadRequest but, unlike a bad
    multipart body, leaves request.POST unparsed; the 400 handler's CSRF check
    then reads it again, raises again, and the client gets a 500 in every mode.
    Here such a body is refused once, with POST and FILES marked empty so the
    error page (or the debug page, which lists them) never parses it again.
    Bodies that Django would quietly decode as Latin-1 or with U+FFFD instead of
    what the sender meant are refused too: a username must arrive as typed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type in (FORM, MULTIPART):
            problem = body_problem(request)
            if problem:
                # Django's own way to say "this body is spent" (see its multipart branch).
                request._mark_post_parse_error()
                raise BadRequest(problem)
        return self.get_response(request)


def body_problem(request: HttpRequest) -> str | None:
    """Why this form body cannot be read as sent, or None if it can."""
    charset = request.content_params.get("charset")
    if charset is not None:
        try:
            name = codecs.lookup(charset).name
        except LookupError:
            return f"Unknown charset {charset!r}: send form data as UTF-8."
        if name != "utf-8":
            return f"Form data must be UTF-8, not {charset!r}."
        # Django compares the label literally, so "utf8" would be refused later.
        request.encoding = "utf-8"
    if request.content_type == MULTIPART:
        return None  # Django's parser answers 400 to a bad boundary or part itself.
    try:
        parse_qsl(
            request.body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except UnicodeDecodeError:
        return "Form data is not valid UTF-8."
    except ValueError:
        return "The form has too many fields."
    return None


RETRY_AFTER_SECONDS = 5
OUTAGE_MESSAGE = "The database is not answering right now. Nothing was lost: try again in a moment."


def is_outage(error: BaseException) -> bool:
    """The database cannot be reached or dropped the connection (not a bug of ours)."""
    return isinstance(error, OperationalError | InterfaceError)


def outage_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: load balancers and the exam page's autosave retry."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(
            OUTAGE_MESSAGE, status=503, content_type="text/plain; charset=utf-8"
        )
    else:
        response = HttpResponse(
            render_to_string("503.html", {"message": OUTAGE_MESSAGE}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseOutageMiddleware:
    """A view that finds the database down answers 503 with Retry-After, in
    every mode; `server_error` does the same for what fails outside a view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_outage(exception):
            outage_log.error("database unavailable on %s: %s", request.path, exception)
            return outage_response(request)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage is a 503, anything else the plain 500 page."""
    error = sys.exc_info()[1]
    if error is not None and is_outage(error):
        return outage_response(request)
    return HttpResponseServerError(render_to_string("500.html"))

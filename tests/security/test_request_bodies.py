"""Malformed request bodies get a 400 with a page, never a 500 (issue 10, defect 9)."""

from io import BytesIO

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
FORM = "application/x-www-form-urlencoded"
BOUNDARY = "quizsite-boundary"


def multipart(fields: dict[str, str], boundary: str = BOUNDARY) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


BAD_BODIES = {
    "utf-16 body": (f"{FORM}; charset=utf-16", "username=lena&password=x".encode("utf-16")),
    "utf-16 label, ascii body": (f"{FORM}; charset=utf-16", b"username=lena&password=x"),
    "latin-1 label": (f"{FORM}; charset=iso-8859-1", b"username=l%E9na&password=x"),
    "unknown charset": (f"{FORM}; charset=klingon", b"username=lena&password=x"),
    "raw bytes not utf-8": (f"{FORM}; charset=utf-8", b"username=l\xe9na&password=x"),
    "escaped bytes not utf-8": (FORM, b"username=l%E9na&password=x"),
    "too many fields": (FORM, "&".join(f"f{n}=1" for n in range(1001)).encode()),
    "multipart without boundary": ("multipart/form-data", multipart({"username": "lena"})),
    "multipart empty boundary": ("multipart/form-data; boundary=", b"--\r\n"),
    "multipart boundary not ascii": ("multipart/form-data; boundary=b\xc3\xa9", b"--\r\n"),
    "multipart in utf-16": (
        f"multipart/form-data; boundary={BOUNDARY}; charset=utf-16",
        multipart({"username": "lena", "password": "x"}),
    ),
    "multipart too many fields": (
        f"multipart/form-data; boundary={BOUNDARY}",
        multipart({f"f{n}": "1" for n in range(1001)}),
    ),
}


def csrf_client() -> tuple[Client, str]:
    """A client that passes the CSRF check: cookie from the login page, token in the header."""
    client = Client(enforce_csrf_checks=True)
    client.get(LOGIN)
    return client, client.cookies["csrftoken"].value


def post(client: Client, token: str, path: str, content_type: str, body: bytes):
    return client.generic(
        "POST", path, body, content_type=content_type, headers={"X-CSRFToken": token}
    )


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_a_malformed_login_body_is_a_400_and_logs_nobody_in(learner, settings, debug, case):
    settings.DEBUG = debug
    content_type, body = BAD_BODIES[case]
    client, token = csrf_client()
    response = post(client, token, LOGIN, content_type, body)
    assert response.status_code == 400, case
    assert "_auth_user_id" not in client.session
    if not debug:
        assert "Quizsite could not read what your browser sent" in response.content.decode()


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_sign_up_in_utf_16_is_a_400_and_creates_nobody(db, settings, debug):
    settings.DEBUG = debug
    client, token = csrf_client()
    body = f"username=newbie&password1={PASSWORD}&password2={PASSWORD}".encode("utf-16")
    response = post(client, token, reverse("accounts:signup"), f"{FORM}; charset=utf-16", body)
    assert response.status_code == 400
    assert not User.objects.filter(username="newbie").exists()


def test_a_utf_16_body_through_the_wsgi_handler_is_a_400(learner):
    # The whole stack a server runs, without the test client's own handler.
    secret = "a" * 32
    body = f"username=lena&password={PASSWORD}".encode("utf-16")
    statuses = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": LOGIN,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(body),
        "CONTENT_TYPE": f"{FORM}; charset=utf-16",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_COOKIE": f"csrftoken={secret}",
        "HTTP_X_CSRFTOKEN": secret,
        "REMOTE_ADDR": "127.0.0.1",
    }
    chunks = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["400 Bad Request"]
    assert b"Quizsite could not read" in b"".join(chunks)


def test_a_body_over_the_size_limit_is_a_400(learner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client, token = csrf_client()
    response = post(client, token, LOGIN, FORM, b"username=lena&password=" + b"x" * 200)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "content_type",
    [FORM, f"{FORM}; charset=UTF-8", f"{FORM}; charset=utf8", f"{FORM}; charset=utf_8"],
)
def test_a_utf_8_login_still_works(learner, content_type):
    client, token = csrf_client()
    response = post(
        client, token, LOGIN, content_type, f"username=lena&password={PASSWORD}".encode()
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(learner.pk)


def test_a_non_ascii_username_arrives_as_typed(db):
    client, token = csrf_client()
    body = f"username=zo%C3%AB&password1={PASSWORD}&password2={PASSWORD}".encode()
    response = post(client, token, reverse("accounts:signup"), FORM, body)
    assert response.status_code == 302
    assert User.objects.filter(username="zoë").exists()


def test_a_multipart_sign_up_still_works(db):
    client, token = csrf_client()
    body = multipart({"username": "zoë", "password1": PASSWORD, "password2": PASSWORD})
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    response = post(client, token, reverse("accounts:signup"), content_type, body)
    assert response.status_code == 302
    assert User.objects.filter(username="zoë").exists()


def test_the_400_page_renders_from_the_site_template(client, db, settings):
    settings.DEBUG = False
    response = client.post(LOGIN, b"x=%E9", content_type=FORM)
    assert response.status_code == 400
    page = response.content.decode()
    assert "<title>Bad request · Quizsite</title>" in page
    assert "/static/css/site.css" in page and 'href="/"' in page

from django.urls import reverse

from accounts.models import User
from tests.conftest import PASSWORD, make_user


def test_sign_up_creates_the_account_and_logs_in(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "newbie",
            "email": "",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("exams:home")
    assert response.context["user"].username == "newbie"
    assert User.objects.filter(username="newbie").exists()


def test_sign_up_errors_are_shown_and_nothing_is_created(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "newbie", "password1": "a-long-pass-phrase", "password2": "different"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The two password fields didn’t match." in page
    assert not User.objects.filter(username="newbie").exists()


def test_sign_up_ignores_an_offsite_next(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "newbie",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("exams:home")


def test_log_in_with_a_wrong_password_says_so(client, learner):
    response = client.post(reverse("accounts:login"), {"username": "lena", "password": "nope"})
    assert "Please enter a correct username and password." in response.content.decode()


def test_log_in_and_log_out(client, learner):
    response = client.post(reverse("accounts:login"), {"username": "lena", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("exams:home")).context["user"].is_authenticated
    client.post(reverse("accounts:logout"))
    assert not client.get(reverse("exams:home")).context["user"].is_authenticated


def test_password_change(client, learner):
    client.force_login(learner)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-phrase",
            "new_password2": "another-long-phrase",
        },
        follow=True,
    )
    assert "Password changed" in response.content.decode()
    learner.refresh_from_db()
    assert learner.check_password("another-long-phrase")


def test_account_pages_share_the_site_layout(client, db):
    for name in ("accounts:login", "accounts:signup"):
        page = client.get(reverse(name)).content.decode()
        assert 'class="form-card"' in page and "site-header" in page


def test_a_long_username_is_cut_short_in_the_header_with_the_whole_name_in_a_title(client, db):
    name = "w" * 150
    client.force_login(make_user(name))
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f'class="nav-user" title="{name}: my account and cohorts">{"w" * 23}…</a>' in page

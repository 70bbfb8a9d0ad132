"""Usernames that look like an existing one are refused (issue 10, defect 12)."""

import threading

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import pre_save
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import LOOKALIKE_USERNAME, User, username_skeleton
from tests.conftest import PASSWORD, make_user

TAKEN = "A user with that username already exists."


def sign_up(client, username: str):
    return client.post(
        reverse("accounts:signup"),
        {"username": username, "password1": PASSWORD, "password2": PASSWORD},
    )


@pytest.mark.parametrize(
    ("existing", "candidate", "message"),
    [
        ("admin", "\u0430dmin", LOOKALIKE_USERNAME),  # Cyrillic а
        ("root", "r\u03bfot", LOOKALIKE_USERNAME),  # Greek ο
        ("admin", "\u0391DMIN", LOOKALIKE_USERNAME),  # Greek capital Α, Latin capitals
        ("admin", "adrnin", LOOKALIKE_USERNAME),  # r+n drawn as m
        ("otto", "0tto", LOOKALIKE_USERNAME),  # zero for o
        ("lena", "1ena", LOOKALIKE_USERNAME),  # one for l
        ("admin", "AdMiN", TAKEN),  # Django's own case-insensitive check answers first
        ("admin", "\uff41\uff44\uff4d\uff49\uff4e", LOOKALIKE_USERNAME),  # fullwidth
    ],
)
def test_a_sign_up_that_looks_like_an_existing_user_is_refused(
    client, db, existing, candidate, message
):
    make_user(existing)
    response = sign_up(client, candidate)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert User.objects.count() == 1


@pytest.mark.parametrize("candidate", ["admins", "adnim", "zoë", "zoe"])
def test_a_different_username_is_accepted(client, db, candidate):
    make_user("admin")
    make_user("zoé")
    assert sign_up(client, candidate).status_code == 302
    assert User.objects.filter(username=candidate).exists()


def test_what_the_skeleton_folds_together_and_what_it_does_not():
    # Asserts what ICU's TS #39 data does, so a change of that data shows here.
    assert username_skeleton("m") == username_skeleton("rn") == "rn"
    assert username_skeleton("Admin") == username_skeleton("\u0430dmin") == "adrnin"
    assert username_skeleton("\ufb01le") == username_skeleton("file")  # the ﬁ ligature
    assert username_skeleton("straße") == username_skeleton("strasse")
    # Case is folded before the skeleton, so a capital I is an i, not an l.
    assert username_skeleton("Iena") == username_skeleton("iena") != username_skeleton("lena")
    assert username_skeleton("zoë") != username_skeleton("zoe")


def test_the_model_rule_refuses_a_lookalike_and_allows_keeping_ones_own_name(db):
    make_user("admin")
    otto = make_user("otto")
    otto.full_clean()  # its own skeleton is not a clash
    otto.username = "\u0430dmin"
    with pytest.raises(ValidationError) as refused:
        otto.full_clean()
    assert refused.value.message_dict == {"username": [LOOKALIKE_USERNAME]}


def test_the_database_refuses_a_lookalike_however_it_is_saved(db):
    make_user("admin")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="\u0430dmin")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="ADMIN")])
    renamed = make_user("otto")
    renamed.username = "Admin"
    with pytest.raises(IntegrityError), transaction.atomic():
        renamed.save(update_fields=["username"])
    assert list(User.objects.order_by("username").values_list("username", "username_skeleton")) == [
        ("admin", "adrnin"),
        ("otto", "otto"),
    ]


def sign_up_racing(client, username: str, competitor_name: str, *, threaded: bool):
    """Sign up while a competitor's sign-up commits between the form's check and its insert."""
    raced = []

    def competitor(sender, instance, **kwargs):
        if instance.username != username or raced:
            return
        raced.append(competitor_name)
        if not threaded:
            make_user(competitor_name)
            return

        def commit_elsewhere():
            from django.db import connection as thread_connection

            try:
                make_user(competitor_name)
            finally:
                thread_connection.close()

        thread = threading.Thread(target=commit_elsewhere)
        thread.start()
        thread.join()

    pre_save.connect(competitor, sender=User)
    try:
        response = sign_up(client, username)
    finally:
        pre_save.disconnect(competitor, sender=User)
    assert raced == [competitor_name]
    return response


def test_a_sign_up_that_loses_the_race_gets_the_message_not_a_500(client, db):
    response = sign_up_racing(client, "\u0430dmin", "admin", threaded=False)
    assert response.status_code == 200
    assert LOOKALIKE_USERNAME in response.content.decode().replace("&#x27;", "'")
    assert not User.objects.filter(username="\u0430dmin").exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_two_concurrent_lookalike_sign_ups_only_one_is_stored(client):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the competitor would wait for the form's lock")
    response = sign_up_racing(client, "\u0430dmin", "admin", threaded=True)
    assert response.status_code == 200
    assert LOOKALIKE_USERNAME in response.content.decode().replace("&#x27;", "'")
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]


def test_the_admin_add_form_refuses_a_lookalike(client, superuser):
    make_user("admin")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "\u0430dmin",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert LOOKALIKE_USERNAME in response.content.decode().replace("&#x27;", "'")
    assert not User.objects.filter(username="\u0430dmin").exists()


def test_the_admin_change_form_refuses_renaming_to_a_lookalike(superuser):
    make_user("admin")
    otto = make_user("otto")
    request = RequestFactory().get("/")
    request.user = superuser
    form_class = admin.site._registry[User].get_form(request, otto, change=True)
    form = form_class(data={"username": "\u0430dmin"}, instance=otto)
    assert not form.is_valid()
    assert form.errors["username"] == [LOOKALIKE_USERNAME]
    otto.refresh_from_db()
    assert otto.username == "otto"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_fills_in_the_skeleton_of_existing_users():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    old = executor.loader.project_state([("accounts", "0001_initial")]).apps
    old.get_model("accounts", "User").objects.create(username="Admin", password="!")
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert User.objects.get(username="Admin").username_skeleton == "adrnin"

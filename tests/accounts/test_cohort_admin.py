"""The cohort admin at real sizes: no memberships inline, flat query counts."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.models import Cohort, Membership, User
from tests.conftest import make_user


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client


def big_cohort(size: int) -> Cohort:
    cohort = Cohort.objects.create(name="Big")
    users = User.objects.bulk_create(
        User(username=f"m{n:04d}", email=f"m{n:04d}@example.com") for n in range(size)
    )
    Membership.objects.bulk_create(
        Membership(user=u, cohort=cohort, role="lead" if n < 2 else "learner")
        for n, u in enumerate(users)
    )
    return cohort


@pytest.mark.parametrize("size", [5, 500])
def test_the_cohort_page_opens_and_saves_in_constant_queries(
    staff_client, size, django_assert_num_queries
):
    cohort = big_cohort(size)
    url = reverse("admin:accounts_cohort_change", args=[cohort.pk])
    ContentType.objects.get_for_model(Cohort)  # cached per process: read it before counting
    # 1 session, 2 user, 3 the cohort with its learner and lead counts,
    # 4 the pending invitations counted, 5 the leads (at most 21).
    with django_assert_num_queries(5):
        page = staff_client.get(url)
    html = page.content.decode()
    assert f"{size - 2} learners" in html and "2 team leads" in html
    assert "m0000" in html and "m0001" in html and "m0002" not in html
    data = {"name": "Bigger", "join_code": cohort.join_code, "join_code_expires_at_0": "",
            "join_code_expires_at_1": ""}  # fmt: skip
    # 1 session, 2 user, 3 savepoint, 4 the cohort with its counts, 5 name
    # unique?, 6 join code unique?, 7 the update, 8 the admin log entry,
    # 9 release savepoint.
    with django_assert_num_queries(9):
        response = staff_client.post(url, data)
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.name == "Bigger"


# Learners m0002 to m0099 match "m00": all of them at 5, 98 at 500.
@pytest.mark.parametrize(("size", "shown"), [(5, 3), (500, 98)])
def test_the_membership_list_is_paginated_and_flat(
    staff_client, size, shown, django_assert_num_queries
):
    cohort = big_cohort(size)
    url = reverse("admin:accounts_membership_changelist")
    query = {"cohort__id__exact": cohort.pk, "role__exact": "learner", "q": "m00"}
    # 1 session, 2 user, 3 the cohorts for the filter, 4 count filtered,
    # 5 count all, 6 a page of memberships with their users and cohorts.
    with django_assert_num_queries(6):
        response = staff_client.get(url, query)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == shown


def test_the_membership_form_uses_autocomplete_for_users(staff_client, db):
    page = staff_client.get(reverse("admin:accounts_membership_add")).content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in page
    assert "admin-autocomplete" in page


def test_staff_add_members_in_bulk_from_the_cohort_page(staff_client, db):
    cohort = Cohort.objects.create(name="Spring")
    make_user("ada")
    make_user("lou")
    url = reverse("admin:accounts_cohort_add_members", args=[cohort.pk])
    page = staff_client.post(url, {"names": "ada\nghost", "role": "learner", "check": "1"})
    assert "1 unknown usernames" in page.content.decode()
    page = staff_client.post(url, {"names": "ada\nghost", "role": "learner", "add": "1"})
    assert "Nothing was added" in page.content.decode()
    assert not cohort.members.exists()
    staff_client.post(url, {"names": "ada", "role": "learner", "add": "1"})
    staff_client.post(url, {"names": "lou", "role": "lead", "add": "1"})
    assert sorted(cohort.memberships.values_list("user__username", "role")) == [
        ("ada", "learner"),
        ("lou", "lead"),
    ]


def test_instructors_cannot_manage_members(client, instructor, db):
    cohort = Cohort.objects.create(name="Spring")
    client.force_login(instructor)
    url = reverse("admin:accounts_cohort_add_members", args=[cohort.pk])
    assert client.get(url).status_code == 403

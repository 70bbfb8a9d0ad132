"""A team lead manages their own cohort's members, and nobody else's."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from accounts import membership
from accounts.models import Cohort, Invitation, Membership, User
from tests.conftest import make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def manage_url(cohort):
    return reverse("cohort_manage:manage", args=[cohort.pk])


def manage_urls(cohort, invitation, member):
    """Every URL of the lead's member management: its methods, with the data a lead would post."""
    found = []
    for pattern in get_resolver("exams.cohort_manage_urls").url_patterns:
        kwargs = {"cohort_id": cohort.pk}
        if "invitation_id" in str(pattern.pattern):
            kwargs["invitation_id"] = invitation.pk
        url = reverse(f"cohort_manage:{pattern.name}", kwargs=kwargs)
        if pattern.name == "manage":
            found.append(("get", url, {}))
        data = {"names": "otto", "add": "1"} if pattern.name == "manage" else {"member": member.pk}
        found.append(("post", url, data))
    return found


def test_the_url_conf_has_the_management_urls_we_expect(cohort, learner):
    invitation = Invitation(pk=1)
    assert len(manage_urls(cohort, invitation, learner)) == 4


@pytest.mark.parametrize("who", ["other_lead", "learner", "outsider", "superuser"])
def test_only_the_cohorts_own_lead_manages_its_members(
    client, cohort, learner, other_learner, request, who
):
    if who == "other_lead":
        user = make_user("olga")
        other = Cohort.objects.create(name="Other cohort")
        Membership.objects.create(user=user, cohort=other, role="lead")
    else:
        user = request.getfixturevalue(who)
    membership.add_members(
        cohort=cohort, text="new@corp.example", invite=True, invited_by=None, now=NOW, link=str
    )
    invitation = Invitation.objects.get()
    before = sorted(Membership.objects.values_list("user_id", "cohort_id", "role"))
    client.force_login(user)
    for method, url, data in manage_urls(cohort, invitation, learner):
        assert getattr(client, method)(url, data).status_code == 404, (who, method, url)
    assert sorted(Membership.objects.values_list("user_id", "cohort_id", "role")) == before
    assert Invitation.objects.get().withdrawn_at is None


def test_a_lead_checks_then_adds_a_list(lead_client, cohort):
    make_user("ada")
    make_user("bob")
    response = lead_client.post(manage_url(cohort), {"names": "ada\nbob\nlena", "check": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "What this list would do" in page and "The list is ready" in page
    assert "Add 2 and invite 0" in page
    assert cohort.members.filter(username__in=["ada", "bob"]).count() == 0
    response = lead_client.post(
        manage_url(cohort), {"names": "ada\nbob\nlena", "add": "1"}, follow=True
    )
    assert "Added 2 members; 1 already in the cohort." in response.content.decode()
    assert set(
        cohort.memberships.filter(role="learner").values_list("user__username", flat=True)
    ) == {
        "ada",
        "bob",
        "lena",
    }


def test_a_lead_adds_learners_only_whatever_the_form_says(lead_client, cohort):
    make_user("ada")
    lead_client.post(manage_url(cohort), {"names": "ada", "role": "lead", "add": "1"})
    assert Membership.objects.get(cohort=cohort, user__username="ada").role == "learner"


def test_a_bad_list_is_reported_and_changes_nothing(lead_client, cohort):
    make_user("ada")
    response = lead_client.post(manage_url(cohort), {"names": "ada\nghost\n<x>", "add": "1"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was added: the list has 1 malformed, 1 unknown usernames." in page
    assert "ghost" in page and "&lt;x&gt;" in page
    assert not cohort.members.filter(username="ada").exists()


def test_an_uploaded_file_is_read_and_a_non_utf8_file_refused(lead_client, cohort):
    make_user("ada")
    upload = SimpleUploadedFile("list.csv", b"\xef\xbb\xbfemail\nada@example.com\n")
    page = lead_client.post(manage_url(cohort), {"upload": upload, "check": "1"}).content.decode()
    assert "Add 1 and invite 0" in page
    latin = SimpleUploadedFile("list.csv", "jos\xe9\n".encode("latin-1"))
    response = lead_client.post(manage_url(cohort), {"upload": latin, "add": "1"})
    assert response.status_code == 400 and "not UTF-8 text" in response.content.decode()
    empty = lead_client.post(manage_url(cohort), {"names": "  ", "check": "1"})
    assert empty.status_code == 400 and "Paste usernames or emails" in empty.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_lead_invites_sees_pending_and_withdraws(lead_client, cohort, mailoutbox):
    response = lead_client.post(
        manage_url(cohort), {"names": "new@corp.example", "invite": "on", "add": "1"}, follow=True
    )
    page = response.content.decode()
    assert "invited 1 by email" in page
    assert "Pending invitations" in page and "new@corp.example" in page
    [mail] = mailoutbox
    assert "http://testserver/accounts/invitations/" in mail.body
    invitation = Invitation.objects.get()
    page = lead_client.post(
        reverse("cohort_manage:withdraw", args=[cohort.pk, invitation.pk]), follow=True
    ).content.decode()
    assert "Withdrew the invitation to new@corp.example." in page
    assert "None. Invitations sent" in page


def test_a_lead_removes_selected_members(lead_client, cohort, learner, other_learner):
    bob = make_user("bob")
    Membership.objects.create(user=bob, cohort=cohort, role="learner")
    url = reverse("cohort_manage:remove", args=[cohort.pk])
    # otto is not in this cohort: nothing is removed
    response = lead_client.post(url, {"member": [learner.pk, other_learner.pk]}, follow=True)
    assert "Nothing was removed" in response.content.decode()
    for malformed in ("abc", "99999999999999999999", "", "1.5"):
        response = lead_client.post(url, {"member": [malformed]}, follow=True)
        assert "the selection was not understood" in response.content.decode(), malformed
    assert cohort.memberships.filter(role="learner").count() == 2
    response = lead_client.post(url, {"member": [learner.pk, bob.pk]}, follow=True)
    assert "Removed 2 members." in response.content.decode()
    assert not cohort.memberships.filter(role="learner").exists()
    assert cohort.memberships.filter(role="lead").exists()


def test_members_search_and_paginate(lead_client, cohort):
    User.objects.bulk_create(
        User(username=f"m{n:03d}", email=f"m{n:03d}@x.example") for n in range(60)
    )
    Membership.objects.bulk_create(
        Membership(user=u, cohort=cohort, role="learner")
        for u in User.objects.filter(username__startswith="m")
    )
    page = lead_client.get(manage_url(cohort)).content.decode()
    assert "(61)" in page and "Page 1 of 2" in page
    page = lead_client.get(manage_url(cohort), {"q": "m05"}).content.decode()
    assert "(10 matching “m05”)" in page and "m059" in page and "lena" not in page


@pytest.mark.parametrize("members", [5, 500])
def test_the_management_page_runs_constant_queries(
    lead_client, cohort, members, django_assert_num_queries
):
    users = User.objects.bulk_create(User(username=f"m{n:03d}") for n in range(members))
    Membership.objects.bulk_create(Membership(user=u, cohort=cohort, role="learner") for u in users)
    # 1 session, 2 user, 3 the cohort (led by this user), 4 count the learners,
    # 5 a page of them with their users, 6 the pending invitations, 7 "is a
    # team lead?" for the menu.
    with django_assert_num_queries(7):
        response = lead_client.get(manage_url(cohort))
    assert response.status_code == 200

"""Invitation links for people without an account (accounts/membership.py)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts import membership
from accounts.models import Cohort, Invitation, Membership
from tests.conftest import PASSWORD, make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def spring(db):
    return Cohort.objects.create(name="Spring")


def invite(cohort, email="new@corp.example", *, now=NOW):
    membership.add_members(
        cohort=cohort, text=email, invite=True, invited_by=None, now=now, link=str
    )
    invitation = Invitation.objects.get(cohort=cohort, email=email, accepted_at=None)
    return invitation, membership.invitation_token(invitation)


def test_an_invitation_joins_the_cohort_once(spring):
    _, token = invite(spring)
    newcomer = make_user("nia")
    cohort, added = membership.accept_invitation(token=token, user=newcomer, now=NOW)
    assert (cohort, added) == (spring, True)
    assert Membership.objects.filter(user=newcomer, cohort=spring, role="learner").exists()
    with pytest.raises(membership.InvitationError, match="already been used"):
        membership.accept_invitation(token=token, user=make_user("other"), now=NOW)
    assert spring.members.count() == 1


def test_an_expired_invitation_is_refused(spring):
    invitation, token = invite(spring)
    later = invitation.expires_at
    with pytest.raises(membership.InvitationError, match="expired"):
        membership.accept_invitation(token=token, user=make_user("nia"), now=later)
    assert not spring.members.exists()
    # a second before, it still works
    membership.accept_invitation(
        token=token, user=make_user("nia2"), now=later - timedelta(seconds=1)
    )


def test_inviting_again_renews_the_open_invitation(spring):
    first, token = invite(spring)
    again, token_again = invite(spring, now=NOW + timedelta(days=10))
    assert again.pk == first.pk and token_again == token
    assert again.expires_at == NOW + timedelta(days=24)
    assert Invitation.objects.count() == 1


def test_a_learner_already_in_the_cohort_uses_up_the_link_without_a_second_membership(spring):
    _, token = invite(spring)
    member = make_user("mo")
    Membership.objects.create(user=member, cohort=spring, role="learner")
    assert membership.accept_invitation(token=token, user=member, now=NOW) == (spring, False)
    assert Membership.objects.filter(user=member, cohort=spring).count() == 1
    assert Invitation.objects.get().accepted_by == member


@pytest.mark.parametrize(
    "tamper",
    [lambda t: t + "x", lambda t: "9" + t, lambda t: "nonsense", lambda t: t.split(":")[0]],
    ids=["signature", "id", "garbage", "unsigned"],
)
def test_a_forged_or_altered_link_is_refused(spring, tamper):
    _, token = invite(spring)
    with pytest.raises(membership.InvitationError, match="not valid"):
        membership.find_invitation(token=tamper(token), now=NOW)


def test_a_withdrawn_invitation_no_longer_works(spring):
    invitation, token = invite(spring)
    membership.withdraw_invitation(cohort=spring, invitation_id=invitation.pk, now=NOW)
    with pytest.raises(membership.InvitationError, match="withdrawn"):
        membership.find_invitation(token=token, now=NOW)
    other = Cohort.objects.create(name="Other")
    with pytest.raises(membership.MembershipError):
        membership.withdraw_invitation(cohort=other, invitation_id=invitation.pk, now=NOW)


@time_machine.travel(NOW, tick=False)
def test_the_link_signs_up_a_newcomer_and_joins(client, spring):
    _, token = invite(spring)
    url = reverse("accounts:invitation", args=[token])
    page = client.get(url).content.decode()
    assert "Join Spring" in page and "Sign up" in page
    client.post(
        reverse("accounts:signup"),
        {"username": "nia", "password1": PASSWORD, "password2": PASSWORD, "next": url},
    )
    response = client.post(url, follow=True)
    assert "You have joined Spring." in response.content.decode()
    assert spring.members.get().username == "nia"
    again = client.get(url)
    assert again.status_code == 404 and "already been used" in again.content.decode()


def test_a_bad_link_is_a_clear_404(client, db):
    response = client.get(reverse("accounts:invitation", args=["123:forged"]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_an_invitation_whose_email_cannot_be_sent_stays_pending(spring, settings):
    # A real SMTP backend pointed at a closed port: the connection is refused.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 5},
        }
    }
    result = membership.add_members(
        cohort=spring, text="new@corp.example", invite=True, invited_by=None, now=NOW, link=str
    )
    assert (result.invited, result.mail_failures) == (1, 1)
    assert "1 invitation emails could not be sent" in membership.result_message(result)
    assert Invitation.objects.pending(NOW).count() == 1

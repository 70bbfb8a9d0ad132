"""Adding and removing cohort members in bulk (accounts/membership.py)."""

from datetime import UTC, datetime

import pytest

from accounts import membership
from accounts.models import Cohort, Invitation, Membership, User
from tests.conftest import make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def link(token: str) -> str:
    return f"https://quizsite.test/accounts/invitations/{token}/"


@pytest.fixture
def spring(db):
    return Cohort.objects.create(name="Spring")


def names(entries):
    return [e.text for e in entries]


def test_the_dry_run_sorts_every_name_and_changes_nothing(spring):
    ada = make_user("ada")
    make_user("bob")
    make_user("cy", email="cy@corp.example")
    already = make_user("dee")
    Membership.objects.create(user=already, cohort=spring, role="learner")
    # Two accounts share this address: which one is meant cannot be guessed.
    make_user("eve1", email="shared@corp.example")
    make_user("eve2", email="shared@corp.example")
    text = (
        "ada, BOB\n"  # two on a line; usernames match whatever their case
        "CY@corp.example\n"  # an email, any case
        "dee\n"
        "shared@corp.example\n"
        "nobody\n"
        "new.person@corp.example\n"
        "<script>\n"
        "not@an@email\n"
        "ada@example.com\n"  # ada's own email: the same account as line 1
        "bob\n"
    )
    report = membership.check_members(cohort=spring, text=text)
    assert names(report.will_add) == ["ada", "BOB", "CY@corp.example"]
    assert report.will_add[0].user == ada
    assert names(report.already) == ["dee"]
    assert names(report.ambiguous) == ["shared@corp.example"]
    assert report.ambiguous[0].note == "matches eve1, eve2"
    assert names(report.unknown_usernames) == ["nobody"]
    assert names(report.invitable) == ["new.person@corp.example"]
    assert [(e.text, e.note) for e in report.malformed] == [
        ("<script>", "not a valid username"),
        ("not@an@email", "not a valid email address"),
    ]
    assert [(e.line, e.note) for e in report.repeated] == [
        (9, "the same account as line 1"),
        (10, "also on line 1"),
    ]
    assert report.blockers(invite=True) == ["2 malformed", "1 ambiguous", "1 unknown usernames"]
    assert Membership.objects.filter(cohort=spring).count() == 1


def test_a_csv_header_and_blank_lines_are_skipped(spring):
    make_user("ada")
    report = membership.check_members(cohort=spring, text='username\n\n"ada"\n')
    assert names(report.will_add) == ["ada"] and report.total == 1


@pytest.mark.parametrize(
    "bad",
    ["nobody", "<b>", "shared@corp.example", "new@corp.example"],
    ids=["unknown username", "malformed", "ambiguous", "unknown email, not invited"],
)
def test_adding_a_list_with_a_bad_line_changes_nothing(spring, bad):
    make_user("ada")
    make_user("eve1", email="shared@corp.example")
    make_user("eve2", email="shared@corp.example")
    with pytest.raises(membership.MembershipError, match="Nothing was added") as caught:
        membership.add_members(
            cohort=spring,
            text=f"ada\n{bad}",
            invite=False,
            invited_by=None,
            now=NOW,
            link=link,
        )
    assert caught.value.report.total == 2
    assert not Membership.objects.filter(cohort=spring).exists()
    assert not Invitation.objects.exists()


def test_adding_a_list_adds_everyone_once_and_invites_unknown_emails(spring, mailoutbox):
    lead = make_user("lee")
    make_user("ada")
    dee = make_user("dee")
    Membership.objects.create(user=dee, cohort=spring, role="learner")
    result = membership.add_members(
        cohort=spring,
        text="ada\nada@example.com\ndee\nNew.Person@Corp.example",
        invite=True,
        invited_by=lead,
        now=NOW,
        link=link,
    )
    assert (result.added, result.invited, result.mail_failures) == (1, 1, 0)
    assert membership.result_message(result) == (
        "Added 1 member; 1 already in the cohort; invited 1 by email."
    )
    assert sorted(spring.members.values_list("username", flat=True)) == ["ada", "dee"]
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.invited_by, invitation.expires_at.day) == (
        "new.person@corp.example",
        lead,
        16,  # 14 days
    )
    [mail] = mailoutbox
    assert mail.to == ["new.person@corp.example"]
    assert "Spring" in mail.subject
    assert link(membership.invitation_token(invitation)) in mail.body


def test_staff_can_add_team_leads(spring):
    make_user("ada")
    membership.add_members(
        cohort=spring, text="ada", role="lead", invite=False, invited_by=None, now=NOW, link=link
    )
    assert Membership.objects.get(cohort=spring).role == "lead"


def test_unknown_emails_cannot_be_invited_as_team_leads(spring, mailoutbox):
    # An invitation joins as a learner, and anyone holding its link may use it:
    # it must not stand for a lead's place, which shows every learner's results.
    make_user("ada")
    text = "ada\nnew@corp.example"
    report = membership.check_members(cohort=spring, text=text, role="lead")
    assert report.blockers(invite=True) == [
        "1 unknown emails (team leads need an account first: an invitation makes a learner)"
    ]
    with pytest.raises(membership.MembershipError, match="Nothing was added"):
        membership.add_members(
            cohort=spring, text=text, role="lead", invite=True, invited_by=None, now=NOW, link=link
        )
    assert not Membership.objects.filter(cohort=spring).exists()
    assert not Invitation.objects.exists() and not mailoutbox


def test_a_list_that_is_too_long_is_refused(spring, settings):
    text = "\n".join(f"user{n}" for n in range(membership.MAX_ENTRIES + 1))
    with pytest.raises(membership.MembershipError, match="at most 5000"):
        membership.check_members(cohort=spring, text=text)


@pytest.mark.parametrize("size", [5, 500])
def test_checking_a_list_costs_the_same_queries_at_any_length(
    spring, size, django_assert_num_queries
):
    users = User.objects.bulk_create(
        User(username=f"u{n:04d}", email=f"u{n:04d}@example.com") for n in range(size)
    )
    Membership.objects.bulk_create(
        Membership(user=u, cohort=spring, role="learner") for u in users[::2]
    )
    text = "\n".join(f"u{n:04d}" if n % 3 else f"u{n:04d}@example.com" for n in range(size))
    # 1 users by username, 2 users by email, 3 which of them are members already.
    with django_assert_num_queries(3):
        report = membership.check_members(cohort=spring, text=text)
    assert len(report.will_add) + len(report.already) == size


def test_removing_selected_members(spring):
    ada, bob, cy = make_user("ada"), make_user("bob"), make_user("cy")
    for user in (ada, bob, cy):
        Membership.objects.create(user=user, cohort=spring, role="learner")
    assert membership.remove_members(cohort=spring, user_ids=[ada.pk, bob.pk]) == 2
    assert list(spring.members.values_list("username", flat=True)) == ["cy"]


def test_removing_someone_who_is_not_a_member_removes_nobody(spring):
    ada, outsider = make_user("ada"), make_user("oz")
    Membership.objects.create(user=ada, cohort=spring, role="learner")
    for ids in ([ada.pk, outsider.pk], []):
        with pytest.raises(membership.MembershipError):
            membership.remove_members(cohort=spring, user_ids=ids)
    assert spring.members.count() == 1

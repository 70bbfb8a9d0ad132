"""Adding and removing cohort members in bulk, and inviting people by email.

Shared by the admin (staff, any cohort, either role) and a lead's own
member-management page (their cohort, learners). Each workflow function owns
its transaction: a list is checked (`check_members`, a dry run that changes
nothing) and then applied whole or not at all (`add_members`).

A list is one or more usernames or email addresses per line, separated by
spaces, commas or semicolons. The cost of checking it does not grow in queries
with its length: three reads whatever the size.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Cohort, Invitation, Membership, User, username_skeleton

MAX_ENTRIES = 5000
HEADER_WORDS = {"username", "usernames", "email", "emails", "e-mail", "user", "users"}
INVITATION_SALT = "quizsite.cohort-invitation"
_SEPARATORS = re.compile(r"[\s,;]+")
_USERNAME = re.compile(UnicodeUsernameValidator.regex)

mail_log = logging.getLogger("quizsite.mail")


class MembershipError(Exception):
    """Bad input for a membership change; nothing was changed."""


class InvitationError(Exception):
    """An invitation link that cannot be used, with the reason."""


@dataclass(frozen=True)
class Entry:
    """One name from the list: where it was, and what it turned out to be."""

    line: int
    text: str
    user: User | None = None
    note: str = ""

    @property
    def is_email(self) -> bool:
        return "@" in self.text


@dataclass
class BulkReport:
    """The dry run: what adding the list would do, name by name."""

    cohort: Cohort
    role: str
    will_add: list[Entry] = field(default_factory=list)
    already: list[Entry] = field(default_factory=list)
    unknown: list[Entry] = field(default_factory=list)
    ambiguous: list[Entry] = field(default_factory=list)
    malformed: list[Entry] = field(default_factory=list)
    repeated: list[Entry] = field(default_factory=list)

    @property
    def invitable(self) -> list[Entry]:
        """Unknown email addresses: they can be sent an invitation."""
        return [e for e in self.unknown if e.is_email]

    @property
    def unknown_usernames(self) -> list[Entry]:
        return [e for e in self.unknown if not e.is_email]

    @property
    def total(self) -> int:
        return sum(
            len(group)
            for group in (
                self.will_add,
                self.already,
                self.unknown,
                self.ambiguous,
                self.malformed,
                self.repeated,
            )
        )

    @property
    def groups(self) -> list[tuple[str, list[Entry], bool]]:
        """(title, entries, is a problem) for showing: problems first."""
        return [
            ("Malformed", self.malformed, True),
            ("Ambiguous", self.ambiguous, True),
            ("Unknown usernames", self.unknown_usernames, True),
            ("Unknown emails", self.invitable, True),
            ("Listed twice", self.repeated, False),
            ("Already members", self.already, False),
            ("Will be added", self.will_add, False),
        ]

    def blockers(self, *, invite: bool) -> list[str]:
        """Why the list cannot be applied as it is (empty when it can)."""
        reasons = []
        if self.malformed:
            reasons.append(f"{len(self.malformed)} malformed")
        if self.ambiguous:
            reasons.append(f"{len(self.ambiguous)} ambiguous")
        if self.unknown_usernames:
            reasons.append(f"{len(self.unknown_usernames)} unknown usernames")
        if self.invitable and self.role == Membership.Role.LEAD:
            # An invitation joins as a learner, and whoever holds its link may
            # use it: a lead's place (every learner's results) needs an account.
            reasons.append(
                f"{len(self.invitable)} unknown emails (team leads need an account first: "
                "an invitation makes a learner)"
            )
        elif self.invitable and not invite:
            reasons.append(f"{len(self.invitable)} unknown emails (tick “invite” to invite them)")
        if not self.total:
            reasons.append("no usernames or emails")
        return reasons


@dataclass(frozen=True)
class BulkResult:
    added: int
    invited: int
    mail_failures: int
    report: BulkReport


def _entries(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = [t.strip("\"'") for t in _SEPARATORS.split(line) if t.strip("\"'")]
        if number == 1 and tokens and all(t.casefold() in HEADER_WORDS for t in tokens):
            continue  # a CSV header row
        found.extend((number, token) for token in tokens)
    if len(found) > MAX_ENTRIES:
        raise MembershipError(
            f"The list has {len(found)} names; at most {MAX_ENTRIES} can be added at once."
        )
    return found


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def check_members(*, cohort: Cohort, text: str, role: str = Membership.Role.LEARNER) -> BulkReport:
    """The dry run: sort every name of `text` into the report; changes nothing.

    Usernames match whatever their case (two accounts cannot differ only by
    case or look-alike letters); emails match whatever their case, and an email
    that several accounts share, or that is one account's username and
    another's email, is ambiguous rather than guessed.
    """
    report = BulkReport(cohort=cohort, role=role)
    entries = _entries(text)
    wellformed: list[tuple[int, str]] = []
    for line, token in entries:
        if _USERNAME.match(token) and len(token) <= 150:
            wellformed.append((line, token))
        elif "@" in token:
            report.malformed.append(Entry(line, token, note="not a valid email address"))
        else:
            report.malformed.append(Entry(line, token, note="not a valid username"))

    skeletons = {username_skeleton(token) for _, token in wellformed}
    by_username = {
        _key(user.username): user
        for user in User.objects.filter(username_skeleton__in=skeletons).only(
            "id", "username", "email", "first_name", "last_name"
        )
    }
    emails = {_key(token) for _, token in wellformed if "@" in token}
    by_email: dict[str, list[User]] = {}
    if emails:
        for user in (
            User.objects.annotate(email_key=Lower("email"))
            .filter(email_key__in=emails)
            .only("id", "username", "email", "first_name", "last_name")
            .order_by("username")
        ):
            by_email.setdefault(_key(user.email), []).append(user)

    resolved: list[tuple[int, str, User]] = []
    seen_text: dict[str, int] = {}
    for line, token in wellformed:
        key = _key(token)
        if key in seen_text:
            report.repeated.append(Entry(line, token, note=f"also on line {seen_text[key]}"))
            continue
        seen_text[key] = line
        candidates = {u.pk: u for u in [by_username.get(key), *by_email.get(key, [])] if u}
        if "@" in token and not candidates and not _is_email(token):
            report.malformed.append(Entry(line, token, note="not a valid email address"))
        elif not candidates:
            report.unknown.append(Entry(line, token, note="no account"))
        elif len(candidates) > 1:
            names = ", ".join(sorted(u.username for u in candidates.values()))
            report.ambiguous.append(Entry(line, token, note=f"matches {names}"))
        else:
            resolved.append((line, token, next(iter(candidates.values()))))

    members = set(
        Membership.objects.filter(
            cohort=cohort, role=role, user_id__in={u.pk for _, _, u in resolved}
        ).values_list("user_id", flat=True)
    )
    first_line: dict[int, int] = {}
    for line, token, user in resolved:
        if user.pk in first_line:
            report.repeated.append(
                Entry(line, token, user, note=f"the same account as line {first_line[user.pk]}")
            )
            continue
        first_line[user.pk] = line
        group = report.already if user.pk in members else report.will_add
        group.append(Entry(line, token, user))
    report.repeated.sort(key=lambda entry: entry.line)
    return report


def add_members(
    *,
    cohort: Cohort,
    text: str,
    role: str = Membership.Role.LEARNER,
    invite: bool,
    invited_by: User,
    now: datetime,
    link: Callable[[str], str],
) -> BulkResult:
    """Add everyone on the list, and invite its unknown emails if `invite`.

    All or nothing: if the list has malformed, ambiguous or unknown names, a
    MembershipError carries the report and nothing is changed. `link` turns an
    invitation token into the absolute URL put in the email. The emails are
    sent after the transaction commits; a failure to send is counted (the
    invitations stay pending and can be sent again), not rolled back.
    """
    with transaction.atomic():
        # One bulk change per cohort at a time, so the report stays true.
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        report = check_members(cohort=cohort, text=text, role=role)
        blockers = report.blockers(invite=invite)
        if blockers:
            error = MembershipError(
                f"Nothing was added: the list has {', '.join(blockers)}. "
                "Correct the list and check it again."
            )
            error.report = report
            raise error
        created = Membership.objects.bulk_create(
            [Membership(user=e.user, cohort=cohort, role=role) for e in report.will_add],
            ignore_conflicts=True,
        )
        invitations = _open_invitations(
            cohort=cohort,
            emails=[e.text for e in report.invitable],
            invited_by=invited_by,
            now=now,
        )
    failures = send_invitations(invitations, link=link)
    return BulkResult(
        added=len(created), invited=len(invitations), mail_failures=failures, report=report
    )


def result_message(result: BulkResult) -> str:
    """What an applied list did, in one sentence for the page's message."""
    parts = [f"Added {result.added} {'member' if result.added == 1 else 'members'}"]
    if result.report.already:
        parts.append(f"{len(result.report.already)} already in the cohort")
    if result.invited:
        parts.append(f"invited {result.invited} by email")
    message = "; ".join(parts) + "."
    if result.mail_failures:
        message += (
            f" {result.mail_failures} invitation emails could not be sent: they stay pending;"
            " add the same addresses again to resend them."
        )
    return message


def remove_members(
    *, cohort: Cohort, user_ids: Iterable[int], role: str = Membership.Role.LEARNER
) -> int:
    """Remove the selected members; refuses (changing nothing) if any is not one."""
    ids = set(user_ids)
    if not ids:
        raise MembershipError("Select the members to remove.")
    with transaction.atomic():
        memberships = Membership.objects.select_for_update().filter(
            cohort=cohort, role=role, user_id__in=ids
        )
        found = {m.user_id for m in memberships}
        if found != ids:
            raise MembershipError(
                f"Nothing was removed: {len(ids - found)} of the selected people are not "
                "members of this cohort (any more). Reload the page and select again."
            )
        Membership.objects.filter(pk__in=[m.pk for m in memberships]).delete()
    return len(found)


# --- invitations -------------------------------------------------------------


def invitation_link(request: HttpRequest) -> Callable[[str], str]:
    """Token → the absolute URL of the invitation page, on the host asked for."""
    return lambda token: request.build_absolute_uri(reverse("accounts:invitation", args=[token]))


def invitation_token(invitation: Invitation) -> str:
    return signing.Signer(salt=INVITATION_SALT).sign(str(invitation.pk))


def _open_invitations(
    *, cohort: Cohort, emails: list[str], invited_by: User, now: datetime
) -> list[Invitation]:
    """Create an invitation per email, or renew the open one (a new expiry)."""
    expires_at = now + timedelta(days=settings.COHORT_INVITATION_DAYS)
    keys = {_key(email): email for email in emails}
    existing = {
        _key(inv.email): inv
        for inv in Invitation.objects.select_for_update().filter(
            cohort=cohort,
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
            email__in=list(keys),
        )
    }
    renewed = list(existing.values())
    for inv in renewed:
        inv.expires_at = expires_at
        inv.invited_by = invited_by
    Invitation.objects.bulk_update(renewed, ["expires_at", "invited_by"])
    created = Invitation.objects.bulk_create(
        Invitation(
            cohort=cohort,
            email=key,
            invited_by=invited_by,
            created_at=now,
            expires_at=expires_at,
        )
        for key in keys
        if key not in existing
    )
    return renewed + created


def send_invitations(invitations: list[Invitation], *, link: Callable[[str], str]) -> int:
    """Email each invitation its link; returns how many could not be sent."""
    failures = 0
    for inv in invitations:
        context = {"invitation": inv, "cohort": inv.cohort, "url": link(invitation_token(inv))}
        try:
            send_mail(
                subject=f"You are invited to join {inv.cohort.name} on Quizsite",
                message=render_to_string("accounts/invitation_email.txt", context),
                from_email=None,
                recipient_list=[inv.email],
            )
        except OSError:  # SMTP refused or unreachable: the invitation stays pending
            mail_log.exception("Could not send the invitation to %s", inv.email)
            failures += 1
    return failures


def find_invitation(*, token: str, now: datetime) -> Invitation:
    """The invitation a link opens, or InvitationError saying why it cannot be used."""
    try:
        pk = int(signing.Signer(salt=INVITATION_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise InvitationError(
            "This invitation link is not valid. Check that it was copied whole."
        ) from None
    invitation = Invitation.objects.select_related("cohort").filter(pk=pk).first()
    if invitation is None or invitation.withdrawn_at is not None:
        raise InvitationError("This invitation has been withdrawn. Ask your team lead.")
    if invitation.accepted_at is not None:
        raise InvitationError("This invitation has already been used.")
    if invitation.expires_at <= now:
        raise InvitationError("This invitation has expired. Ask your team lead for a new one.")
    return invitation


def accept_invitation(*, token: str, user: User, now: datetime) -> tuple[Cohort, bool]:
    """Join the invitation's cohort as a learner; the link is used up.

    Returns the cohort and whether the user was added (False: already a member,
    and the invitation is used up all the same so that nobody else can use it).
    """
    with transaction.atomic():
        invitation = find_invitation(token=token, now=now)
        # Two clicks at once: the second waits here, then finds the link used.
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationError("This invitation has already been used.")
        _, added = Membership.objects.get_or_create(
            user=user, cohort=invitation.cohort, role=Membership.Role.LEARNER
        )
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return invitation.cohort, added


def withdraw_invitation(*, cohort: Cohort, invitation_id: int, now: datetime) -> Invitation:
    """Withdraw a pending invitation of `cohort` (its link stops working)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(
                cohort=cohort, pk=invitation_id, accepted_at__isnull=True, withdrawn_at__isnull=True
            )
            .first()
        )
        if invitation is None:
            raise MembershipError("That invitation is not pending for this cohort.")
        invitation.withdrawn_at = now
        invitation.save(update_fields=["withdrawn_at"])
    return invitation

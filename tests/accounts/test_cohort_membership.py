from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import Cohort, Membership, User


def test_sign_up_with_a_join_code_joins_the_cohort(client, db):
    cohort = Cohort.objects.create(name="Spring")
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "newbie",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
            "join_code": cohort.join_code.lower(),
        },
        follow=True,
    )
    assert "You have joined Spring." in response.content.decode()
    assert Membership.objects.filter(
        user__username="newbie", cohort=cohort, role="learner"
    ).exists()


def test_a_wrong_or_expired_code_is_refused_and_creates_nothing(client, db):
    expired = Cohort.objects.create(
        name="Old", join_code_expires_at=timezone.now() - timedelta(days=1)
    )
    for code, message in [
        ("NOPE", "does not match any cohort"),
        (expired.join_code, "has expired"),
    ]:
        response = client.post(
            reverse("accounts:signup"),
            {
                "username": "newbie",
                "password1": "a-long-pass-phrase",
                "password2": "a-long-pass-phrase",
                "join_code": code,
            },
        )
        assert message in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_join_and_leave_from_the_profile(client, learner, db):
    cohort = Cohort.objects.create(name="Autumn")
    other = Cohort.objects.create(name="Winter")
    client.force_login(learner)
    client.post(reverse("accounts:profile"), {"join_code": cohort.join_code})
    client.post(reverse("accounts:profile"), {"join_code": other.join_code})
    assert set(learner.cohorts.values_list("name", flat=True)) == {"Autumn", "Winter"}
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Autumn" in page and "Winter" in page
    client.post(reverse("accounts:leave_cohort", args=[cohort.pk]))
    assert list(learner.cohorts.values_list("name", flat=True)) == ["Winter"]


def test_leaving_a_cohort_you_are_not_in_is_404(client, learner, db):
    cohort = Cohort.objects.create(name="Elsewhere")
    client.force_login(learner)
    assert client.post(reverse("accounts:leave_cohort", args=[cohort.pk])).status_code == 404

"""Unscored (pretest) items: drawn and shown like the others, counted nowhere,
listed apart after submission (docs/exams.md, "Unscored items")."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from exams import reports, rollups
from exams.attempts import submit_attempt
from exams.models import ObjectiveResult, ObjectiveRollup, Question
from tests.conftest import make_exam, right_answer, save, start, wrong_answer

NOW = timezone.datetime(2026, 11, 24, 9, 0, tzinfo=timezone.UTC)


@pytest.fixture
def attempt(bank, learner):
    """14 items, 5 of them unscored."""
    return start(learner, make_exam(questions=14, unscored_count=5), NOW)


def answer_all(attempt, *, scored_right: bool, unscored_right: bool) -> None:
    for item in attempt.items.order_by("position"):
        right = scored_right if item.scored else unscored_right
        data = (right_answer if right else wrong_answer)(item.snapshot)
        save(attempt, item.position, data, now=NOW + timedelta(minutes=1))


def test_an_attempt_carries_its_unscored_items_and_counts_only_the_others(attempt):
    assert attempt.items.filter(scored=False).count() == 5
    assert (attempt.total, attempt.scored_count, attempt.question_count) == (14, 9, 14)


def test_unscored_items_count_in_no_score(attempt):
    answer_all(attempt, scored_right=False, unscored_right=True)
    done = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    assert (done.raw_score, done.scored_count, done.scaled_score, done.passed) == (0, 9, 100, False)
    # Graded all the same, for item analysis.
    assert done.items.filter(scored=False, is_correct=True).count() == 5
    results = ObjectiveResult.objects.filter(attempt=done)
    assert sum(r.total for r in results) == 9 and sum(r.correct for r in results) == 0


def test_all_scored_items_right_is_full_marks_whatever_the_unscored_ones(attempt):
    answer_all(attempt, scored_right=True, unscored_right=False)
    done = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    assert (done.raw_score, done.scaled_score, done.passed) == (9, 1000, True)
    results = ObjectiveResult.objects.filter(attempt=done)
    assert sum(r.correct for r in results) == sum(r.total for r in results) == 9


def test_objectives_without_a_scored_item_get_no_result(attempt):
    answer_all(attempt, scored_right=True, unscored_right=True)
    done = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    scored_objectives = set(done.items.filter(scored=True).values_list("objective_id", flat=True))
    assert set(done.objective_results.values_list("objective_id", flat=True)) == scored_objectives


def test_mastery_history_and_the_leads_csv_read_only_scored_items(
    client, attempt, learner, team_lead
):
    answer_all(attempt, scored_right=False, unscored_right=True)
    done = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    mastery = reports.objective_mastery(learner, NOW + timedelta(hours=1))
    assert sum(m.answers for m in mastery.values()) == 9
    client.force_login(learner)
    history = client.get(reverse("exams:history")).content.decode()
    assert "0/9" in history and "/14" not in history
    client.force_login(team_lead)
    cohort = team_lead.memberships.get().cohort
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("exams:cohort_members_csv", args=[cohort.pk])).content.decode()
            )
        )
    )
    header = rows[0]
    lena = dict(zip(header, next(r for r in rows if r[0] == "lena"), strict=True))
    assert lena["best score"] == lena["latest score"] == str(done.scaled_score) == "100"


def test_nothing_on_the_exam_pages_tells_an_unscored_item_apart(client, attempt, learner):
    """Not the question page, its htmx partial, the replies to a save or a
    flag, nor the review page: not in text, attributes or headers."""
    client.force_login(learner)
    url = reverse("exams:attempt_take", args=[attempt.pk])
    htmx = {"HX-Request": "true"}
    scored = attempt.items.filter(scored=True).first()
    unscored = attempt.items.filter(scored=False).first()

    def replies(item) -> list:
        return [
            client.get(url, {"q": item.position}),
            client.get(url, {"q": item.position}, headers=htmx),
            client.post(
                reverse("exams:attempt_answer", args=[attempt.pk, item.position]),
                {"seq": str(item.seq), **right_answer(item.snapshot)},
                headers=htmx,
            ),
            client.post(
                reverse("exams:attempt_flag", args=[attempt.pk, item.position]),
                {"flagged": "1"},
                headers=htmx,
            ),
        ]

    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        pages = [*replies(scored), *replies(unscored)]
        pages.append(client.get(reverse("exams:attempt_review", args=[attempt.pk])))
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode().lower() + repr(response.headers).lower()
        assert "scored" not in text and "pretest" not in text, response.request


VOLATILE = re.compile(
    r'(nonce="|"x-csrftoken": "|name="csrfmiddlewaretoken" value="|name="writer" value=")[\w-]+'
)


def test_the_exam_pages_are_the_same_whether_items_are_scored_or_not(client, attempt, learner):
    client.force_login(learner)
    take = reverse("exams:attempt_take", args=[attempt.pk])
    position = attempt.items.filter(scored=False).first().position

    def pages() -> list[str]:
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            found = [
                client.get(take, {"q": position}),
                client.get(take, {"q": position}, headers={"HX-Request": "true"}),
                client.get(reverse("exams:attempt_review", args=[attempt.pk])),
            ]
        # What differs on every page load: the CSP nonce, the CSRF token's mask, the page's id.
        return [VOLATILE.sub(r"\1…", r.content.decode()) for r in found]

    as_drawn = pages()
    attempt.items.update(scored=True)
    assert pages() == as_drawn


def test_the_result_lists_unscored_items_after_the_others_with_their_review(
    client, attempt, learner
):
    answer_all(attempt, scored_right=True, unscored_right=False)
    done = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    client.force_login(learner)
    html = client.get(reverse("exams:attempt_result", args=[done.pk])).content.decode()
    head, unscored = html.split('<h2 id="unscored-heading">Unscored questions</h2>')
    assert head.count('class="review-item') == 9
    assert unscored.count(' is-unscored"') == 5
    assert unscored.count('<span class="tag">unscored</span>') == 5
    assert unscored.count("✓ Correct answer") >= 5  # the key is shown for each
    assert "<dd>9 / 9</dd>" in head and "5 unscored not counted" in head
    assert "5 unscored not counted" in head


def pretest_only(objective_code: str) -> set[int]:
    """Every question of one objective becomes a pretest draft."""
    questions = Question.objects.filter(objective__code=objective_code)
    questions.update(status=Question.Status.DRAFT, pretest=True)
    return set(questions.values_list("pk", flat=True))


@pytest.mark.parametrize("seed", range(6))
def test_a_pretest_draft_is_drawn_only_as_an_unscored_item(bank, learner, seed):
    drafts = pretest_only("3.3.1.1")
    exam = make_exam(questions=20, unscored_count=3)
    attempt = start(learner, exam, NOW, seed=seed)
    items = list(attempt.items.values_list("question_id", "scored"))
    assert not {q for q, scored in items if scored} & drafts
    unscored = {q for q, scored in items if not scored}
    # The pretest drafts come first; the objective asks for about 3/14 of them, at least one.
    assert unscored & drafts and len(unscored) == 3


def test_a_pretest_draft_is_never_drawn_into_an_exam_without_unscored_items(bank, learner):
    drafts = pretest_only("3.3.1.1")
    exam = make_exam(questions=40)
    for seed in range(3):
        attempt = start(learner, exam, NOW, seed=seed)
        assert not set(attempt.items.values_list("question_id", flat=True)) & drafts
        submit_attempt(attempt=attempt, now=NOW)


def test_a_plain_draft_is_never_drawn_even_as_unscored(bank, learner):
    questions = Question.objects.filter(objective__code="3.3.1.1")
    questions.update(status=Question.Status.DRAFT)
    exam = make_exam(questions=20, unscored_count=10)
    attempt = start(learner, exam, NOW)
    assert not attempt.items.filter(question__in=questions).exists()


def test_an_unshuffled_exam_does_not_place_its_unscored_items_where_they_can_be_told(bank, learner):
    """In objective order, an unscored item is not always its objective's last one."""
    exam = make_exam(questions=42, unscored_count=10, shuffle_questions=False)
    last = not_last = 0
    for seed in range(5):
        attempt = start(learner, exam, NOW, seed=seed)
        blocks: dict[int, list[bool]] = {}
        for objective, scored in attempt.items.order_by("position").values_list(
            "objective_id", "scored"
        ):
            blocks.setdefault(objective, []).append(scored)
        for flags in blocks.values():
            for n, scored in enumerate(flags):
                if not scored:
                    last, not_last = last + (n == len(flags) - 1), not_last + (n < len(flags) - 1)
        submit_attempt(attempt=attempt, now=NOW)
    assert last + not_last == 50
    assert not_last >= 15, (last, not_last)  # about two in three when placed at random


def test_rollups_and_the_cohort_pages_count_only_scored_items(client, attempt, learner, team_lead):
    answer_all(attempt, scored_right=True, unscored_right=False)
    done = submit_attempt(attempt=attempt, now=NOW + timedelta(minutes=5))
    unscored = dict(done.items.filter(scored=False).values_list("question_id", "objective_id"))

    def sums() -> tuple[int, int]:
        rows = ObjectiveRollup.objects.filter(user=learner)
        return sum(r.answers for r in rows), sum(r.correct for r in rows)

    assert sums() == (9, 9)
    rollups.rebuild()  # from scratch: the same
    assert sums() == (9, 9)

    client.force_login(team_lead)
    cohort = team_lead.memberships.get().cohort
    report = client.get(reverse("exams:cohort_detail", args=[cohort.pk])).context["report"]
    assert sum(a.answers for a in report.averages) == 9
    (lena,) = [m for m in report.members if m.username == "lena"]
    assert (lena.best, lena.latest) == (1000, 1000)
    for objective_id in set(unscored.values()):
        page = client.get(reverse("exams:cohort_objective", args=[cohort.pk, objective_id]))
        missed = page.context["questions"]
        assert not {m.question.pk for m in missed} & set(unscored)
        assert all(m.missed == 0 for m in missed)

"""Practice: selection rules, checking, feedback, bad input, query budgets."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exams import practice
from exams.markdown import sanitize_markdown
from exams.models import Objective, PracticeAnswer, PracticeSession, Question, ReviewCard
from tests.conftest import right_answer, wrong_answer

HTMX = {"HX-Request": "true"}
NOW = timezone.datetime(2026, 11, 24, 9, 0, tzinfo=timezone.UTC)


def open_session(user, scope="objective", value="3.3.1.4", now=NOW, seed=1):
    return practice.start_session(
        user=user, scope=scope, value=value, now=now, rng=random.Random(seed)
    )


def check(session, data, now=NOW, right=None):
    from tests.conftest import as_query

    session.refresh_from_db()
    _, answer = practice.check_answer(
        user=session.user,
        session_id=session.pk,
        token=session.current_token,
        data=as_query(data),
        now=now,
    )
    return answer


def answer_current(session, right: bool, now=NOW):
    session.refresh_from_db()
    data = (right_answer if right else wrong_answer)(session.current_snapshot)
    return check(session, data, now=now)


def next_question(session, now=NOW, seed=2):
    session.refresh_from_db()
    return practice.serve_next(session=session, now=now, rng=random.Random(seed))


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


# --- selection -----------------------------------------------------------


def test_a_session_serves_a_question_of_its_scope(bank, learner):
    session = open_session(learner)
    assert session.current_question.objective.code == "3.3.1.4"
    assert session.current_snapshot["key"]
    assert session.current_note == "New to you."


def test_unseen_questions_come_first_and_never_the_same_twice_in_a_row(bank, learner):
    session = open_session(learner)
    pool = Question.objects.published().filter(objective__code="3.3.1.4").count()
    seen = []
    for _ in range(pool):
        seen.append(session.current_question_id)
        answer_current(session, right=True)
        session = next_question(session, seed=len(seen))
    assert len(set(seen)) == pool  # every question once before any repeat
    assert session.current_question_id != seen[-1]


def test_missed_questions_come_before_due_ones(bank, learner):
    session = open_session(learner)
    pool = list(Question.objects.published().filter(objective__code="3.3.1.4"))
    missed = None
    for index in range(len(pool)):
        right = index != 2
        if not right:
            missed = session.current_question_id
        answer_current(session, right=right)
        session = next_question(session, seed=index)
    # Everything is seen now; the next is the missed one (unless it was just served).
    if session.current_question_id != missed:
        answer_current(session, right=True)
        session = next_question(session, seed=99)
    assert session.current_question_id == missed
    assert session.current_note == "You missed this one last time."


def test_due_cards_come_first_among_reviewed_questions(bank, learner):
    session = open_session(learner, value="3.3.1.1")
    pool = Question.objects.published().filter(objective__code="3.3.1.1").count()
    for index in range(pool):
        answer_current(session, right=True)
        session = next_question(session, seed=index)
    # Make one card due long ago, the others far in the future.
    cards = ReviewCard.objects.filter(user=learner).exclude(question=session.current_question)
    cards.update(due=NOW + timedelta(days=30))
    overdue = cards.first()
    ReviewCard.objects.filter(pk=overdue.pk).update(due=NOW - timedelta(days=1))
    answer_current(session, right=True)
    session = next_question(session, now=NOW + timedelta(minutes=1))
    assert session.current_question_id == overdue.question_id
    assert session.current_note == "Due for review."


def test_the_weakest_scope_takes_the_three_lowest_objectives(bank, learner):
    weak = list(Objective.objects.filter(code__in=["3.3.2.2", "3.3.3.1", "3.3.3.5"]))
    strong = Objective.objects.exclude(pk__in=[o.pk for o in weak])
    for objective, right in [(o, False) for o in weak] + [(o, True) for o in strong]:
        s = open_session(learner, value=objective.code)
        answer_current(s, right=right)
    session = open_session(learner, scope="weakest", value="")
    assert sorted(session.objective_ids) == sorted(o.pk for o in weak)
    assert session.label.startswith("My weakest objectives:")


def test_an_fsrs_card_records_each_answer(bank, learner):
    session = open_session(learner)
    question = session.current_question_id
    answer_current(session, right=False)
    card = ReviewCard.objects.get(user=learner, question_id=question)
    assert (card.last_correct, card.reviews, card.lapses) == (False, 1, 1)
    assert NOW < card.due <= NOW + timedelta(minutes=15)  # relearning step
    assert PracticeAnswer.objects.get(question_id=question).question_version == 1


def test_a_scope_without_questions_or_an_unknown_scope_is_refused(bank, learner):
    Question.objects.filter(objective__code="3.3.1.4").update(status="retired")
    with pytest.raises(practice.PracticeError, match="no published questions"):
        open_session(learner)
    with pytest.raises(practice.PracticeError, match=r"There is no objective '9\.9'"):
        open_session(learner, value="9.9")
    with pytest.raises(practice.PracticeError, match="Choose what to practise"):
        open_session(learner, scope="everything-ever")


def test_starting_a_session_ends_the_open_one(bank, learner):
    first = open_session(learner)
    open_session(learner, value="3.3.1.1")
    first.refresh_from_db()
    assert first.ended_at == NOW


# --- pages -----------------------------------------------------------------


def start_page(client, value="3.3.1.4"):
    response = client.post(reverse("exams:practice_start"), {"scope": "objective", "value": value})
    return PracticeSession.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def test_the_question_page_has_no_key_until_checked(learner_client, bank):
    session = start_page(learner_client)
    page = learner_client.get(reverse("exams:practice_session", args=[session.pk])).content.decode()
    snap = session.current_snapshot
    assert snap["explanation"][:40] not in page
    assert all(o["feedback"][:40] not in page for o in snap["options"] if o["feedback"])
    assert "Correct answer" not in page and "is-key" not in page


def start_on_kind(client, learner, kind: str) -> PracticeSession:
    """A practice session whose first question is of `kind`: the bank's first
    such question, the rest of its objective marked practised (a session
    serves a question never practised first)."""
    question = Question.objects.published().filter(kind=kind).order_by("external_id").first()
    others = (
        Question.objects.published().filter(objective=question.objective).exclude(pk=question.pk)
    )
    ReviewCard.objects.bulk_create(
        ReviewCard(
            user=learner,
            question=q,
            objective=q.objective,
            card={},
            due=timezone.now() + timedelta(days=30),
            last_correct=True,
        )
        for q in others
    )
    session = start_page(client, question.objective.code)
    assert session.current_question_id == question.pk
    return session


@pytest.mark.parametrize(
    "kind, key_marker",
    [
        ("single", "✓ Correct answer"),
        ("multiple", "✓ Correct answer"),
        ("ordering", "The correct order, with the place you gave each"),
        ("matching", "✓ Correct match:"),
    ],
)
def test_check_swaps_in_feedback_with_key_and_explanation_not_the_source(
    learner_client, learner, bank, kind, key_marker
):
    session = start_on_kind(learner_client, learner, kind)
    data = {"token": session.current_token, **right_answer(session.current_snapshot)}
    response = learner_client.post(
        reverse("exams:practice_check", args=[session.pk]), data, headers=HTMX
    )
    html = response.content.decode()
    snap = session.current_snapshot
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="practice-card"')
    assert "✓ Correct</h2>" in html and key_marker in html
    assert sanitize_markdown(snap["explanation"]) in html
    # The source is an internal reference for instructors (admin and exports only).
    assert "Source:" not in html and snap["source"] not in html
    assert 'id="practice-announcer" hx-swap-oob="innerHTML">Correct.' in html
    assert 'id="next-button"' in html


def test_a_wrong_answer_says_so(learner_client, bank):
    session = start_page(learner_client)
    data = {"token": session.current_token, **wrong_answer(session.current_snapshot)}
    html = learner_client.post(
        reverse("exams:practice_check", args=[session.pk]), data, headers=HTMX
    ).content.decode()
    assert "✗ Not quite" in html and "Incorrect." in html


def test_next_swaps_in_another_question(learner_client, bank):
    session = start_page(learner_client)
    first = session.current_question_id
    learner_client.post(
        reverse("exams:practice_check", args=[session.pk]),
        {"token": session.current_token, **right_answer(session.current_snapshot)},
    )
    response = learner_client.post(
        reverse("exams:practice_next", args=[session.pk]),
        {"token": session.current_token},
        headers=HTMX,
    )
    session.refresh_from_db()
    assert session.current_question_id != first
    assert "Check answer" in response.content.decode()


def test_without_javascript_check_and_next_redirect_to_the_session_page(learner_client, bank):
    session = start_page(learner_client)
    url = reverse("exams:practice_session", args=[session.pk])
    data = {"token": session.current_token, **right_answer(session.current_snapshot)}
    assert (
        learner_client.post(reverse("exams:practice_check", args=[session.pk]), data)["Location"]
        == url
    )
    assert "✓ Correct" in learner_client.get(url).content.decode()
    nxt = learner_client.post(
        reverse("exams:practice_next", args=[session.pk]), {"token": session.current_token}
    )
    assert nxt["Location"] == url
    assert "Check answer" in learner_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("case", "message", "status"),
    [
        ("second check, another answer", "already checked this question", 409),
        ("old token", "no longer the one being practised", 409),
        ("foreign choice", "not part of this question", 400),
        ("no answer", "Choose an answer before you check it.", 400),
    ],
)
def test_bad_checks_get_a_message_and_change_nothing(learner_client, bank, case, message, status):
    session = start_page(learner_client)
    snap = session.current_snapshot
    url = reverse("exams:practice_check", args=[session.pk])
    data = {"token": session.current_token, **right_answer(snap)}
    if case.startswith("second check"):
        learner_client.post(url, data)
        data = {"token": session.current_token, **wrong_answer(snap)}
    elif case == "old token":
        data["token"] = "0123456789abcdef"
    elif case == "foreign choice":
        data = {
            "token": session.current_token,
            "choice": "ffffffff",
            "rank-ffffffff": "1",
            "match-ffffffff": "x",
        }
    else:
        data = {"token": session.current_token}
    before = PracticeAnswer.objects.count()
    response = learner_client.post(url, data, headers=HTMX)
    assert response.status_code == status
    assert message in response.content.decode()
    assert response["HX-Retarget"] == "#practice-alert"
    assert PracticeAnswer.objects.count() == before
    plain = learner_client.post(url, data)
    assert plain.status_code == status and message in plain.content.decode()


def test_a_check_sent_again_shows_the_same_feedback_and_changes_nothing(learner_client, bank):
    session = start_page(learner_client)
    url = reverse("exams:practice_check", args=[session.pk])
    data = {"token": session.current_token, **right_answer(session.current_snapshot)}
    first = learner_client.post(url, data, headers=HTMX)
    card = ReviewCard.objects.get()
    again = learner_client.post(url, data, headers=HTMX)  # a retry after a lost reply
    assert first.status_code == again.status_code == 200
    assert "Correct" in again.content.decode()
    assert PracticeAnswer.objects.count() == 1
    assert ReviewCard.objects.get().reviews == card.reviews == 1


@pytest.mark.parametrize(
    "name",
    ["practice_session", "practice_check", "practice_next", "practice_end", "practice_summary"],
)
def test_another_learners_session_is_404(client, bank, learner, other_learner, name):
    session = open_session(learner)
    client.force_login(other_learner)
    url = reverse(f"exams:{name}", args=[session.pk])
    method = client.get if name in ("practice_session", "practice_summary") else client.post
    assert method(url, {"token": session.current_token}).status_code == 404
    session.refresh_from_db()
    assert session.ended_at is None and not session.current_checked


def test_ending_shows_a_summary_of_what_improved(learner_client, bank, learner):
    session = start_page(learner_client)
    for _ in range(3):
        session.refresh_from_db()
        learner_client.post(
            reverse("exams:practice_check", args=[session.pk]),
            {"token": session.current_token, **right_answer(session.current_snapshot)},
        )
        learner_client.post(
            reverse("exams:practice_next", args=[session.pk]), {"token": session.current_token}
        )
    response = learner_client.post(reverse("exams:practice_end", args=[session.pk]), follow=True)
    page = response.content.decode()
    assert "Answered" in page and ">3<" in page
    assert "How your mastery moved" in page and "Improved: Distillation." in page
    session.refresh_from_db()
    assert session.ended_at is not None
    # An ended session cannot take more answers.
    again = learner_client.post(
        reverse("exams:practice_check", args=[session.pk]), {"token": session.current_token}
    )
    assert again.status_code == 409


@pytest.mark.parametrize("size", [1, 10])
def test_check_and_next_run_a_constant_number_of_queries(
    learner_client, bank, size, django_assert_num_queries
):
    session = start_page(learner_client, value="3.3.1.4")
    for _ in range(size - 1):  # grow the learner's history
        session.refresh_from_db()
        answer_current(session, right=True)
        session = next_question(session, seed=_)
    session.refresh_from_db()
    data = {"token": session.current_token, **right_answer(session.current_snapshot)}
    # 1 session, 2 user, 3 SAVEPOINT (check_answer's transaction inside the
    # test's), 4 the session, locked, 5 INSERT the answer, 6 upsert the FSRS card,
    # 7 UPDATE the session (checked), 8 upsert the objective's rollup,
    # 9 upsert the learner's total rollup, 10 RELEASE SAVEPOINT.
    with django_assert_num_queries(10):
        assert (
            learner_client.post(
                reverse("exams:practice_check", args=[session.pk]), data, headers=HTMX
            ).status_code
            == 200
        )
    # 1 session, 2 user, 3 the session, 4 a question never practised (random),
    # 5 it with its objective and case, 6 its choices, 7 UPDATE the session.
    with django_assert_num_queries(7):
        assert (
            learner_client.post(
                reverse("exams:practice_next", args=[session.pk]),
                {"token": session.current_token},
                headers=HTMX,
            ).status_code
            == 200
        )


def test_the_practice_home_lists_scopes_and_mastery(learner_client, bank):
    page = learner_client.get(reverse("exams:practice_home")).content.decode()
    assert "Practise my weakest" in page and "Practise everything" in page
    assert "Practise all of Task 3.3" in page
    assert page.count('name="value" value="3.3') == 15  # the task + 14 objectives

"""Item analysis against figures worked out by hand on a small fixture.

Five finalized attempts at one exam, three scored items and one unscored item
each (1 = fully correct):

    attempt   Q1 single  Q2 ordering  Q3 multiple  | score t | U single, unscored
    A1            1          1           1          |    3    |   0
    A2            1          1           0          |    2    |   0
    A3            1          0           0          |    1    |   1
    A4            0          1           0          |    1    |   1
    A5            0          0           0 (blank)  |    0    |   1

The rest score of a scored item is t − x; of the unscored item, t.
"""

import csv
import io
import math
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from exams import analysis
from exams.analysis import OptionShare
from exams.models import (
    Attempt,
    AttemptItem,
    Choice,
    Domain,
    Exam,
    ExamObjective,
    ExamStatistics,
    Objective,
    Question,
    QuestionStatistics,
    TaskStatement,
)
from exams.snapshots import ItemSnapshot
from tests.conftest import make_user
from tests.exams.test_reports import add_answers

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_question(objective, external_id, kind, options):
    """options: (text, correct) for choice kinds; texts in order for ordering."""
    question = Question.objects.create(
        external_id=external_id,
        objective=objective,
        kind=kind,
        status=Question.Status.PUBLISHED,
        stem=f"Stem of {external_id}",
        explanation="Because.",
        source="test",
    )
    Choice.objects.bulk_create(
        Choice(
            question=question,
            position=n,
            text=text,
            is_correct=correct,
            feedback=f"About {text}.",
        )
        for n, (text, correct) in enumerate(options, start=1)
    )
    return question


def answer(snapshot: dict, given) -> dict | None:
    """A response choosing options by text (choice kinds), or right/wrong (ordering)."""
    by_text = {o["text"]: o["id"] for o in snapshot["options"]}
    kind = snapshot["kind"]
    if given is None:
        return None
    if kind == "single":
        return {"choice": by_text[given]}
    if kind == "multiple":
        return {"choices": sorted(by_text[t] for t in given)}
    key = snapshot["key"]
    order = key if given else list(reversed(key))
    return {"ranks": {oid: place for place, oid in enumerate(order, start=1)}}


def add_attempt(user, exam, answers: dict, *, status=Attempt.Status.SUBMITTED, unscored=()):
    """An attempt with one item per (question → given answer), graded as finalize does."""
    attempt = Attempt.objects.create(
        user=user, exam=exam, status=status, started_at=NOW - timedelta(hours=1)
    )
    rng = random.Random(attempt.pk)
    rows, score = [], 0
    for position, (question, given) in enumerate(answers.items(), start=1):
        choices = list(question.choices.order_by("position"))
        snapshot = ItemSnapshot.freeze(question, choices, rng=rng, shuffle=True)
        response = answer(snapshot.data, given)
        right = snapshot.grade(response)
        scored = question not in unscored
        score += right and scored
        rows.append(
            AttemptItem(
                attempt=attempt,
                position=position,
                question=question,
                question_version=1,
                objective_id=question.objective_id,
                snapshot=snapshot.data,
                response=response,
                is_correct=right if status != Attempt.Status.IN_PROGRESS else None,
                scored=scored,
            )
        )
    AttemptItem.objects.bulk_create(rows)
    attempt.raw_score, attempt.total = score, len(rows)
    attempt.save()
    return attempt


TABLE = [  # Q1, Q2 (right or not), Q3, U: the table in the module's docstring
    ("Right", True, ["A1", "B1"], "No"),
    ("Right", True, ["A1", "C1"], "No"),
    ("Right", False, ["A1", "C1"], "Yes"),
    ("Bravo", True, ["B1", "D1"], "Yes"),
    ("Bravo", False, None, "Yes"),
]


def take_table(exam, questions: dict, prefix: str) -> None:
    """Five learners named `prefix`1… take `exam` and answer as in TABLE."""
    q1, q2, q3, u = (questions[k] for k in ("q1", "q2", "q3", "u"))
    for n, (a1, a2, a3, au) in enumerate(TABLE, start=1):
        add_attempt(make_user(f"{prefix}{n}"), exam, {q1: a1, q2: a2, q3: a3, u: au}, unscored=[u])


@pytest.fixture
def fixture(db):
    domain = Domain.objects.create(code="T", title="Test")
    task = TaskStatement.objects.create(domain=domain, code="T.1", title="Task")
    objective = Objective.objects.create(task_statement=task, code="T.1.1", title="Objective")
    q1 = make_question(
        objective,
        "q1",
        "single",
        [("Right", True), ("Bravo", False), ("Charlie", False), ("Delta", False)],
    )
    q2 = make_question(
        objective, "q2", "ordering", [("First", False), ("Second", False), ("Third", False)]
    )
    q3 = make_question(
        objective, "q3", "multiple", [("A1", True), ("B1", True), ("C1", False), ("D1", False)]
    )
    u = make_question(objective, "u", "single", [("Yes", True), ("No", False)])
    exam = Exam.objects.create(title="Fixture", slug="fixture", question_count=4, is_published=True)
    ExamObjective.objects.create(exam=exam, objective=objective)
    questions = {"q1": q1, "q2": q2, "q3": q3, "u": u}
    take_table(exam, questions, "taker")
    # Not counted: an attempt in progress, and (for the exam's figures) another exam's.
    add_attempt(make_user("busy"), exam, {q1: "Delta", q2: True}, status=Attempt.Status.IN_PROGRESS)
    other = Exam.objects.create(title="Other", slug="other", question_count=1)
    add_attempt(make_user("elsewhere"), other, {q1: "Charlie"})
    return {"exam": exam, "other": other, "q1": q1, "q2": q2, "q3": q3, "u": u}


def test_facility_is_the_share_fully_correct(fixture):
    figures = analysis.analyse_items(exam=fixture["exam"], min_responses=1)
    facility = {fixture[k].pk: v for k, v in {"q1": 0.6, "q2": 0.6, "q3": 0.2, "u": 0.6}.items()}
    assert {q: figures[q].facility for q in facility} == pytest.approx(facility)
    assert {figures[q].responses for q in facility} == {5}


def test_discrimination_is_the_corrected_item_rest_correlation(fixture):
    figures = analysis.analyse_items(exam=fixture["exam"], min_responses=1)
    # Q1: x = 1 1 1 0 0, rest = 2 1 0 1 0: n 5, Σx 3, Σy 4, Σxy 3, Σy² 6
    #     r = (5·3 − 3·4) / √((5·3 − 3²)(5·6 − 4²)) = 3/√84
    assert figures[fixture["q1"].pk].discrimination == pytest.approx(3 / math.sqrt(84))
    # Q3: x = 1 0 0 0 0, rest = 2 2 1 1 0: (5·2 − 1·6) / √((5 − 1)(5·10 − 36)) = 4/√56
    assert figures[fixture["q3"].pk].discrimination == pytest.approx(4 / math.sqrt(56))
    # U (unscored): x = 0 0 1 1 1 against the whole score 3 2 1 1 0:
    #     (5·2 − 3·7) / √((5·3 − 9)(5·15 − 49)) = −11/√156
    assert figures[fixture["u"].pk].discrimination == pytest.approx(-11 / math.sqrt(156))


def test_an_unscored_item_is_left_out_of_the_rest_score(fixture):
    """Were U counted in the rest, Q1's rest would be 2 1 1 2 1 and r = 1/6 … not 3/√84."""
    figures = analysis.analyse_items(exam=fixture["exam"], min_responses=1)
    assert figures[fixture["q1"].pk].discrimination != pytest.approx(
        analysis.item_rest_correlation(n=5, sx=3, sy=7, sxy=4, syy=11)
    )


def test_option_shares_count_each_choice(fixture):
    figures = analysis.analyse_items(exam=fixture["exam"], min_responses=1)
    q1 = figures[fixture["q1"].pk]
    assert [(o.label, o.text, o.correct, o.chosen, o.share) for o in q1.options] == [
        ("A", "Right", True, 3, 0.6),
        ("B", "Bravo", False, 2, 0.4),
        ("C", "Charlie", False, 0, 0.0),
        ("D", "Delta", False, 0, 0.0),
    ]
    # Multiple response: shares add up to more than one; a blank answer chose nothing.
    q3 = figures[fixture["q3"].pk]
    assert [(o.chosen, o.share) for o in q3.options] == [(3, 0.6), (2, 0.4), (2, 0.4), (1, 0.2)]
    assert figures[fixture["q2"].pk].options == ()


def test_over_every_exam_the_other_exams_attempt_counts(fixture):
    figures = analysis.analyse_items(min_responses=1)
    q1 = figures[fixture["q1"].pk]
    assert q1.responses == 6 and q1.facility == pytest.approx(0.5)
    assert [o.chosen for o in q1.options] == [3, 2, 1, 0]


def test_cronbach_alpha_and_sem_of_the_exam(fixture):
    reliability = analysis.exam_reliability(exam=fixture["exam"], min_attempts=1)
    # Scored items only. Item variances p(1−p): 0.24 + 0.24 + 0.16 = 0.64;
    # totals 3 2 1 1 0: mean 1.4, variance 15/5 − 1.96 = 1.04;
    # alpha = 3/2 · (1 − 0.64/1.04) = 0.5769…; SEM = √1.04 · √(1 − alpha) = √0.44.
    assert (reliability.attempts, reliability.items) == (5, 3)
    assert reliability.alpha == pytest.approx(1.5 * (1 - 0.64 / 1.04))
    assert reliability.sem == pytest.approx(math.sqrt(0.44))
    assert reliability.sem_scaled == pytest.approx(math.sqrt(0.44) * 300)


def test_alpha_matches_the_textbook_formula_with_sample_variances():
    scores = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]]

    def var(values):
        mean = sum(values) / len(values)
        return sum((v - mean) ** 2 for v in values) / (len(values) - 1)

    items = sum(var([row[i] for row in scores]) for i in range(3))
    total = var([sum(row) for row in scores])
    assert analysis.cronbach_alpha(
        items=3, item_variance=items, total_variance=total
    ) == pytest.approx(1.5 * (1 - 0.64 / 1.04))


def test_below_the_minimum_it_says_not_enough_data(fixture):
    figures = analysis.analyse_items(exam=fixture["exam"])  # 5 responses < 30
    q1 = figures[fixture["q1"].pk]
    assert q1.responses == 5
    assert (q1.facility, q1.discrimination, q1.warnings) == (None, None, ())
    assert {o.share for o in q1.options} == {None}
    assert analysis.exam_reliability(exam=fixture["exam"]).alpha is None


def test_warnings_with_their_reasons(fixture):
    figures = analysis.analyse_items(exam=fixture["exam"], min_responses=1)
    codes = {
        key: [w.code for w in figures[fixture[key].pk].warnings]
        for key in fixture
        if key.startswith(("q", "u"))
    }
    assert codes == {
        "q1": ["dead_distractor", "dead_distractor"],
        "q2": [],
        "q3": [],
        "u": ["negative"],
    }
    q1 = figures[fixture["q1"].pk].warnings
    assert q1[0].message.startswith("Dead distractor C: chosen by 0 %")
    assert "key may be wrong" in figures[fixture["u"].pk].warnings[0].message


@pytest.mark.parametrize(
    ("facility", "discrimination", "codes"),
    [
        (0.95, 0.3, ["too_easy"]),
        (0.9, 0.3, []),
        (0.15, 0.3, ["too_hard"]),
        (0.2, 0.3, []),
        (0.5, 0.1, ["not_discriminating"]),
        (0.5, 0.15, []),
        (0.5, -0.05, ["negative"]),
        (0.5, None, []),
    ],
)
def test_warning_thresholds(facility, discrimination, codes):
    found = analysis.findings(facility=facility, discrimination=discrimination, options=[])
    assert [f.code for f in found] == codes


def test_a_distractor_at_five_percent_is_alive():
    def option(share, correct=False):
        return OptionShare("B", 1, "b", correct, 0, share)

    assert option(0.049).dead and not option(0.05).dead
    assert not option(0.0, correct=True).dead and not option(None).dead


def test_correlation_is_undefined_when_nothing_varies():
    assert analysis.item_rest_correlation(n=4, sx=4, sy=6, sxy=6, syy=10) is None
    assert analysis.item_rest_correlation(n=4, sx=2, sy=8, sxy=4, syy=16) is None


def test_practice_answers_are_counted_separately(fixture):
    q1 = fixture["q1"]
    add_answers(make_user("practiser"), q1, [True, True, False])
    figures = analysis.analyse_items(exam=fixture["exam"], min_responses=1)
    assert figures[q1.pk].practice_responses == 3
    assert figures[q1.pk].practice_facility == pytest.approx(2 / 3)
    assert figures[q1.pk].responses == 5  # mock-exam figures unchanged


def test_analysis_takes_five_queries_whatever_the_data(fixture, django_assert_num_queries):
    # 1 item sums, 2 option counts, 3 practice counts, 4 questions, 5 their choices.
    with django_assert_num_queries(5):
        analysis.analyse_items(exam=fixture["exam"])
    add_attempt(make_user("more"), fixture["exam"], {fixture["q1"]: "Right"})
    with django_assert_num_queries(5):
        analysis.analyse_items()


def test_reliability_takes_one_query(fixture, django_assert_num_queries):
    with django_assert_num_queries(1):  # 1 the sums of items and totals
        analysis.exam_reliability(exam=fixture["exam"])
    with django_assert_num_queries(1):  # 1 the same for every exam
        every = analysis.reliabilities(min_attempts=1)
    assert every[fixture["exam"].pk].alpha == pytest.approx(1.5 * (1 - 0.64 / 1.04))
    # One attempt with one item: the totals do not vary, alpha is undefined.
    assert every[fixture["other"].pk] == analysis.Reliability(1, 1, None, None)


def test_stored_figures_are_refreshed_when_old(fixture, django_assert_num_queries):
    # 1 how old the figures are (none yet), 2-6 the analysis, 7 the exams'
    # reliability, 8 savepoint, 9-10 upsert the questions' figures and delete those
    # no longer analysed, 11-12 the same for the exams, 13 release the savepoint.
    with django_assert_num_queries(13):
        analysis.ensure_fresh(now=NOW)
    stats = QuestionStatistics.objects.get(question=fixture["q1"])
    assert (stats.responses, stats.computed_at) == (6, NOW)
    assert stats.facility is None  # pooled over both exams: 6 responses, not enough
    with django_assert_num_queries(1):  # 1 how old the figures are
        assert analysis.ensure_fresh(now=NOW + analysis.MAX_AGE) == NOW
    assert analysis.ensure_fresh(now=NOW + analysis.MAX_AGE + timedelta(seconds=1)) > NOW


def test_stored_figures_keep_the_figures_and_warnings(fixture):
    assert analysis.refresh_statistics(now=NOW, min_responses=1) == 4
    q1 = QuestionStatistics.objects.get(question=fixture["q1"])
    assert (q1.responses, q1.facility, q1.has_warning) == (6, 0.5, True)
    assert [w["code"] for w in q1.warnings] == ["dead_distractor"]  # Charlie chosen once now
    choices = list(fixture["q1"].choices.order_by("position").values_list("pk", flat=True))
    assert [q1.options[str(pk)]["chosen"] for pk in choices] == [3, 2, 1, 0]
    u = QuestionStatistics.objects.get(question=fixture["u"])
    assert [w["code"] for w in u.warnings] == ["negative"]

    exam = ExamStatistics.objects.get(exam=fixture["exam"])
    assert (exam.attempts, exam.items) == (5, 3)
    assert exam.alpha == pytest.approx(1.5 * (1 - 0.64 / 1.04))

    analysis.refresh_statistics(now=NOW + timedelta(hours=1))  # default minimum
    assert not QuestionStatistics.objects.filter(has_warning=True).exists()
    assert QuestionStatistics.objects.filter(computed_at=NOW).count() == 0


# --- the item_analysis command ---------------------------------------------------


def run_command(capsys, *args):
    call_command("item_analysis", *args)
    return capsys.readouterr().out


def test_the_command_writes_csv_with_a_share_per_option(fixture, capsys):
    out = run_command(capsys, "--exam", "fixture", "--format", "csv", "--min-responses", "1")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:10] == [
        "question",
        "external_id",
        "kind",
        "responses",
        "facility",
        "discrimination",
        "option_a",
        "option_b",
        "option_c",
        "option_d",
    ]
    by_id = {row["external_id"]: row for row in rows}
    q1 = by_id["q1"]
    assert q1["question"] == str(fixture["q1"].pk)
    assert (q1["responses"], q1["facility"], q1["discrimination"]) == ("5", "0.600", "0.327")
    assert [q1[f"option_{c}"] for c in "abcd"] == ["0.600", "0.400", "0.000", "0.000"]
    assert q1["warnings"] == "dead distractor; dead distractor"
    assert [by_id["u"][f"option_{c}"] for c in "abcd"] == ["0.600", "0.400", "", ""]
    assert by_id["q2"]["option_a"] == "" and by_id["u"]["warnings"] == "negative: check the key"


def test_the_command_leaves_figures_empty_below_the_minimum(fixture, capsys):
    out = run_command(capsys, "--exam", "fixture", "--format", "csv")
    q1 = next(r for r in csv.DictReader(io.StringIO(out)) if r["external_id"] == "q1")
    assert (q1["responses"], q1["facility"], q1["option_a"], q1["warnings"]) == ("5", "", "", "")


def test_the_command_prints_a_table_with_alpha(fixture, capsys):
    out = run_command(capsys, "--exam", "fixture", "--min-responses", "1")
    assert "5 finalized attempts, 3.0 scored items each: Cronbach's alpha 0.58, SEM 0.66" in out
    line = next(row for row in out.splitlines() if " q1 " in row)
    assert line.split()[1:6] == ["q1", "single", "5", "0.600", "0.327"]
    assert "A* 60% B 40% C 0% D 0%" in line
    assert "u: Negative discrimination (-0.88)" in out

    out = run_command(capsys, "--exam", "fixture")
    assert "not enough data for alpha" in out and "not enough data" in out.split("\n")[3]


def test_the_command_refuses_an_unknown_exam(fixture):
    with pytest.raises(
        CommandError, match=re.escape("There is no exam 'nope'. Exams: fixture, other.")
    ):
        call_command("item_analysis", "--exam", "nope")


def test_the_refresh_command_stores_the_figures(fixture, capsys):
    call_command("refresh_item_statistics")
    assert capsys.readouterr().out == "Item analysis recomputed for 4 questions.\n"
    assert QuestionStatistics.objects.get(question=fixture["q1"]).responses == 6

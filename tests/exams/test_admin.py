"""The question bank admin, as an instructor who is not a superuser uses it."""

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.analysis import refresh_statistics
from exams.bank.loader import load_bank_files
from exams.models import Attempt, Case, Question, QuestionVersion
from tests.conftest import make_user


class _FormReader(HTMLParser):
    """Collects the values a browser would submit from the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str | list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.data[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def form_data(html: str) -> dict:
    reader = _FormReader()
    reader.feed(html)
    data = reader.data
    for key, value in data.items():  # textareas start with a newline in Django's widget
        if isinstance(value, str) and value.startswith("\n"):
            data[key] = value[1:]
    return data


def change_url(question: Question) -> str:
    return reverse("admin:exams_question_change", args=[question.pk])


def single_question() -> Question:
    return Question.objects.filter(kind="single").order_by("external_id").first()


def test_the_instructors_group_has_exactly_the_banks_and_blueprints_permissions(db):
    codenames = set(
        Group.objects.get(name="Instructors").permissions.values_list("codename", flat=True)
    )
    bank = ("domain", "taskstatement", "objective", "question", "choice", "case")
    blueprints = ("exam", "examobjective", "examarea", "accommodation")
    expected = {
        f"{action}_{model}"
        for model in bank + blueprints
        for action in ("add", "change", "delete", "view")
    } | {"view_questionversion"}
    assert codenames == expected


def test_an_instructor_edits_a_question_and_it_gets_a_new_version(instructor_client, bank):
    question = single_question()
    data = form_data(instructor_client.get(change_url(question)).content.decode())
    data["stem"] = "A reworded scenario. Which statement is correct?"

    response = instructor_client.post(change_url(question), data, follow=True)

    assert response.status_code == 200
    question.refresh_from_db()
    assert question.stem == "A reworded scenario. Which statement is correct?"
    assert question.version == 2
    assert list(question.versions.values_list("version", "created_by__username", "note")) == [
        (2, "ines", "edited in the admin"),
        (1, None, "loaded from aif-c01-task-3.3.yaml"),
    ]
    assert "is now version 2" in response.content.decode()


def test_saving_without_changes_writes_no_new_version(instructor_client, bank):
    question = single_question()
    data = form_data(instructor_client.get(change_url(question)).content.decode())
    instructor_client.post(change_url(question), data)
    assert QuestionVersion.objects.filter(question=question).count() == 1


def test_a_single_answer_question_with_two_correct_choices_cannot_be_saved(instructor_client, bank):
    question = single_question()
    data = form_data(instructor_client.get(change_url(question)).content.decode())
    for index in range(question.choices.count()):
        data[f"choices-{index}-is_correct"] = "on"
    data["stem"] = "This edit must not be saved"

    response = instructor_client.post(change_url(question), data)

    assert response.status_code == 200
    page = response.content.decode()
    count = question.choices.count()
    assert f"A single-answer question needs exactly one correct choice (it has {count})." in page
    question.refresh_from_db()
    assert question.stem != "This edit must not be saved"
    assert question.choices.filter(is_correct=True).count() == 1


def test_an_ordering_question_needs_distinct_positions(instructor_client, bank):
    question = Question.objects.filter(kind="ordering").first()
    data = form_data(instructor_client.get(change_url(question)).content.decode())
    data["choices-1-position"] = data["choices-0-position"]
    response = instructor_client.post(change_url(question), data)
    assert "give each item of an ordering question its own place" in response.content.decode()
    assert question.versions.count() == 1


def test_the_preview_shows_the_question_with_its_key(instructor_client, bank):
    question = single_question()
    correct = question.choices.get(is_correct=True)
    url = reverse("admin:exams_question_preview", args=[question.pk])

    page = instructor_client.get(url).content.decode()

    assert "As the learner sees it" in page
    assert "✓ Correct" in page
    key = page[page.index("Key and feedback") :]
    row = key[key.index(correct.text[:40]) :]
    assert row.index("✓ Correct") < row.index("</tr>")
    assert "Explanation" in page


def test_bulk_actions_publish_and_retire(instructor_client, bank):
    chosen = list(Question.objects.order_by("pk").values_list("pk", flat=True)[:3])
    url = reverse("admin:exams_question_changelist")

    response = instructor_client.post(
        url, {"action": "retire", "_selected_action": chosen}, follow=True
    )
    assert "3 question(s) retired." in response.content.decode()
    assert set(Question.objects.filter(pk__in=chosen).values_list("status", flat=True)) == {
        "retired"
    }

    instructor_client.post(url, {"action": "publish", "_selected_action": chosen[:2]})
    statuses = dict(Question.objects.filter(pk__in=chosen).values_list("pk", "status"))
    assert statuses == {chosen[0]: "published", chosen[1]: "published", chosen[2]: "retired"}


@pytest.mark.parametrize(
    "query",
    [
        "task=3.3",
        "kind__exact=matching",
        "status__exact=published",
        "difficulty__exact=3",
        "q=distillation",
        "task=3.3&kind__exact=multiple&difficulty__exact=2&status__exact=published",
    ],
)
def test_the_changelist_filters_and_searches(
    instructor_client, bank, query, django_assert_num_queries
):
    url = reverse("admin:exams_question_changelist") + "?" + query
    with time_machine.travel(DAWN, tick=False):
        refresh_statistics(now=timezone.now())
        # 1 session, 2 user, 3-4 the user's and group permissions, 5 how old the
        # item analysis is (fresh), 6 the exams' reliability, 7 task statements
        # and 8 objectives (the filters), 9 count the filtered questions, 10 count
        # them all, 11 the page of questions with their objectives and statistics.
        with django_assert_num_queries(11):
            response = instructor_client.get(url)
    assert response.status_code == 200
    assert "result" in response.content.decode()


def test_filtering_by_kind_lists_only_that_kind(instructor_client, bank):
    url = reverse("admin:exams_question_changelist") + "?kind__exact=matching"
    rows = instructor_client.get(url).context["cl"].result_list
    assert rows and {q.kind for q in rows} == {"matching"}


def test_the_export_action_downloads_a_bank_file(instructor_client, bank):
    chosen = list(Question.objects.filter(kind="matching").values_list("pk", flat=True))
    response = instructor_client.post(
        reverse("admin:exams_question_changelist"),
        {"action": "export_selected", "_selected_action": chosen},
    )
    assert response["Content-Disposition"] == 'attachment; filename="questions.yaml"'
    text = response.content.decode()
    assert text.startswith("format: quizsite-bank/1") and text.count("kind: matching") == len(
        chosen
    )


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:accounts_user_changelist",
        "admin:accounts_cohort_changelist",
        "admin:exams_attempt_changelist",
        "admin:exams_attemptitem_changelist",
    ],
)
def test_an_instructor_cannot_see_users_cohorts_or_attempts(instructor_client, url_name):
    assert instructor_client.get(reverse(url_name)).status_code == 403


def test_the_admin_index_shows_an_instructor_only_the_bank(instructor_client):
    page = instructor_client.get(reverse("admin:index")).content.decode()
    assert "Questions" in page
    assert "Users" not in page and "Attempts" not in page


def test_a_superuser_sees_attempts_read_only(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:exams_attempt_changelist")).status_code == 200
    assert client.get(reverse("admin:exams_attempt_add")).status_code == 403
    assert Attempt.objects.count() == 0


def test_a_superuser_cannot_delete_an_attempt_or_its_items(client, bank, superuser, learner):
    """Deleting an attempt would undo a learner's history and leave the rollups
    counting it: the admin offers no delete, by page or by action."""
    from django.contrib.admin import helpers

    from exams.attempts import submit_attempt
    from tests.conftest import make_exam, start

    attempt = submit_attempt(attempt=start(learner, make_exam(questions=5)), now=timezone.now())
    client.force_login(superuser)
    assert client.get(reverse("admin:exams_attempt_delete", args=[attempt.pk])).status_code == 403
    assert (
        client.post(
            reverse("admin:exams_attempt_delete", args=[attempt.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    for model in ("attempt", "attemptitem"):
        changelist = reverse(f"admin:exams_{model}_changelist")
        assert "delete_selected" not in client.get(changelist).content.decode()
        ids = [str(attempt.pk)] if model == "attempt" else [str(i.pk) for i in attempt.items.all()]
        client.post(
            changelist,
            {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: ids, "post": "yes"},
        )
    assert Attempt.objects.filter(pk=attempt.pk).exists() and attempt.items.count() == 5


def test_a_learner_is_sent_to_the_admin_login(client, learner):
    client.force_login(learner)
    response = client.get(reverse("admin:exams_question_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("stem", "Stem"),
        ("explanation", "Explanation"),
        ("choices-0-text", "Choice"),  # the column's name for a single-answer question
        ("choices-1-feedback", "Feedback"),
    ],
)
def test_text_that_sanitizes_to_nothing_is_refused_in_the_admin(
    instructor_client, bank, field, label
):
    question = single_question()
    before = (question.stem, question.version)
    data = form_data(instructor_client.get(change_url(question)).content.decode())
    data[field] = "<script>x</script>"

    response = instructor_client.post(change_url(question), data)

    assert response.status_code == 200
    errors = response.context["errors"]
    assert (
        f"{label} shows learners nothing once sanitized (scripts, styles, comments and HTML "
        "tags are removed): write it as Markdown text"
    ) in [str(e) for error_list in errors for e in error_list]
    question.refresh_from_db()
    assert (question.stem, question.version) == before


def test_the_source_is_shown_and_edited_in_the_admin(instructor_client, bank):
    question = single_question()
    page = instructor_client.get(change_url(question)).content.decode()
    assert 'name="source"' in page and question.source in page
    data = form_data(page)
    data["source"] = "seed 2.1; https://docs.aws.amazon.com/bedrock/latest/userguide/" + "a" * 500
    instructor_client.post(change_url(question), data)
    question.refresh_from_db()
    assert len(question.source) > 500


DAWN = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
MORNING = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """A frozen clock at DAWN; list it first so the bank and the log-ins happen then."""
    with time_machine.travel(DAWN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def second_instructor_client(db) -> Client:
    user = make_user("ivan", is_staff=True)
    user.groups.add(Group.objects.get(name="Instructors"))
    client = Client()
    client.force_login(user)
    return client


def test_a_save_based_on_an_old_revision_is_refused_naming_who_changed_it_and_when(
    clock, instructor_client, second_instructor_client, bank
):
    question = single_question()
    mine = form_data(instructor_client.get(change_url(question)).content.decode())
    theirs = form_data(second_instructor_client.get(change_url(question)).content.decode())
    assert mine["opened_revision"] == theirs["opened_revision"] == str(question.revision)

    mine["stem"] = "My rewording, saved first."
    clock.move_to(MORNING)
    instructor_client.post(change_url(question), mine)
    theirs["explanation"] = "Their explanation, based on the old stem."
    clock.move_to(NOON)
    response = second_instructor_client.post(change_url(question), theirs)

    assert response.status_code == 200
    assert (
        f"“{question}” was changed by ines at 2026-11-24 09:30 UTC after you opened it. "
        "Nothing was saved: open the question again to see that change, then make yours."
    ) in response.content.decode()
    question.refresh_from_db()
    assert question.stem == "My rewording, saved first."
    assert question.explanation != "Their explanation, based on the old stem."
    assert (question.version, question.updated_by.username) == (2, "ines")


def test_every_save_changes_the_revision_even_without_a_new_version(instructor_client, bank):
    question = single_question()
    data = form_data(instructor_client.get(change_url(question)).content.decode())
    data["status"] = "retired"
    instructor_client.post(change_url(question), data)

    question.refresh_from_db()
    assert (question.status, question.version, question.revision) == ("retired", 1, 2)
    assert (
        form_data(instructor_client.get(change_url(question)).content.decode())["opened_revision"]
        == "2"
    )


def test_a_form_opened_before_a_bulk_status_change_cannot_be_saved(instructor_client, bank):
    question = single_question()
    data = form_data(instructor_client.get(change_url(question)).content.decode())
    instructor_client.post(
        reverse("admin:exams_question_changelist"),
        {"action": "retire", "_selected_action": [question.pk]},
    )
    data["stem"] = "An edit based on the published question"

    response = instructor_client.post(change_url(question), data)

    assert "was changed by ines at" in response.content.decode()
    question.refresh_from_db()
    assert (question.status, question.stem) == ("retired", question.stem)
    assert question.stem != "An edit based on the published question"


def test_a_form_opened_before_a_bank_load_cannot_be_saved(instructor_client, bank, write_bank):
    question = single_question()
    data = form_data(instructor_client.get(change_url(question)).content.decode())
    from tests.conftest import SHIPPED_BANK

    text = SHIPPED_BANK.read_text(encoding="utf-8")
    stem_line = f"  - id: {question.external_id}\n"
    start = text.index(stem_line)
    edited = text[:start] + text[start:].replace("stem: ", "stem: Reworded in the file. ", 1)
    load_bank_files([write_bank(edited, "aif-c01-task-3.3.yaml")])
    data["explanation"] = "An edit based on the old version"

    response = instructor_client.post(change_url(question), data)

    assert "was changed by a bank file load at" in response.content.decode()
    question.refresh_from_db()
    assert question.explanation != "An edit based on the old version"


def test_a_bulk_status_change_leaves_a_trace_on_every_question(clock, instructor_client, bank):
    chosen = list(Question.objects.order_by("pk")[:2])
    assert {question.updated_at for question in chosen} == {DAWN}

    clock.move_to(MORNING)
    instructor_client.post(
        reverse("admin:exams_question_changelist"),
        {"action": "retire", "_selected_action": [q.pk for q in chosen]},
    )

    for question in chosen:
        question.refresh_from_db()
        assert (question.status, question.revision, question.updated_at) == (
            "retired",
            2,
            MORNING,
        )
        assert question.updated_by.username == "ines"
        entry = LogEntry.objects.get(object_id=str(question.pk))
        assert (entry.user.username, entry.action_time, entry.get_change_message()) == (
            "ines",
            MORNING,
            "Status: Published → Retired (bulk action).",
        )
        history = instructor_client.get(
            reverse("admin:exams_question_history", args=[question.pk])
        ).content.decode()
        assert "Status: Published → Retired (bulk action)." in history


def test_a_bulk_action_leaves_questions_already_in_that_status_untouched(instructor_client, bank):
    question = single_question()
    instructor_client.post(
        reverse("admin:exams_question_changelist"),
        {"action": "publish", "_selected_action": [question.pk]},
    )
    question.refresh_from_db()
    assert question.revision == 1
    assert not LogEntry.objects.exists()


def test_cases_are_listed_searched_and_show_their_questions(instructor_client, write_bank):
    from tests.exams.test_bank_cases import HEADER, in_case

    load_bank_files([write_bank(HEADER + in_case("c-1") + in_case("c-2"))])
    case = Case.objects.get()

    listing = instructor_client.get(reverse("admin:exams_case_changelist") + "?q=tickets")
    page = instructor_client.get(reverse("admin:exams_case_change", args=[case.pk]))

    assert list(listing.context["cl"].result_list) == [case]
    assert listing.context["cl"].result_list[0].question_total == 2
    text = page.content.decode()
    assert "Questions of this case" in text and "c-1" in text and "c-2" in text


def test_a_case_scenario_edit_in_the_admin_versions_its_questions(instructor_client, write_bank):
    from tests.exams.test_bank_cases import HEADER, in_case

    load_bank_files([write_bank(HEADER + in_case("c-1") + in_case("c-2"))])
    case = Case.objects.get()
    url = reverse("admin:exams_case_change", args=[case.pk])
    data = form_data(instructor_client.get(url).content.decode())
    data["scenario"] = "A rewritten scenario."

    instructor_client.post(url, data)

    for question in case.questions.all():
        latest = question.versions.get(version=2)
        assert (latest.content["case_scenario"], latest.note) == (
            "A rewritten scenario.",
            "case edited in the admin",
        )
    data["scenario"] = "<script>x</script>"
    response = instructor_client.post(url, data)
    assert "Scenario shows learners nothing once sanitized" in response.content.decode()

# ruff: noqa: F811 - the admin tests' client fixtures are imported and used as arguments
"""Safe editing in the question admin: draft → preview → publish, versions with
their diffs and restore, duplicate, where used, and the choice rows per kind."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from exams.models import Attempt, Question, QuestionDraft, QuestionVersion
from tests.conftest import make_exam, make_user, start
from tests.exams.test_admin import (  # noqa: F401 - fixtures
    change_url,
    form_data,
    second_instructor_client,
    single_question,
)


def draft_url(question: Question) -> str:
    return reverse("admin:exams_question_draft", args=[question.pk])


def versions_url(question: Question) -> str:
    return reverse("admin:exams_question_versions", args=[question.pk])


def opened(client: Client, question: Question, query: str = "") -> dict:
    return form_data(client.get(change_url(question) + query).content.decode())


def save_draft(client: Client, question: Question, **changes) -> object:
    data = opened(client, question)
    data.update(changes, _save_draft="Save as draft and preview")
    return client.post(change_url(question), data)


def row_html(page: str, index: int) -> str:
    """The table row of choice `index` (0-based), with the error row Django puts above it."""
    start = page.index(f'id="choices-{index}"')
    before = page.rfind("<tr", 0, page.rfind("<tr", 0, start))
    return page[before : page.index("</tr>", start)]


# --- draft → preview → publish ---------------------------------------------


def test_a_draft_is_previewed_and_learners_keep_the_published_version_until_it_is_published(
    instructor_client, bank, learner
):
    attempt = start(learner, make_exam(questions=10))
    item = attempt.items.filter(question__kind="single").select_related("question").first()
    question = item.question
    old_stem, revision = question.stem, question.revision

    response = save_draft(instructor_client, question, stem="A rewritten stem for the draft?")

    assert response.status_code == 302 and response["Location"] == draft_url(question)
    question.refresh_from_db()
    assert (question.stem, question.version) == (old_stem, 1)
    assert question.revision == revision + 1  # a page opened before the draft is stale
    assert QuestionDraft.objects.get(question=question).content["stem"] == (
        "A rewritten stem for the draft?"
    )
    # A new attempt still shows the published version.
    other = start(make_user("quentin"), make_exam(questions=10), seed=7)
    shown = other.items.get(question=question).snapshot["stem"]
    assert shown == old_stem

    page = instructor_client.get(draft_url(question)).content.decode()
    assert "What publishing changes" in page
    assert "<del>" in page and "<ins>" in page
    assert "A rewritten stem for the draft?" in page
    assert "✓ Correct" in page and "Explanation" in page
    assert "Learners, new attempts and practice still see version 1" in page

    response = instructor_client.post(
        draft_url(question), {"revision": question.revision, "_publish": "1"}, follow=True
    )

    assert "is now version 2" in response.content.decode()
    question.refresh_from_db()
    assert (question.stem, question.version) == ("A rewritten stem for the draft?", 2)
    assert question.versions.get(version=2).note == "draft published"
    assert not QuestionDraft.objects.filter(question=question).exists()
    # The attempt in progress keeps the snapshot it froze.
    item.refresh_from_db()
    assert item.snapshot["stem"] == old_stem
    assert Attempt.objects.get(pk=attempt.pk).status == "in_progress"


def test_the_draft_is_edited_again_in_the_change_form_without_touching_the_question(
    instructor_client, bank
):
    question = single_question()
    choices_before = list(question.choices.values_list("pk", "text"))
    save_draft(instructor_client, question, stem="First draft stem?")

    page = instructor_client.get(change_url(question) + "?draft=1").content.decode()
    assert "You are editing the <strong>draft</strong>" in page
    data = form_data(page)
    assert data["stem"] == "First draft stem?"
    assert data["choices-INITIAL_FORMS"] == "0"  # the rows are the draft's, none is saved
    assert [data[f"choices-{i}-text"] for i in range(len(choices_before))] == [
        text for _, text in choices_before
    ]
    data["stem"] = "Second draft stem?"
    data["choices-0-feedback"] = "Feedback written in the draft."
    response = instructor_client.post(change_url(question) + "?draft=1", data)

    assert response.status_code == 302
    draft = QuestionDraft.objects.get(question=question).content
    assert draft["stem"] == "Second draft stem?"
    assert draft["choices"][0]["feedback"] == "Feedback written in the draft."
    question.refresh_from_db()
    assert question.stem != "Second draft stem?"
    assert list(question.choices.values_list("pk", "text")) == choices_before
    assert question.versions.count() == 1


def test_the_change_page_says_a_draft_is_waiting_and_a_draft_can_be_discarded(
    instructor_client, bank
):
    question = single_question()
    save_draft(instructor_client, question, stem="A draft to throw away?")
    page = instructor_client.get(change_url(question)).content.decode()
    assert "This question has a draft saved by ines" in page
    question.refresh_from_db()

    instructor_client.post(draft_url(question), {"revision": question.revision, "_discard": "1"})

    assert not QuestionDraft.objects.filter(question=question).exists()
    question.refresh_from_db()
    assert question.stem != "A draft to throw away?" and question.version == 1
    assert instructor_client.get(draft_url(question)).status_code == 404


def test_a_draft_with_broken_rules_is_not_saved_and_the_message_is_beside_the_row(
    instructor_client, bank
):
    question = single_question()
    data = opened(instructor_client, question)
    data["choices-1-text"] = data["choices-0-text"]
    data["_save_draft"] = "1"

    response = instructor_client.post(change_url(question), data)

    assert response.status_code == 200
    assert not QuestionDraft.objects.exists()
    message = "The text "
    assert message in row_html(response.content.decode(), 1)
    assert message in row_html(response.content.decode(), 0)


def test_publishing_from_a_preview_opened_before_another_draft_is_refused(
    instructor_client, second_instructor_client, bank
):
    question = single_question()
    save_draft(instructor_client, question, stem="Ines's draft?")
    question.refresh_from_db()
    seen = question.revision
    save_draft(second_instructor_client, question, stem="Ivan's draft?")

    response = instructor_client.post(
        draft_url(question), {"revision": seen, "_publish": "1"}, follow=True
    )

    page = response.content.decode()
    assert f"“{question}” was changed by ivan at" in page
    question.refresh_from_db()
    assert question.version == 1 and question.stem not in ("Ines's draft?", "Ivan's draft?")
    assert QuestionDraft.objects.get(question=question).content["stem"] == "Ivan's draft?"


def test_a_draft_saved_from_a_form_opened_before_another_save_is_refused(
    instructor_client, second_instructor_client, bank
):
    question = single_question()
    mine = opened(instructor_client, question)
    save_draft(second_instructor_client, question, stem="Ivan's draft?")
    mine.update(stem="Ines's late draft?", _save_draft="1")

    response = instructor_client.post(change_url(question), mine)

    assert "was changed by ivan at" in response.content.decode()
    assert QuestionDraft.objects.get(question=question).content["stem"] == "Ivan's draft?"


# --- versions: diff and restore ---------------------------------------------


def test_the_versions_page_shows_an_escaped_diff_and_restores_an_old_version(
    instructor_client, bank
):
    question = single_question()
    first_stem = question.stem
    data = opened(instructor_client, question)
    data["stem"] = "Which <script>alert(1)</script> statement is correct?"
    data["choices-0-feedback"] = "New feedback."
    instructor_client.post(change_url(question), data)
    question.refresh_from_db()
    assert question.version == 2

    page = instructor_client.get(versions_url(question)).content.decode()
    assert "Version 2 (current)" in page
    assert "Changes from version 1" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert "Choice 1: feedback" in page and "<ins>New feedback.</ins>" in page
    assert "Restore version 1 as a new version" in page
    assert "Restore version 2" not in page

    instructor_client.post(versions_url(question), {"revision": question.revision, "restore": "1"})

    question.refresh_from_db()
    assert (question.version, question.stem) == (3, first_stem)
    v1, v3 = (question.versions.get(version=n).content for n in (1, 3))
    assert v3 == v1
    assert question.versions.get(version=3).note == "restored from version 1"


def test_restoring_from_an_old_page_or_the_current_version_changes_nothing(
    instructor_client, second_instructor_client, bank
):
    question = single_question()
    seen = question.revision
    data = opened(second_instructor_client, question)
    data["stem"] = "Ivan's edit?"
    second_instructor_client.post(change_url(question), data)

    page = instructor_client.post(
        versions_url(question), {"revision": seen, "restore": "1"}, follow=True
    ).content.decode()
    assert "was changed by ivan at" in page
    question.refresh_from_db()
    assert (question.version, question.stem) == (2, "Ivan's edit?")

    page = instructor_client.post(
        versions_url(question), {"revision": question.revision, "restore": "2"}, follow=True
    ).content.decode()
    assert "already says what version 2 said; nothing was changed" in page
    assert question.versions.count() == 2


@pytest.mark.parametrize("number", ["9", "x", ""])
def test_restoring_an_unknown_or_malformed_version_is_404(instructor_client, bank, number):
    question = single_question()
    response = instructor_client.post(
        versions_url(question), {"revision": question.revision, "restore": number}
    )
    assert response.status_code == 404
    assert question.versions.count() == 1


# --- duplicate ----------------------------------------------------------------


def test_duplicate_makes_a_new_draft_with_a_new_id(instructor_client, bank):
    question = single_question()
    url = reverse("admin:exams_question_duplicate", args=[question.pk])
    page = instructor_client.get(url).content.decode()
    assert f'value="{question.external_id}-copy"' in page

    response = instructor_client.post(url, {"external_id": f"{question.external_id}-copy"})

    copy = Question.objects.get(external_id=f"{question.external_id}-copy")
    assert response["Location"] == change_url(copy)
    assert (copy.status, copy.version, copy.objective_id) == ("draft", 1, question.objective_id)
    assert list(copy.choices.values_list("text", "is_correct", "feedback")) == list(
        question.choices.values_list("text", "is_correct", "feedback")
    )
    assert copy.versions.get().note == f"duplicated from {question.external_id} version 1"
    assert f'value="{question.external_id}-copy-2"' in instructor_client.get(url).content.decode()


@pytest.mark.parametrize(
    ("new_id", "message"),
    [
        ("taken", "is taken by another question; nothing was created"),
        ("not an id!", "An ID is letters, digits, hyphens and underscores only"),
    ],
)
def test_duplicate_refuses_a_taken_or_malformed_id(instructor_client, bank, new_id, message):
    question = single_question()
    other = Question.objects.exclude(pk=question.pk).first()
    if new_id == "taken":
        new_id = other.external_id
    count = Question.objects.count()
    response = instructor_client.post(
        reverse("admin:exams_question_duplicate", args=[question.pk]), {"external_id": new_id}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Question.objects.count() == count


# --- where used ---------------------------------------------------------------


def test_where_used_counts_exams_and_attempts_without_naming_learners(
    instructor_client, bank, learner, other_learner, django_assert_num_queries
):
    from exams.revisions import where_used

    exam = make_exam(questions=10, title="Mock exam A")
    attempt = start(learner, exam)
    question = attempt.items.first().question
    start(other_learner, exam, seed=7)
    finished = Attempt.objects.get(pk=attempt.pk)
    finished.status = Attempt.Status.SUBMITTED
    finished.save(update_fields=["status"])
    make_exam(questions=5, title="Mock exam B")

    # attempts per exam and status; the exams; the practice answers
    with django_assert_num_queries(3):
        usage = where_used(question)
    assert [(u.exam.title, u.can_draw, u.in_progress, u.finished) for u in usage.exams] == [
        ("Mock exam A", True, 1, 1),
        ("Mock exam B", True, 0, 0),
    ]

    page = instructor_client.get(
        reverse("admin:exams_question_usage", args=[question.pk])
    ).content.decode()
    assert "Mock exam A" in page and "2 attempts and 0 practice answers" in page
    assert learner.username not in page and other_learner.username not in page


def test_where_used_knows_exams_weighted_by_task_statement_or_domain(bank):
    from exams.models import Domain, ExamArea, ExamObjective, Question, TaskStatement
    from exams.revisions import where_used

    question = Question.objects.published().first()
    task = question.objective.task_statement
    for title, area in (
        ("By domain", {"domain": task.domain}),
        ("By task", {"task_statement": task}),
    ):
        exam = make_exam(title=title)
        ExamObjective.objects.filter(exam=exam).delete()
        ExamArea.objects.create(exam=exam, weight=1, **area)
    elsewhere = make_exam(title="Elsewhere")
    ExamObjective.objects.filter(exam=elsewhere).delete()
    other = Domain.objects.create(code="9", title="Other")
    ExamArea.objects.create(exam=elsewhere, domain=other)
    TaskStatement.objects.create(domain=other, code="9.1", title="A task")
    usage = where_used(question)
    assert [(u.exam.title, u.can_draw) for u in usage.exams] == [
        ("By domain", True),
        ("By task", True),
    ]


# --- the choice rows fit the kind -------------------------------------------


def inline_inputs(page: str) -> set[str]:
    return set(re.findall(r'name="choices-0-(\w+)"', page))


@pytest.mark.parametrize(
    ("kind", "shown", "absent", "headers"),
    [
        ("single", {"text", "is_correct", "feedback"}, {"position", "match"}, ["Choice"]),
        ("multiple", {"text", "is_correct", "feedback"}, {"position", "match"}, ["Correct"]),
        ("ordering", {"position", "text", "feedback"}, {"is_correct", "match"}, ["Place"]),
        ("matching", {"text", "match", "feedback"}, {"position", "is_correct"}, ["Prompt"]),
    ],
)
def test_the_choice_rows_show_only_the_columns_of_the_kind(
    instructor_client, bank, kind, shown, absent, headers
):
    question = Question.objects.filter(kind=kind).first()
    page = instructor_client.get(change_url(question)).content.decode()
    inputs = inline_inputs(page)
    assert shown <= inputs and not absent & inputs
    for header in headers:
        assert re.search(rf'<th class="column-\w+[^"]*">{header}', page)


def test_an_ordering_question_shows_its_items_in_order_and_reports_shared_places(
    instructor_client, bank
):
    question = Question.objects.filter(kind="ordering").first()
    items = list(question.choices.order_by("position").values_list("text", flat=True))
    data = opened(instructor_client, question)
    assert [data[f"choices-{i}-text"] for i in range(len(items))] == items
    data["choices-1-position"] = data["choices-0-position"]

    page = instructor_client.post(change_url(question), data).content.decode()

    place = data["choices-0-position"]
    assert f"Place {place} is given to 2 items" in row_html(page, 0)
    assert f"Place {place} is given to 2 items" in row_html(page, 1)
    assert "Some rows need a change: see the message beside each." in page
    assert question.versions.count() == 1


def test_a_matching_pair_without_a_match_is_reported_beside_its_row(instructor_client, bank):
    question = Question.objects.filter(kind="matching").first()
    data = opened(instructor_client, question)
    data["choices-2-match"] = ""

    page = instructor_client.post(change_url(question), data).content.decode()

    assert "Every pair needs a match." in row_html(page, 2)
    assert "Every pair needs a match." not in row_html(page, 1)
    question.refresh_from_db()
    assert question.versions.count() == 1


def test_changing_the_kind_shows_the_new_kinds_columns_and_what_to_fill_in(instructor_client, bank):
    question = single_question()
    data = opened(instructor_client, question)
    data["kind"] = "matching"

    page = instructor_client.post(change_url(question), data).content.decode()

    assert "match" in inline_inputs(page) and "is_correct" not in inline_inputs(page)
    assert "Every pair needs a match." in row_html(page, 0)
    question.refresh_from_db()
    assert question.kind == "single"


def test_saving_a_matching_question_clears_what_its_kind_does_not_use(instructor_client, bank):
    question = single_question()
    data = opened(instructor_client, question)
    data["kind"] = "matching"
    rows = int(data["choices-TOTAL_FORMS"])
    data = form_data(instructor_client.post(change_url(question), data).content.decode())
    for index in range(rows):
        data[f"choices-{index}-match"] = f"Partner {index}"

    response = instructor_client.post(change_url(question), data)

    assert response.status_code == 302
    question.refresh_from_db()
    assert question.kind == "matching" and question.version == 2
    assert not question.choices.filter(is_correct=True).exists()


# --- the new pages' ids and permissions -------------------------------------

PAGES = [
    "exams_question_draft",
    "exams_question_versions",
    "exams_question_duplicate",
    "exams_question_usage",
]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("object_id", ["999999", "abc", "1%00"])
def test_the_new_pages_answer_404_for_an_unknown_or_malformed_id(
    instructor_client, bank, name, object_id
):
    # Reversed with a well-formed id, then the id swapped for the one under test.
    url = reverse(f"admin:{name}", args=[1]).replace("/1/", f"/{object_id}/")
    assert instructor_client.get(url).status_code == 404
    assert instructor_client.post(url, {"revision": "1"}).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_the_new_pages_refuse_staff_without_the_banks_permissions(bank, name):
    question = single_question()
    QuestionDraft.objects.create(question=question, content={}, saved_at="2026-12-01T10:00Z")
    clerk = make_user("clara", is_staff=True)
    client = Client()
    client.force_login(clerk)
    url = reverse(f"admin:{name}", args=[question.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"revision": question.revision, "_publish": "1"}).status_code == 403
    question.refresh_from_db()
    assert question.version == 1


@pytest.mark.parametrize("name", ["exams_question_draft", "exams_question_versions"])
def test_viewing_is_not_changing(bank, name):
    """Staff who may only view questions see the pages but cannot publish or restore."""
    question = single_question()
    save_url = reverse(f"admin:{name}", args=[question.pk])
    viewer = make_user("vera", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_question"))
    QuestionDraft.objects.create(
        question=question,
        content=QuestionVersion.objects.get(question=question).content,
        saved_at="2026-12-01T10:00Z",
    )
    client = Client()
    client.force_login(viewer)
    page = client.get(save_url)
    assert page.status_code == 200
    assert "Publish this draft" not in page.content.decode()
    assert client.post(save_url, {"revision": question.revision, "restore": "1"}).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_a_learner_is_sent_to_the_admin_login_from_the_new_pages(client, learner, bank, name):
    question = single_question()
    client.force_login(learner)
    response = client.get(reverse(f"admin:{name}", args=[question.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_draft_keeps_content_only_and_says_so_when_the_status_was_changed_too(
    instructor_client, bank
):
    question = single_question()
    response = save_draft(instructor_client, question, stem="Drafted stem?", status="retired")

    assert QuestionDraft.objects.get(question=question).content["stem"] == "Drafted stem?"
    question.refresh_from_db()
    assert question.status == "published"
    page = instructor_client.get(response["Location"]).content.decode()
    assert "the question&#x27;s Status did not change" in page

    page = instructor_client.get(change_url(question) + "?draft=1").content.decode()
    assert 'name="status"' not in page and 'name="external_id"' not in page


def test_the_draft_form_of_a_question_without_a_draft_sends_to_the_question(
    instructor_client, bank
):
    question = single_question()
    response = instructor_client.get(change_url(question) + "?draft=1", follow=True)
    assert response.redirect_chain == [(change_url(question), 302)]
    assert "has no draft: this is the question as published" in response.content.decode()

"""The admin's "Import questions": upload, dry-run preview, confirm, in one transaction."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exams.bank.loader import load_bank_files
from exams.bank.uploads import MAX_UPLOAD_BYTES, store_upload
from exams.models import BankUpload, Question
from tests.conftest import bank_text, make_user, single_question
from tests.exams.test_bank_loader import counts

FIXTURES = Path(__file__).parent / "moodle"
IMPORT = reverse("exams_question_import")


@pytest.fixture
def blueprint(db):
    load_bank_files([FIXTURES / "blueprint.yaml"])


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


def upload(client, name: str, content: bytes):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, content)})


def preview_url(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def confirm_data(html: str) -> dict[str, str]:
    """The hidden fields of the page's confirm form, as a browser would send them."""
    form = html[html.index('<form method="post"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


GIFT_MAPPED = {"map-0": "3.3.1.1", "map-1": "3.3.2.1", "skip_unsupported": "on"}


def test_the_question_list_links_to_the_import_for_instructors(instructor_client, blueprint):
    page = instructor_client.get(reverse("admin:exams_question_changelist")).content.decode()

    assert f'href="{IMPORT}"' in page and "Import questions" in page


def test_staff_without_question_permissions_cannot_import(client, blueprint):
    client.force_login(make_user("sam", is_staff=True))

    assert client.get(IMPORT).status_code == 403
    assert "Import questions" not in client.get(reverse("admin:index")).content.decode()


def test_learners_are_sent_to_the_admin_login(client, learner):
    client.force_login(learner)

    response = client.get(IMPORT)

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_instructor_previews_and_imports_a_gift_file(instructor_client, blueprint):
    before = counts()
    url = preview_url(
        upload(instructor_client, "aif.gift", (FIXTURES / "aif-c01.gift").read_bytes())
    )

    first = instructor_client.get(url).content.decode()
    assert "Moodle GIFT file" in first
    assert "AIF-C01/Pre-training — 4 question(s)" in first
    assert "has no objective" in first  # nothing mapped yet: the problems say what to do
    page = instructor_client.get(url, GIFT_MAPPED).content.decode()
    assert "8 created" in page
    assert "fine-tuning-methods-and-goals" in page
    assert "Skipped (4)" in page and "is a numerical question" in page
    assert "image(s)" not in page and "partial credit (50%) is not kept" in page
    assert counts() == before  # the preview changed nothing

    response = instructor_client.post(url, confirm_data(page), follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:exams_question_changelist")
    assert "Imported aif.gift: 8 created" in response.content.decode()
    assert Question.objects.filter(objective__code="3.3.2.1").count() == 4
    assert not BankUpload.objects.exists()


def test_importing_the_same_file_again_has_nothing_to_confirm(instructor_client, blueprint):
    content = (FIXTURES / "aif-c01.gift").read_bytes()
    url = preview_url(upload(instructor_client, "aif.gift", content))
    instructor_client.post(
        url, confirm_data(instructor_client.get(url, GIFT_MAPPED).content.decode())
    )

    url = preview_url(upload(instructor_client, "aif.gift", content))
    page = instructor_client.get(url, GIFT_MAPPED).content.decode()

    assert "0 created, 0 updated to a new version, 0 with a new status, 8 unchanged" in page
    assert "Nothing to import" in page and '<form method="post"' not in page


def test_a_changed_question_is_shown_with_its_diff(instructor_client, blueprint, write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    changed = bank_text(single_question(stem="Which one now?")).encode()

    url = preview_url(upload(instructor_client, "bank.yaml", changed))
    page = instructor_client.get(url).content.decode()

    assert "Quizsite bank (YAML/JSON) file" in page
    assert "Changed (1)" in page
    assert "-stem: Which one?" in page and "+stem: Which one now?" in page
    instructor_client.post(url, confirm_data(page))
    assert Question.objects.get(external_id="q-single").stem == "Which one now?"


def test_a_preview_that_no_longer_holds_imports_nothing(instructor_client, blueprint, write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    url = preview_url(
        upload(instructor_client, "bank.yaml", bank_text(single_question(stem="New?")).encode())
    )
    data = confirm_data(instructor_client.get(url).content.decode())
    # A colleague's load after the preview: the same change is already there.
    load_bank_files([write_bank(bank_text(single_question(stem="New?")))])
    question = Question.objects.get(external_id="q-single")

    response = instructor_client.post(url, data)

    page = response.content.decode()
    assert "Nothing was imported: the outcome differs from the preview" in page
    assert "1 unchanged" in page
    assert Question.objects.get(external_id="q-single").version == question.version
    assert BankUpload.objects.count() == 1


def test_errors_are_listed_and_there_is_nothing_to_confirm(instructor_client, blueprint):
    url = preview_url(upload(instructor_client, "aif.xml", (FIXTURES / "aif-c01.xml").read_bytes()))

    page = instructor_client.get(url, {"objective": "3.3.1.1"}).content.decode()

    assert "8 problems: nothing can be imported" in page
    assert "&#x27;Explain alignment&#x27; (question 8) is an essay question" in page
    assert '<form method="post"' not in page


def test_an_instructor_imports_a_moodle_xml_export_with_nested_categories(
    instructor_client, blueprint
):
    content = (FIXTURES / "moodle-export.xml").read_bytes()
    url = preview_url(upload(instructor_client, "export.xml", content))

    first = instructor_client.get(url).content.decode()
    assert "Moodle XML file" in first
    assert "Default for AIF-C01/Evaluation — 3 question(s)" in first
    assert "Default for AIF-C01/Evaluation/Metrics — 6 question(s)" in first
    # Evaluation mapped, Metrics to the default objective.
    options = {"map-0": "3.3.1.1", "objective": "3.3.2.1", "skip_unsupported": "on"}
    page = instructor_client.get(url, options).content.decode()
    assert "4 created" in page and "Skipped (5)" in page
    assert "is an embedded answers (cloze) question" in page
    assert Question.objects.count() == 0

    response = instructor_client.post(url, confirm_data(page), follow=True)

    assert "Imported export.xml: 4 created" in response.content.decode()
    assert dict(Question.objects.values_list("external_id", "objective__code")) == {
        "evaluation-benchmark": "3.3.1.1",
        "evaluation-benchmark-2": "3.3.1.1",
        "evaluation-human-evaluation-cost": "3.3.1.1",
        "metrics-metric-to-task": "3.3.2.1",
    }


def test_an_xml_bomb_is_refused_with_a_clear_message(instructor_client, blueprint):
    url = preview_url(
        upload(instructor_client, "lol.xml", (FIXTURES / "billion-laughs.xml").read_bytes())
    )

    page = instructor_client.get(url).content.decode()

    assert "refused: the file declares a DTD or entities" in page


def test_a_broken_yaml_file_says_where(instructor_client, blueprint):
    url = preview_url(
        upload(instructor_client, "bank.yaml", b"format: quizsite-bank/1\n  - x: [\n")
    )

    page = instructor_client.get(url).content.decode()

    assert "not valid YAML or JSON at line" in page


def test_a_file_that_is_not_utf8_text_is_refused_at_upload(instructor_client, blueprint):
    response = upload(instructor_client, "image.xml", b"\x89PNG\r\n\x1a\n\xff\xfe")

    assert response.status_code == 200
    assert "The file is not UTF-8 text" in response.content.decode()
    assert not BankUpload.objects.exists()


def test_a_file_over_the_limit_is_refused(instructor_client, blueprint):
    response = upload(instructor_client, "big.gift", b"x" * (MAX_UPLOAD_BYTES + 1))

    assert "the limit is 5 MB" in response.content.decode()
    assert not BankUpload.objects.exists()


def test_another_instructors_upload_is_not_found(client, instructor, blueprint):
    other = make_user("ivan", is_staff=True)
    other.groups.set(instructor.groups.all())
    kept = store_upload(user=other, name="x.gift", data=b"Q?{T}", now=datetime.now(UTC))
    client.force_login(instructor)
    url = reverse("exams_question_import_preview", args=[kept.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"fingerprint": "x"}).status_code == 404
    assert client.get(f"{IMPORT}not-a-uuid/").status_code == 404


def test_uploads_older_than_a_day_are_removed_at_the_next(instructor, blueprint):
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    old = store_upload(user=instructor, name="a.gift", data=b"Q?{T}", now=now - timedelta(days=2))

    store_upload(user=instructor, name="b.gift", data=b"Q?{T}", now=now)

    assert not BankUpload.objects.filter(pk=old.pk).exists()
    assert BankUpload.objects.count() == 1


def test_an_imported_matching_question_with_an_extra_match_can_be_edited(
    instructor_client, blueprint
):
    from exams.bank.importing import ImportOptions
    from tests.exams.test_admin import form_data

    load_bank_files(
        [FIXTURES / "aif-c01.gift"],
        options=ImportOptions(objective="3.3.2.1", skip_unsupported=True),
    )
    question = Question.objects.get(external_id="fine-tuning-methods-and-goals")
    url = reverse("admin:exams_question_change", args=[question.pk])
    data = form_data(instructor_client.get(url).content.decode())
    data["stem"] = "Match each method to what it is for."

    response = instructor_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    question.refresh_from_db()
    assert question.version == 2
    assert list(question.choices.values_list("text", "match"))[-1] == (
        "",
        "Remove the need for evaluation",
    )


def test_the_upload_page_queries(instructor_client, blueprint, django_assert_num_queries):
    with django_assert_num_queries(4):
        # 1 session, 2 user, 3 the user's own permissions, 4 their groups' permissions
        # (add and change question); the admin's app list reuses them.
        assert instructor_client.get(IMPORT).status_code == 200


def test_a_second_confirmation_of_the_same_upload_imports_nothing(instructor, blueprint):
    from exams.bank.importing import ImportOptions
    from exams.bank.uploads import UploadGone, apply_upload

    kept = store_upload(user=instructor, name="x.gift", data=b"Q?{T}", now=datetime.now(UTC))
    # The first confirmation has imported it and removed it; this page still holds it.
    BankUpload.objects.filter(pk=kept.pk).delete()

    with pytest.raises(UploadGone):
        apply_upload(
            kept,
            ImportOptions(objective="3.3.1.1"),
            overwrite=False,
            expected="",
            user=instructor,
            now=datetime.now(UTC),
        )
    assert not Question.objects.exists()

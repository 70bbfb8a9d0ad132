import io

from django.core.management import call_command
from django.urls import reverse

from exams.models import Exam
from tests.conftest import make_exam


def test_the_home_page_explains_what_to_do_when_no_exam_is_open(client, db):
    page = client.get(reverse("exams:home")).content.decode()
    assert "No exams are open yet." in page


def test_the_home_page_lists_open_exams_in_constant_queries(
    client, bank, settings, django_assert_num_queries
):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    # An anonymous visitor: 1 the published exams open to everyone.
    with django_assert_num_queries(1):
        page = client.get(reverse("exams:home")).content.decode()
    assert "Task 3.3 mock exam" in page and "Full-length simulation" in page
    assert "30 min" in page and "90 min" in page


def test_the_start_button_names_the_exam_as_its_title_is_written(client, bank, learner):
    make_exam(questions=5, title="Task 3.3 mock exam")
    client.force_login(learner)
    page = client.get(reverse("exams:home")).content.decode()
    assert "Start Task 3.3 mock exam</button>" in page
    assert "task 3.3" not in page


def test_unpublished_and_cohort_only_exams_are_hidden_from_outsiders(client, outsider, team_lead):
    Exam.objects.create(title="Draft", slug="draft", question_count=5)
    restricted = Exam.objects.create(
        title="Cohort only", slug="cohort", question_count=5, is_published=True
    )
    restricted.cohorts.add(team_lead.cohorts.get())

    client.force_login(outsider)
    assert list(Exam.objects.visible_to(outsider)) == []
    page = client.get(reverse("exams:home")).content.decode()
    assert "Cohort only" not in page and "Draft" not in page

    learner = restricted.cohorts.get().members.get(username="lena")
    assert list(Exam.objects.visible_to(learner)) == [restricted]

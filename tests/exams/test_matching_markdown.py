"""A matching question's prompts and matches are Markdown, shown rendered and
sanitized wherever a learner sees them, as in the admin's preview."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from exams.attempts import submit_attempt
from exams.markdown import markdown_text
from exams.models import Choice, PracticeSession, Question
from exams.snapshots import ItemSnapshot
from tests.conftest import item_of_kind, make_exam, start, wrong_answer

PROMPT = "*Fine-tuning* <script>x()</script>"
MATCH = "**Labelled** data & `pairs`"


def test_markdown_text_drops_formatting_and_markup():
    assert markdown_text(MATCH) == "Labelled data & pairs"
    assert markdown_text("<img src=x onerror=alert(1)>[a](javascript:x)") == "a"


def matching_markdown():
    Choice.objects.filter(question__kind="matching").update(text=PROMPT, match=MATCH)


def test_the_exam_and_its_result_render_prompts_and_matches(client, bank, learner):
    matching_markdown()
    client.force_login(learner)
    attempt = start(learner, make_exam(questions=98, minutes=None))
    item = item_of_kind(attempt, "matching")
    url = reverse("exams:attempt_take", args=[attempt.pk]) + f"?q={item.position}"
    page = client.get(url).content.decode()
    assert "<em>Fine-tuning</em>" in page and "*Fine-tuning*" not in page
    assert ">Labelled data &amp; pairs</option>" in page and "**Labelled**" not in page
    assert "<script>x()" not in page
    submit_attempt(attempt=attempt, now=timezone.now())
    result = client.get(reverse("exams:attempt_result", args=[attempt.pk])).content.decode()
    assert "<strong>Labelled</strong> data &amp; <code>pairs</code>" in result
    assert "**Labelled**" not in result and "*Fine-tuning*" not in result


def test_practice_uses_the_same_rendering(bank):
    """Practice shows and reviews items with the exam's own two templates."""
    question = Choice.objects.filter(question__kind="matching").first().question
    matching_markdown()
    import random

    snapshot = ItemSnapshot.freeze(
        question, list(question.choices.order_by("position")), rng=random.Random(1), shuffle=True
    )
    fields = render_to_string("exams/_item_fields.html", {"shown": snapshot.shown(None)})
    assert "<em>Fine-tuning</em>" in fields and ">Labelled data &amp; pairs</option>" in fields
    review = render_to_string(
        "exams/_item_review.html", {"review": snapshot.reviewed(None, False), "position": None}
    )
    assert "<strong>Labelled</strong>" in review and "**" not in review


def test_practice_pages_render_prompts_and_matches(client, bank, learner):
    """Through the practice views: the question, then its feedback once checked."""
    question = Question.objects.filter(kind="matching", status="published").first()
    Question.objects.filter(objective=question.objective).exclude(pk=question.pk).update(
        status="retired"
    )
    matching_markdown()
    client.force_login(learner)
    client.post(
        reverse("exams:practice_start"), {"scope": "objective", "value": question.objective.code}
    )
    session = PracticeSession.objects.get(user=learner)
    page = client.get(reverse("exams:practice_session", args=[session.pk])).content.decode()
    assert "<em>Fine-tuning</em>" in page and "*Fine-tuning*" not in page
    assert ">Labelled data &amp; pairs</option>" in page and "**Labelled**" not in page
    assert "<script>x()" not in page
    data = {"token": session.current_token, **wrong_answer(session.current_snapshot)}
    checked = client.post(reverse("exams:practice_check", args=[session.pk]), data, follow=True)
    review = checked.content.decode()
    assert "Correct match" in review and "Your match" in review
    assert "<strong>Labelled</strong> data &amp; <code>pairs</code>" in review
    assert "**Labelled**" not in review and "*Fine-tuning*" not in review
    assert "<script>x()" not in review

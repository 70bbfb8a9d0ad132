"""The shipped Task 3.3 bank meets the counts and the writing rules of its
second edition: at least 150 published items, 10 per objective, every kind,
case studies, items on AWS services with the documentation they rest on.

These tests fail if a question is removed below a minimum or written carelessly.
The test-wise measures (length tells, hedges, near-duplicates) are the bank
linter's: tests/exams/test_bank_lint.py lints the shipped bank.
"""

import re
from collections import Counter
from functools import cache

import yaml

from exams.bank.loader import load_bank_files
from exams.bank.schema import SAFE_LOADER
from exams.models import Objective, Question, TaskStatement
from tests.conftest import SHIPPED_BANK

OBJECTIVES = {
    "3.3.1.1": "seed 1.1",
    "3.3.1.2": "seed 1.2",
    "3.3.1.3": "seed 1.3",
    "3.3.1.4": "seed 1.4",
    "3.3.2.1": "seed 2.1",
    "3.3.2.2": "seed 2.2",
    "3.3.2.3": "seed 2.3",
    "3.3.2.4": "seed 2.4",
    "3.3.3.1": "seed 3.1",
    "3.3.3.2": "seed 3.2",
    "3.3.3.3": "seed 3.3 (Size)",
    "3.3.3.4": "seed 3.3 (Labeling)",
    "3.3.3.5": "seed 3.4",
    "3.3.3.6": "seed 3.5",
}
SELECT = {2: "TWO", 3: "THREE", 4: "FOUR"}
SEED_SECTIONS = (
    {f"1.{n}" for n in range(1, 5)}
    | {f"2.{n}" for n in range(1, 5)}
    | {f"3.{n}" for n in range(1, 6)}
)


def cited_sections(source: str) -> set[str]:
    """Seed sections a `source:` names; "seed 1.1-1.3" names 1.1, 1.2 and 1.3."""
    sections = set()
    for start, end in re.findall(r"(\d\.\d)(?:-(\d\.\d))?", source):
        major, first = start.split(".")
        last = end.split(".")[1] if end else first
        sections |= {f"{major}.{n}" for n in range(int(first), int(last) + 1)}
    return sections


AWS_NAMES = re.compile(r"\b(Amazon|AWS|SageMaker|Bedrock)\b")
AWS_DOCS = re.compile(r"https://(docs\.)?aws\.amazon\.com/\S+")


@cache
def raw_bank() -> dict:
    return yaml.load(SHIPPED_BANK.read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def raw_questions() -> list[dict]:
    return raw_bank()["questions"]


def published_raw() -> list[dict]:
    return [q for q in raw_questions() if q.get("status", "published") == "published"]


def test_the_shipped_bank_loads_with_at_least_150_published_questions(bank):
    assert bank.created and not bank.updated
    assert Question.objects.published().count() >= 150


def test_each_of_the_14_objectives_has_at_least_10_published_questions(bank):
    counts = Counter(Question.objects.published().values_list("objective__code", flat=True))
    assert set(Objective.objects.values_list("code", flat=True)) == set(OBJECTIVES)
    assert {code: counts[code] >= 10 for code in OBJECTIVES} == dict.fromkeys(OBJECTIVES, True)


def test_the_kinds_and_difficulties_are_mixed(bank):
    published = Question.objects.published()
    kinds = Counter(published.values_list("kind", flat=True))
    assert kinds["multiple"] >= 20
    assert kinds["ordering"] >= 12
    assert kinds["matching"] >= 12
    assert kinds["single"] >= 60
    difficulties = Counter(published.values_list("difficulty", flat=True))
    assert all(difficulties[level] >= 25 for level in (1, 2, 3)), difficulties


def test_every_ordering_item_has_at_least_four_steps():
    for question in published_raw():
        if question["kind"] == "ordering":
            assert len(question["items"]) >= 4, question["id"]


def test_at_least_35_items_name_aws_services_and_cite_the_aws_page_they_rest_on():
    naming = []
    for question in published_raw():
        options = question.get("choices") or question.get("items") or question.get("pairs")
        shown = question["stem"] + yaml.safe_dump(options)
        if AWS_NAMES.search(shown):
            assert AWS_DOCS.search(question["source"]), question["id"]
            naming.append(question["id"])
    assert len(naming) >= 35, len(naming)


def test_there_are_at_least_4_case_studies_with_10_questions_in_all(bank):
    cases = raw_bank()["cases"]
    members = Counter(q["case"] for q in published_raw() if q.get("case"))
    assert len(cases) >= 4 and sum(members.values()) >= 10
    assert all(2 <= members[case["id"]] <= 4 for case in cases), members


def test_the_domain_blueprint_lists_all_four_task_statements(bank):
    assert list(TaskStatement.objects.values_list("code", flat=True)) == [
        "3.1",
        "3.2",
        "3.3",
        "3.4",
    ]


def test_every_question_explains_itself_and_names_its_seed_section():
    for question in published_raw():
        qid = question["id"]
        assert question["explanation"].strip(), qid
        sections = cited_sections(question["source"])
        assert question["source"].startswith("seed "), qid
        assert sections <= SEED_SECTIONS, (qid, sections - SEED_SECTIONS)
        assert OBJECTIVES[question["objective"]].split()[1] in sections, qid
        options = question.get("choices") or question.get("items") or question.get("pairs")
        assert all(option.get("feedback", "").strip() for option in options), qid


def test_the_seeds_five_quick_questions_are_in_the_bank():
    sources = " | ".join(q["source"] for q in published_raw())
    for number in range(1, 6):
        assert f"Quick Question {number}" in sources


def test_multiple_response_stems_say_how_many_to_pick():
    for question in published_raw():
        if question["kind"] == "multiple":
            correct = sum(1 for c in question["choices"] if c.get("correct"))
            assert f"(Select {SELECT[correct]}.)" in question["stem"], question["id"]


def test_no_item_offers_all_or_none_of_the_above():
    pattern = re.compile(r"\b(all|none|both) of the above\b", re.IGNORECASE)
    for question in raw_questions():
        assert not pattern.search(yaml.safe_dump(question)), question["id"]


def test_loading_the_shipped_bank_twice_changes_nothing(bank):
    report = load_bank_files([SHIPPED_BANK])
    assert report.created == report.updated == report.status_changed == []

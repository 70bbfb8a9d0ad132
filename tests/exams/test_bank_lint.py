"""The bank linter: each measure on small hand-made items (one that trips it, one
that does not), the lint_bank command, load_bank's warnings, the admin's view of
one question, and the shipped bank."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.urls import reverse

from exams.bank.lint import (
    BANK,
    ERROR,
    WARNING,
    Finding,
    LintItem,
    LintOption,
    findings_for_question,
    item_from_question,
    item_from_spec,
    lint_items,
    lint_specs,
    summarize,
)
from exams.bank.loader import load_bank_files, read_bank_files
from exams.models import Question
from tests.conftest import ROOT, bank_text, single_question

DISTRACTORS = ("Alpha option text", "Bravo option text", "Delta option text")


def single(
    id: str = "q",
    *,
    key: str = "Gamma option text",  # as long as each distractor
    distractors: tuple[str, ...] = DISTRACTORS,
    stem: str = "Which one?",
    objective: str = "9.1.1",
    status: str = "published",
) -> LintItem:
    options = (LintOption(key, is_correct=True), *(LintOption(d) for d in distractors))
    return LintItem(id, objective, "single", stem, options, status)


def multiple(
    id: str = "m",
    *,
    keys: tuple[str, ...] = ("Alpha option", "Bravo option"),
    distractors: tuple[str, ...] = ("Charlie option", "Delta option", "Echo option"),
    stem: str = "Which are true? (Select TWO.)",
) -> LintItem:
    options = (
        *(LintOption(k, is_correct=True) for k in keys),
        *(LintOption(d) for d in distractors),
    )
    return LintItem(id, "9.1.1", "multiple", stem, options)


def ordering(id: str = "o", steps: int = 4) -> LintItem:
    options = tuple(LintOption(f"Step number {n}") for n in range(1, steps + 1))
    return LintItem(id, "9.1.1", "ordering", "Put them in order.", options)


def matching(id: str = "p", pairs: tuple[tuple[str, str], ...] = ()) -> LintItem:
    pairs = pairs or (("Pre-training", "Broad patterns"), ("Distillation", "Smaller student"))
    options = tuple(LintOption(prompt, match=match) for prompt, match in pairs)
    return LintItem(id, "9.1.1", "matching", "Match each method.", options)


def measures(findings: list[Finding], question: str | None = None) -> list[tuple[str, str]]:
    return [(f.severity, f.measure) for f in findings if question in (None, f.question)]


def bank_rates(items: list[LintItem]) -> list[Finding]:
    return [f for f in lint_items(items) if f.question == BANK]


# Bank-level rates ----------------------------------------------------------------

LONG_KEY = "Charlie option text, long"  # 25 characters: longer than each distractor (17)


def singles(longest: int, total: int = 10) -> list[LintItem]:
    return [
        single(f"s{n}", key=LONG_KEY if n < longest else "Gamma option text") for n in range(total)
    ]


def test_a_key_that_is_too_often_the_longest_is_a_bank_error_naming_the_items():
    [finding] = bank_rates(singles(longest=5))
    assert finding.measure == "key-longest rate" and finding.severity == ERROR
    assert finding.detail.startswith("50.0% (5 of 10")
    assert finding.detail.endswith(": s0, s1, s2, s3, s4")


def test_a_key_longest_rate_within_the_band_passes():
    assert bank_rates(singles(longest=3)) == []


def test_rates_over_fewer_than_ten_items_are_not_judged():
    assert bank_rates(singles(longest=0, total=9)) == []


def multiples(shortest: int, total: int = 10) -> list[LintItem]:
    # Keys of 4 characters are the 2 shortest; keys of 12 and 8 are not (a distractor has 11).
    return [
        multiple(f"m{n}", keys=("Key1", "Key2") if n < shortest else ("Alpha option", "Bravo ok"))
        for n in range(total)
    ]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            # A key as long as the longest distractor is not strictly the longest.
            singles(longest=0),
            "ERROR bank: key-longest rate: 0.0% (0 of 10 single-answer keys are the strictly "
            "longest option; allowed 15.0%–40.0%)",
        ),
        (
            multiples(shortest=2),
            "ERROR bank: keys-shortest rate: 20.0% (2 of 10 multiple-response items have their "
            "N keys as the N shortest options; allowed at most 15.0%): m0, m1",
        ),
    ],
    ids=["key never the longest", "keys too often the shortest"],
)
def test_a_length_rate_out_of_bounds_is_a_bank_error(items, expected):
    assert [str(f) for f in bank_rates(items)] == [expected]


def test_keys_that_are_rarely_the_n_shortest_pass():
    assert bank_rates(multiples(shortest=1)) == []


def hedged_singles(hedged_keys: int, hedged_distractors: int) -> list[LintItem]:
    items = []
    for n in range(10):
        key = "It can adapt the model" if n < hedged_keys else "It adapts the model"
        first = "It may adapt the model" if n < hedged_distractors else "It adapts the data"
        items.append(
            single(f"h{n}", key=key, distractors=(first, "It adapts the tokens", "It adapts rules"))
        )
    return items


def test_hedged_keys_against_plain_distractors_are_a_bank_error():
    [finding] = [f for f in bank_rates(hedged_singles(3, 0)) if f.measure == "hedge-word gap"]
    assert str(finding) == (
        "ERROR bank: hedge-word gap: 30.0% (in 30.0% of 10 keys vs 0.0% of 30 distractors; "
        "allowed at most 5.0%)"
    )


def test_hedge_words_spread_like_the_options_pass():
    # 3 of 10 keys and 9 of 30 distractors: the same 30 %.
    items = hedged_singles(3, 9)
    assert "hedge-word gap" not in {f.measure for f in bank_rates(items)}


def test_absolute_distractors_against_plain_keys_are_a_bank_error():
    items = [
        single(f"a{n}", distractors=("It always works", "Bravo option text", "Delta option text"))
        for n in range(10)
    ]
    gaps = [f for f in bank_rates(items) if f.measure == "absolute-word gap"]
    assert [f.detail for f in gaps] == [
        "33.3% (in 0.0% of 10 keys vs 33.3% of 30 distractors; allowed at most 5.0%)"
    ]


def test_absolute_words_as_common_in_keys_as_in_distractors_pass():
    items = [
        single(
            f"a{n}",
            key="It never fails at all",
            distractors=("It always works", "It never stops", "Only this one"),
        )
        for n in range(10)
    ]
    assert "absolute-word gap" not in {f.measure for f in bank_rates(items)}


def test_retired_items_do_not_count_in_the_rates():
    # Counted, the retired long keys would make 13 of 20 (65 %).
    retired = [single(f"r{n}", key=LONG_KEY, status="retired") for n in range(10)]
    items = singles(longest=3) + retired
    assert bank_rates(items) == []


def test_a_retired_question_has_no_findings_of_its_own():
    """A bank keeps a dropped question as retired so that a reload retires it;
    nobody is shown it, so nothing in it can be exploited."""
    three_steps = ordering("old", steps=3)
    retired = LintItem(
        three_steps.id, "9.1.1", "ordering", three_steps.stem, three_steps.options, status="retired"
    )
    assert measures(lint_items([three_steps]), "old") == [(ERROR, "ordering steps")]
    assert lint_items([retired]) == []


# One question --------------------------------------------------------------------


def test_a_key_much_longer_than_every_distractor_is_a_warning():
    item = single(key="Charlie option text that goes on")  # 32 ≥ 1.3 × 17
    assert measures(lint_items([item])) == [(WARNING, "key much longer")]
    assert str(lint_items([item])[0]) == (
        "WARNING q: key much longer: key 32 characters, longest distractor 17"
    )


def test_a_key_a_little_longer_is_not_flagged():
    assert lint_items([single(key="Charlie option text!")]) == []  # 20 < 1.3 × 17


def test_a_key_much_shorter_than_every_distractor_is_a_warning():
    assert measures(lint_items([single(key="Charlie")])) == [(WARNING, "key much shorter")]


def test_keys_much_longer_in_a_multiple_response_item_are_a_warning():
    item = multiple(keys=("Alpha option, at length", "Bravo option, at length"))
    assert measures(lint_items([item])) == [(WARNING, "key much longer")]


def test_only_the_key_hedged_is_a_warning():
    item = single(key="It can help the model")
    assert measures(lint_items([item])) == [(WARNING, "hedge cue")]


def test_a_hedged_distractor_beside_a_hedged_key_is_not_a_cue():
    item = single(key="It can help the model", distractors=("It may hurt it", "B text", "C text"))
    assert "hedge cue" not in {f.measure for f in lint_items([item])}


def test_every_distractor_absolute_and_no_key_is_a_warning():
    distractors = ("It always works", "It never fails", "It must be all")
    item = single(key="It works well here", distractors=distractors)
    assert measures(lint_items([item])) == [(WARNING, "absolute cue")]


def test_one_absolute_distractor_is_not_a_cue():
    distractors = ("It always works", "It works slowly", "It works badly")
    assert lint_items([single(key="It works well here", distractors=distractors)]) == []


def test_a_stem_word_repeated_only_in_the_key_is_a_warning():
    item = single(stem="A firm has thousands of invoices. Which fits?", key="Label the invoice")
    [finding] = lint_items([item])
    assert str(finding) == "WARNING q: stem echo: 'invoice' from the stem appear(s) only in the key"


@pytest.mark.parametrize(
    ("stem", "key", "distractors"),
    [
        ("It has invoices.", "Label each invoice", ("Sort each invoice", "Drop it", "Keep it")),
        ("The firm has data.", "Label the firm data", ("Drop it", "Keep it", "Move it")),
        ("Which statement is correct?", "This statement is correct", ("Drop", "Keep", "Move")),
    ],
    ids=["also in a distractor", "under five letters", "stop words"],
)
def test_a_stem_word_also_in_a_distractor_or_short_or_common_is_not_an_echo(stem, key, distractors):
    item = single(stem=stem, key=key, distractors=distractors)
    assert "stem echo" not in {f.measure for f in lint_items([item])}


def test_a_matching_prompt_that_shares_a_word_with_its_match_only_is_a_warning():
    item = matching(
        pairs=(("Instruction tuning", "Follow instructions"), ("Distillation", "Smaller"))
    )
    [finding] = lint_items([item])
    assert str(finding) == (
        "WARNING p: pair echo: the prompt 'Instruction tuning' shares 'instruction' "
        "with its match only"
    )


def test_matching_pairs_without_shared_words_pass():
    assert lint_items([matching()]) == []


@pytest.mark.parametrize(
    ("item", "detail"),
    [
        (multiple(stem="Which are true? (Select THREE.)"), "the stem says select 3; the key has 2"),
        (multiple(stem="Which are true?"), "the stem does not say how many to select (2)"),
        (single(stem="Which is true? (Select TWO.)"), "the stem says select 2; the key has 1"),
    ],
)
def test_a_select_count_that_does_not_match_the_key_is_an_error(item, detail):
    assert [(f.severity, f.measure, f.detail) for f in lint_items([item])] == [
        (ERROR, "select count", detail)
    ]


@pytest.mark.parametrize("stem", ["Which are true? (Select TWO.)", "Choose 2 answers."])
def test_a_select_count_that_matches_the_key_passes(stem):
    assert lint_items([multiple(stem=stem)]) == []


def test_an_ordering_item_of_three_steps_is_an_error():
    assert [str(f) for f in lint_items([ordering(steps=3)])] == [
        "ERROR o: ordering steps: 3 steps (at least 4: with 3, common sense often orders them)"
    ]


def test_an_ordering_item_of_four_steps_passes():
    assert lint_items([ordering(steps=4)]) == []


@pytest.mark.parametrize("text", ["All of the above", "none of the  above."])
def test_all_or_none_of_the_above_is_an_error(text):
    item = single(distractors=(text, "Bravo option text", "Delta option text"))
    assert measures(lint_items([item])) == [(ERROR, "all/none of the above")]


def test_above_in_another_sense_passes():
    item = single(distractors=("All the data above 1 GB", "Bravo option text", "Delta text!"))
    assert lint_items([item]) == []


def test_a_choice_item_without_a_key_is_left_to_the_loaders_rules():
    keyless = LintItem("x", "9.1.1", "single", "Which?", (LintOption("A"), LintOption("B")))
    assert lint_items([keyless]) == []
    # Counted, it would make ten items and so a judged rate.
    assert bank_rates([keyless, *singles(longest=0, total=9)]) == []


# Near-duplicates within an objective ---------------------------------------------

STEM = "A retailer wants its assistant to answer in the brand tone. Which approach fits best?"
SIMILAR_STEM = "A retailer wants its chatbot to reply in the house style. Which approach fits best?"
KEY = "Fine-tune the current model on the approved example replies"
# As long as the keys, so that length says nothing here.
LONG = (
    "Pre-train a new model from scratch on the approved replies",
    "Distill the current model into a smaller student model now",
    "Continue pre-training the model on more general web text",
)


def long_item(id: str, *, key: str = KEY, **fields) -> LintItem:
    return single(id, key=key, distractors=LONG, **fields)


UNRELATED = "A hospital must keep patient records private. What should it do first?"
OTHER_KEY = "Instruction-tune the model on requests paired with answers"


def test_the_same_stem_twice_in_an_objective_is_an_error_on_the_later_item():
    findings = lint_items([long_item("a", stem=STEM), long_item("b", stem=STEM, key=OTHER_KEY)])
    assert [str(f) for f in findings] == ["ERROR b: near-duplicate stem: a (similarity 100)"]


def test_a_similar_stem_is_a_warning():
    items = [long_item("a", stem=STEM), long_item("b", stem=SIMILAR_STEM, key=OTHER_KEY)]
    assert [str(f) for f in lint_items(items)] == [
        "WARNING b: near-duplicate stem: a (similarity 80)"
    ]


def test_unrelated_stems_pass():
    items = [long_item("a", stem=STEM), long_item("b", stem=UNRELATED, key=OTHER_KEY)]
    assert lint_items(items) == []


def test_near_duplicate_keys_are_an_error():
    similar = "Fine-tune the current model on the approved sample replies"
    findings = lint_items([long_item("a"), long_item("b", key=similar, stem=UNRELATED)])
    assert [str(f) for f in findings] == ["ERROR b: near-duplicate key: a (similarity 97)"]


def test_keys_that_share_only_a_verb_pass():
    other = "Fine-tune the existing model on a few thousand approved replies"  # 74
    assert lint_items([long_item("a"), long_item("b", key=other, stem=UNRELATED)]) == []


def test_duplicates_in_other_objectives_or_retired_pass():
    items = [
        long_item("a", stem=STEM),
        long_item("b", stem=STEM, objective="9.1.2"),
        long_item("c", stem=STEM, status="retired"),
    ]
    assert lint_items(items) == []


def test_matching_items_carrying_the_same_pair_are_near_duplicates():
    findings = lint_items([matching("p1"), matching("p2")])
    assert [str(f) for f in findings] == [
        "ERROR p2: near-duplicate stem: p1 (similarity 100)",
        "ERROR p2: near-duplicate key: p1 (similarity 100)",
    ]


def test_findings_for_one_question_compare_it_with_the_others_of_its_objective():
    edited = single("a", stem=STEM, key="Charlie")
    others = [
        edited,  # itself, as the admin's query returns it too
        single("b", stem=STEM),
        single("c", stem=STEM, objective="9.1.2"),
        single("d", stem=STEM, status="retired"),
    ]
    assert [str(f) for f in findings_for_question(edited, others)] == [
        "WARNING a: key much shorter: key 7 characters, shortest distractor 17",
        "ERROR a: near-duplicate stem: b (similarity 100)",
    ]


def test_the_summary_counts_errors_warnings_and_questions():
    findings = [
        Finding(ERROR, BANK, "key-longest rate", "0.0%"),
        Finding(WARNING, "a", "stem echo", "'x'"),
        Finding(ERROR, "a", "ordering steps", "3 steps"),
        Finding(WARNING, "b", "hedge cue", "only the key"),
    ]
    assert summarize(findings) == (
        "2 error(s), 2 warning(s) (1 on the bank, 2 question(s) with findings)"
    )


# Building items ------------------------------------------------------------------

CUED = """\
  - id: q-cued
    objective: "9.1.1"
    kind: single
    stem: A firm keeps thousands of invoices. Which approach fits?
    choices:
      - text: Label each invoice by hand
        correct: true
      - text: Drop the old files
      - text: Keep the files as they are
    explanation: Because.
    source: seed 1.1
"""
THREE_STEPS = """\
  - id: q-order
    objective: "9.1.2"
    kind: ordering
    stem: Put them in order.
    items: [Collect the data, Clean the data, Train the model]
    explanation: Because.
    source: seed 1.2
"""


def by_id(item: LintItem) -> str:
    return item.id


def test_items_from_a_file_and_from_the_database_are_the_same(db, write_bank):
    path = write_bank(bank_text(CUED, THREE_STEPS))
    load_bank_files([path])
    specs, errors = read_bank_files([path])
    from_files = [item_from_spec(q) for q in specs[0].questions]
    stored = Question.objects.select_related("objective").prefetch_related("choices")
    assert not errors
    assert sorted((item_from_question(q) for q in stored), key=by_id) == from_files
    assert from_files[1].options[0] == LintOption("Collect the data")


def test_lint_specs_lints_several_files_as_one_bank(write_bank):
    first = write_bank(bank_text(single_question("q-a", stem="Which one is it?")), "a.yaml")
    second = write_bank(bank_text(single_question("q-b", stem="Which one is it?")), "b.yaml")
    specs, _ = read_bank_files([first, second])
    assert [str(f) for f in lint_specs(specs)] == [
        "ERROR q-b: near-duplicate stem: q-a (similarity 100)",
        "ERROR q-b: near-duplicate key: q-a (similarity 100)",
    ]


# The commands --------------------------------------------------------------------


def exit_status(*args: str) -> int:
    """Run a command as `manage.py` does and return its exit status."""
    try:
        execute_from_command_line(["manage.py", *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_lint_bank_passes_a_clean_file(write_bank, capsys):
    path = write_bank(bank_text(single_question()))
    assert exit_status("lint_bank", str(path)) == 0
    assert capsys.readouterr().out == (
        "Lint: 0 error(s), 0 warning(s) (0 on the bank, 0 question(s) with findings).\n"
    )


def test_lint_bank_prints_warnings_and_passes_unless_strict(write_bank, capsys):
    path = write_bank(bank_text(CUED))
    assert exit_status("lint_bank", str(path)) == 0
    assert capsys.readouterr().out.splitlines() == [
        "WARNING q-cued: stem echo: 'invoice' from the stem appear(s) only in the key",
        "Lint: 0 error(s), 1 warning(s) (0 on the bank, 1 question(s) with findings).",
    ]
    assert exit_status("lint_bank", "--strict", str(path)) == 1
    assert "The bank has lint warnings (--strict)." in capsys.readouterr().err


def test_lint_bank_fails_on_an_error(write_bank, capsys):
    path = write_bank(bank_text(CUED, THREE_STEPS))
    assert exit_status("lint_bank", str(path)) == 1
    captured = capsys.readouterr()
    assert "ERROR q-order: ordering steps: 3 steps" in captured.out
    assert "Lint: 1 error(s), 1 warning(s)" in captured.out
    assert "The bank has lint errors." in captured.err


def test_lint_bank_fails_on_a_file_it_cannot_parse(write_bank, tmp_path, capsys):
    missing = tmp_path / "missing.yaml"
    with pytest.raises(CommandError, match="1 problem"):
        call_command("lint_bank", str(missing))
    assert f"{missing}: cannot be read" in capsys.readouterr().err


def test_load_bank_prints_the_findings_as_warnings_and_loads_all_the_same(db, write_bank, capsys):
    path = write_bank(bank_text(CUED, THREE_STEPS))
    call_command("load_bank", str(path))
    captured = capsys.readouterr()
    assert "Bank loaded: 2 created" in captured.out
    assert captured.err.splitlines() == [
        "Lint warning: WARNING q-cued: stem echo: 'invoice' from the stem appear(s) only in "
        "the key",
        "Lint warning: ERROR q-order: ordering steps: 3 steps (at least 4: with 3, common "
        "sense often orders them)",
        "Lint: 1 error(s), 1 warning(s) (0 on the bank, 2 question(s) with findings).",
    ]
    assert Question.objects.count() == 2


def test_load_bank_prints_no_lint_lines_for_a_clean_file(db, write_bank, capsys):
    call_command("load_bank", str(write_bank(bank_text(single_question()))))
    assert capsys.readouterr().err == ""


def test_the_shipped_bank_has_no_lint_errors():
    specs, problems = read_bank_files(sorted((ROOT / "exams" / "bank").glob("*.yaml")))
    errors = [str(f) for f in lint_specs(specs) if f.severity == ERROR]
    assert not problems and errors == []


# The admin -----------------------------------------------------------------------

TWIN = CUED.replace("q-cued", "q-twin").replace("Label each invoice by hand", "Sort them")


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


def change_page(client, external_id: str) -> str:
    question = Question.objects.get(external_id=external_id)
    url = reverse("admin:exams_question_change", args=[question.pk])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_change_page_shows_the_questions_findings(
    instructor_client, write_bank, django_assert_num_queries
):
    load_bank_files([write_bank(bank_text(CUED, TWIN, THREE_STEPS))])
    question = Question.objects.get(external_id="q-twin")
    url = reverse("admin:exams_question_change", args=[question.pk])
    # Content types are cached per process: start cold, so the count is the same
    # whichever test ran before in this worker.
    ContentType.objects.clear_cache()

    # 1 session, 2 user, 3 the question, 4-5 the user's and group permissions,
    # 6 versions (inline), 7 choices (inline), 8 the linter's questions of the
    # objective, 9 their choices, 10 the question's content type, 11 the objective
    # (autocomplete widget), 12 the cases (the case select's options), 13 the
    # question again (a version's str in its inline), 14 the question's draft, if any
    # (the banner of exams/admin_editing.py).
    with django_assert_num_queries(14):
        page = instructor_client.get(url).content.decode()

    section = page[page.index("Bank linter") :]
    assert "<strong>ERROR</strong> near-duplicate stem: q-cued (similarity 100)" in section
    assert "q-order" not in section  # another objective


def test_the_change_page_of_a_question_without_findings_says_so(instructor_client, write_bank):
    load_bank_files([write_bank(bank_text(single_question()))])
    assert "None found in this question as last saved." in change_page(
        instructor_client, "q-single"
    )


def test_the_add_page_has_no_lint_section(instructor_client, bank):
    page = instructor_client.get(reverse("admin:exams_question_add")).content.decode()
    assert "Bank linter" not in page

"""The question rules shared by the loader and the admin (pure, no database)."""

import pytest

from exams.bank.rules import Option, blank_markdown_problem, option_problems


def choices(*correct: bool) -> list[Option]:
    return [Option(text=f"Choice {i}", is_correct=c) for i, c in enumerate(correct)]


def test_a_single_answer_question_with_one_correct_choice_is_valid():
    assert option_problems("single", choices(False, True, False, False)) == []


def test_it_refuses_two_correct_choices_on_a_single_answer_question():
    assert option_problems("single", choices(True, True, False)) == [
        "a single-answer question needs exactly one correct choice (it has 2)"
    ]


def test_it_refuses_a_single_answer_question_without_a_correct_choice():
    assert (
        "needs exactly one correct choice (it has 0)"
        in option_problems("single", choices(False, False, False))[0]
    )


@pytest.mark.parametrize(
    ("kind", "count", "message"),
    [
        ("single", 2, "a single-answer question needs 3 to 6 choices (it has 2)"),
        ("single", 7, "a single-answer question needs 3 to 6 choices (it has 7)"),
        ("multiple", 3, "a multiple-response question needs 4 to 8 choices (it has 3)"),
        ("ordering", 1, "an ordering question needs 3 to 6 items (it has 1)"),
        ("ordering", 7, "an ordering question needs 3 to 6 items (it has 7)"),
        ("matching", 2, "a matching question needs 3 to 7 pairs (it has 2)"),
    ],
)
def test_it_enforces_the_number_of_options_per_kind(kind, count, message):
    options = [
        Option(
            text=f"Option {i}",
            is_correct=kind in ("single", "multiple") and i < (1 if kind == "single" else 2),
            match=f"Match {i}" if kind == "matching" else "",
        )
        for i in range(count)
    ]
    assert any(problem.startswith(message) for problem in option_problems(kind, options))


def test_a_true_false_statement_is_the_single_answer_question_with_two_choices():
    true_false = [Option("True", is_correct=True), Option("False")]

    assert option_problems("single", true_false) == []
    assert option_problems("single", [Option("Yes", is_correct=True), Option("No")]) == [
        "a single-answer question needs 3 to 6 choices (it has 2); only a true/false "
        "statement has two, with the choices 'True' and 'False'"
    ]
    assert option_problems("multiple", true_false)[0].startswith(
        "a multiple-response question needs 4 to 8 choices"
    )


def test_a_matching_question_may_offer_a_few_extra_matches():
    pairs = [Option(f"Prompt {i}", match=f"Match {i}") for i in range(3)]

    assert option_problems("matching", [*pairs, Option("", match="Extra")]) == []
    too_many = [*pairs, *(Option("", match=f"Extra {i}") for i in range(4))]
    assert option_problems("matching", too_many) == [
        "a matching question has at most 3 extra matches without a prompt (it has 4)"
    ]
    # Extras do not count as pairs, and an empty row is still refused.
    assert option_problems("matching", [*pairs[:2], Option("", match="Extra")]) == [
        "a matching question needs 3 to 7 pairs (it has 2)"
    ]
    assert "every one of the pairs needs text" in option_problems(
        "matching", [*pairs, Option("", match="")]
    )


def test_a_multiple_response_question_needs_two_correct_and_one_incorrect_choice():
    assert option_problems("multiple", choices(True, False, False, False)) == [
        "a multiple-response question needs at least two correct choices (it has 1)"
    ]
    assert (
        "needs at least one incorrect choice"
        in option_problems("multiple", choices(True, True, True, True))[0]
    )
    assert option_problems("multiple", choices(True, True, False, False, False)) == []


def test_matching_pairs_need_distinct_prompts_and_matches():
    pairs = [
        Option(text="A", match="1"),
        Option(text="A", match="2"),
        Option(text="C", match="2"),
    ]
    assert option_problems("matching", pairs) == [
        "the prompt 'A' appears 2 times",
        "the match '2' appears 2 times",
    ]


def test_a_pair_without_a_match_is_refused():
    pairs = [Option(text="A", match="1"), Option(text="B", match="2"), Option(text="C")]
    assert "every pair needs a match" in option_problems("matching", pairs)


def test_ordering_items_are_never_marked_correct():
    items = [Option(text="one", is_correct=True), Option(text="two"), Option(text="three")]
    assert option_problems("ordering", items) == [
        "items of an ordering question are not marked correct: their order is the key"
    ]


def test_repeated_choice_text_is_refused():
    options = [Option(text="Same", is_correct=True), Option(text="Same"), Option(text="Other")]
    assert option_problems("single", options) == ["the text 'Same' appears 2 times"]


def test_an_unknown_kind_is_refused():
    assert option_problems("essay", []) == [
        "unknown kind 'essay'; use one of single, multiple, ordering, matching"
    ]


@pytest.mark.parametrize(
    "text",
    ["<script>x</script>", "<style>p {}</style>", "<div></div>", "<!-- a note -->", "&nbsp;"],
)
def test_markdown_that_sanitizes_to_nothing_is_refused_naming_the_field(text):
    assert blank_markdown_problem("stem", text) == (
        "stem shows learners nothing once sanitized (scripts, styles, comments and HTML "
        "tags are removed): write it as Markdown text"
    )


@pytest.mark.parametrize("text", ["**Bold** words", "`code`", "<b>kept</b> text", ""])
def test_markdown_with_visible_text_passes(text):
    # Empty text is the "must not be empty" rule's business, not this one's.
    assert blank_markdown_problem("stem", text) is None

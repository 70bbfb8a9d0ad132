"""Pure grading functions: no database."""

import random

import pytest

from exams.grading import allocate, grade, is_complete, roll_up, scaled_score


@pytest.mark.parametrize(
    ("kind", "key", "response", "correct"),
    [
        ("single", "a", {"choice": "a"}, True),
        ("single", "a", {"choice": "b"}, False),
        ("single", "a", None, False),
        ("multiple", ["a", "c"], {"choices": ["c", "a"]}, True),
        ("multiple", ["a", "c"], {"choices": ["a"]}, False),
        ("multiple", ["a", "c"], {"choices": ["a", "b", "c"]}, False),
        ("ordering", ["x", "y", "z"], {"ranks": {"x": 1, "y": 2, "z": 3}}, True),
        ("ordering", ["x", "y", "z"], {"ranks": {"x": 1, "y": 3, "z": 2}}, False),
        ("ordering", ["x", "y", "z"], {"ranks": {"x": 1, "y": 2}}, False),
        ("matching", {"p": "m1", "q": "m2"}, {"matches": {"p": "m1", "q": "m2"}}, True),
        ("matching", {"p": "m1", "q": "m2"}, {"matches": {"p": "m2", "q": "m1"}}, False),
        ("matching", {"p": "m1", "q": "m2"}, {"matches": {"p": "m1"}}, False),
    ],
)
def test_items_are_graded_all_or_nothing(kind, key, response, correct):
    assert grade(kind, key, response) is correct


def test_an_unknown_kind_cannot_be_graded():
    with pytest.raises(ValueError, match="unknown kind"):
        grade("essay", None, {"text": "x"})


def test_a_multiple_response_item_is_answered_with_exactly_as_many_as_asked():
    snapshot = {"kind": "multiple", "options": [{}] * 5, "select": 2}
    assert not is_complete(snapshot, {"choices": ["a"]})
    assert is_complete(snapshot, {"choices": ["a", "b"]})
    assert not is_complete(snapshot, {"choices": ["a", "b", "c"]})


def test_ordering_and_matching_are_answered_when_every_row_is():
    ordering = {"kind": "ordering", "options": [{}] * 3}
    assert not is_complete(ordering, {"ranks": {"a": 1, "b": 2}})
    assert is_complete(ordering, {"ranks": {"a": 1, "b": 2, "c": 3}})
    matching = {"kind": "matching", "options": [{}] * 2}
    assert is_complete(matching, {"matches": {"a": "x", "b": "y"}})
    assert not is_complete(matching, None)


@pytest.mark.parametrize(
    ("raw", "total", "scaled"), [(0, 20, 100), (20, 20, 1000), (14, 20, 730), (13, 20, 685)]
)
def test_the_scaled_score_runs_from_100_to_1000(raw, total, scaled):
    assert scaled_score(raw, total) == scaled


def test_roll_up_tallies_per_objective():
    tallies = roll_up([(1, True), (2, False), (1, False), (1, True)])
    assert [(t.objective_id, t.correct, t.total, t.percent) for t in tallies] == [
        (1, 2, 3, 67),
        (2, 0, 1, 0),
    ]


def test_allocation_spreads_20_questions_evenly_over_14_objectives():
    allocation = allocate(dict.fromkeys(range(14), 1), dict.fromkeys(range(14), 7), 20)
    assert sum(allocation.values()) == 20
    assert sorted(set(allocation.values())) == [1, 2]


def test_allocation_follows_weights_and_availability():
    assert allocate({1: 3, 2: 1}, {1: 30, 2: 30}, 8) == {1: 6, 2: 2}
    # Objective 1 has only two questions: the rest goes to objective 2.
    assert allocate({1: 3, 2: 1}, {1: 2, 2: 30}, 8) == {1: 2, 2: 6}
    # Fewer questions than asked for: everything available.
    assert allocate({1: 1, 2: 1}, {1: 2, 2: 1}, 8) == {1: 2, 2: 1}


def test_allocation_breaks_ties_at_random_so_every_objective_gets_its_turn():
    counts = dict.fromkeys(range(14), 0)
    rng = random.Random(3)
    for _ in range(200):
        for objective, n in allocate(
            dict.fromkeys(range(14), 1), dict.fromkeys(range(14), 7), 20, rng
        ).items():
            counts[objective] += n
    assert min(counts.values()) > 200  # each gets the extra question in a fair share of draws


def test_a_draw_keeps_a_case_whole_and_counts_each_question_against_its_objective():
    import random

    from exams.grading import draw

    pool = {1: [10, 11, 12, 13], 2: [20, 21, 22, 23]}
    case = [(10, 1), (20, 2)]  # one case: a question of each objective
    groups = {10: case, 20: case}
    for seed in range(40):
        units = draw(pool, {1: 2, 2: 2}, groups, random.Random(seed))
        chosen = [q for unit in units for q in unit]
        assert len(chosen) == len(set(chosen)) == 4
        assert sum(q < 20 for q in chosen) == 2  # the allocation per objective holds
        assert (10 in chosen) == (20 in chosen)  # never half a case
        if 10 in chosen:
            assert [10, 20] in units  # and its questions stay together


def test_a_case_that_does_not_fit_is_left_and_the_form_is_still_full():
    import random

    from exams.grading import draw

    pool = {1: [10, 11, 12], 2: [20]}
    case = [(10, 1), (11, 1), (12, 1)]  # three questions of objective 1
    groups = {q: case for q in (10, 11, 12)}
    units = draw(pool, {1: 2, 2: 1}, groups, random.Random(1))
    # The case needs 3 of objective 1 where 2 are allotted: it is not drawn,
    # and with no stand-alone question left the form is as full as it can be.
    assert units == [[20]]

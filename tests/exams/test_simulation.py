import math
import random

from exams import simulation
from exams.snapshots import ItemSnapshot


def test_p_right_is_the_two_parameter_logistic():
    q = simulation.SimQuestion(difficulty=0.5, discrimination=1.2)
    assert q.p_right(0.5) == 0.5
    assert math.isclose(q.p_right(1.5), 1 / (1 + math.exp(-1.2)))
    assert q.p_right(3.0) > q.p_right(0.0)


def test_parameters_are_stable_per_name_and_seed():
    assert simulation.learner(1, "ann") == simulation.learner(1, "ann")
    assert simulation.learner(1, "ann") != simulation.learner(2, "ann")
    assert simulation.question(1, 7, 3) == simulation.question(1, 7, 3)


def test_ability_grows_within_the_window_only():
    one = simulation.SimLearner(theta=0.0, growth=0.6)
    assert one.ability(0.0) == 0.0
    assert one.ability(0.5) == 0.3
    assert one.ability(2.0) == 0.6


def test_harder_bank_difficulty_shifts_difficulty_up_on_average():
    easy = [simulation.question(1, n, 1).difficulty for n in range(400)]
    hard = [simulation.question(1, n, 3).difficulty for n in range(400)]
    assert sum(hard) / 400 - sum(easy) / 400 > 1.0


def test_distractor_pull_is_stable_and_unequal():
    texts = [f"option {n}" for n in range(200)]
    pull = simulation.distractor_pull(1, 7, texts)
    assert pull == simulation.distractor_pull(1, 7, texts)
    assert max(pull.values()) > 10 * min(pull.values())


def _frozen(kind: str, options: int = 4, correct: int = 1):
    """A frozen item of `kind` made the way attempts make them."""

    class Question:
        stem = explanation = source = "x"
        case_id = None

    class Choice:
        def __init__(self, n):
            self.text, self.feedback, self.match = f"text {n}", "", f"match {n}"
            self.is_correct = n < correct

    question = Question()
    question.kind = kind
    choices = [Choice(n) for n in range(options)]
    return ItemSnapshot.freeze(question, choices, rng=random.Random(3), shuffle=True)


def test_responses_of_every_kind_grade_as_intended():
    rng = random.Random(5)
    for kind, correct in (("single", 1), ("multiple", 2), ("ordering", 0), ("matching", 0)):
        item = _frozen(kind, correct=correct)
        for _ in range(50):
            right = simulation.response(item.data, right=True, pull={}, rng=rng)
            assert item.grade(right) and item.is_complete(right)
            wrong = simulation.response(item.data, right=False, pull={}, rng=rng, blank=0)
            assert not item.grade(wrong) and item.is_complete(wrong)


def test_wrong_answers_follow_the_distractors_pull():
    item = _frozen("single")
    pull = {"text 1": 8.0, "text 2": 1.0, "text 3": 0.0}
    rng = random.Random(9)
    text = {o["id"]: o["text"] for o in item.data["options"]}
    picks = [
        text[simulation.response(item.data, right=False, pull=pull, rng=rng, blank=0)["choice"]]
        for _ in range(900)
    ]
    assert picks.count("text 1") > 6 * picks.count("text 2") > 0
    assert picks.count("text 3") == 0


def test_a_wrong_answer_is_sometimes_blank():
    item = _frozen("ordering")
    rng = random.Random(2)
    answers = [simulation.response(item.data, right=False, pull={}, rng=rng) for _ in range(1000)]
    assert 10 < answers.count(None) < 60

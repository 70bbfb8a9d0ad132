import math

from exams import simulation


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

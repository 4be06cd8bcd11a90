import pytest

from gridgov.assessments import risk


@pytest.mark.parametrize("likelihood,impact,expected", [
    (5, 5, "high"), (5, 3, "high"), (4, 4, "high"), (3, 5, "high"),
    (5, 1, "medium"), (3, 3, "medium"), (2, 3, "medium"), (1, 5, "medium"), (1, 4, "medium"),
    (1, 1, "low"), (2, 2, "low"), (4, 1, "low"), (1, 3, "low"),
])
def test_the_matrix_grades_an_item_from_likelihood_and_impact(likelihood, impact, expected):
    assert risk.grade(likelihood, impact) == expected


def test_the_matrix_is_monotone_more_likely_or_worse_never_grades_lower():
    order = risk.ORDER.index
    for lk in range(1, 6):
        for im in range(1, 6):
            if lk < 5:
                assert order(risk.grade(lk + 1, im)) >= order(risk.grade(lk, im))
            if im < 5:
                assert order(risk.grade(lk, im + 1)) >= order(risk.grade(lk, im))


def test_a_catastrophic_or_certain_risk_is_never_low():
    assert all(risk.grade(lk, 5) != "low" for lk in range(1, 6))
    assert all(risk.grade(5, im) != "low" for im in range(1, 6))


@pytest.mark.parametrize("bad", [(0, 3), (6, 1), (3, 0), (2, 9)])
def test_out_of_range_is_refused(bad):
    with pytest.raises(ValueError):
        risk.grade(*bad)


def test_the_suggested_level_is_the_registers_highest_grade():
    assert risk.highest(["low", "medium", "low"]) == "medium"
    assert risk.highest(["low", "high"]) == "high"
    assert risk.highest([]) is None

"""The search bench's statistics: the paired sign test and regret against a dense reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from workloads.bench.search_stats import Reference, sign_test


def test_the_sign_test_counts_wins_losses_and_ties():
    test = sign_test([2, 2, 2, 1, 0], [1, 1, 1, 1, 1])
    assert (test.wins, test.losses, test.ties) == (3, 1, 1)


def test_nine_wins_in_ten_is_significant_at_five_percent():
    # exact two-sided binomial: 2 * (C(10,9) + C(10,10)) / 2**10 = 22 / 1024
    test = sign_test([1.0] * 9 + [0.0], [0.5] * 10)
    assert test.p_value == pytest.approx(22 / 1024) and test.significant


def test_ties_are_left_out_of_the_sign_test():
    with_ties = sign_test([1.0] * 7 + [0.0] + [3.0] * 5, [0.0] * 7 + [1.0] + [3.0] * 5)
    assert with_ties.p_value == pytest.approx(binomtest(7, 8, 0.5).pvalue) and with_ties.ties == 5


def test_an_even_split_is_not_significant():
    test = sign_test([1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1])
    assert test.p_value == pytest.approx(1.0) and not test.significant


def test_no_signed_pair_gives_p_one():
    assert sign_test([1.0, 2.0], [1.0, 2.0]).p_value == 1.0


def test_unpaired_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        sign_test([1.0], [1.0, 2.0])


def test_the_share_is_the_part_of_the_reference_at_least_as_good():
    reference = Reference(np.sort(np.arange(100, dtype=float)))
    assert reference.share_at_least(90.0) == pytest.approx(0.10)
    assert reference.share_at_least(90.5) == pytest.approx(0.09)
    assert reference.share_at_least(1_000.0) == 0.0


def test_regret_gives_share_gap_and_hit():
    reference = Reference(np.sort(np.arange(100, dtype=float)))
    assert reference.regret(97.0) == {"share": pytest.approx(0.03), "gap": 2.0, "hit": False}
    assert reference.regret(120.0)["hit"] and reference.regret(120.0)["gap"] == -21.0


def test_a_reference_tied_at_its_maximum_over_one_percent_is_a_plateau():
    # 1,000 genomes: one at the maximum is 0.1%, eleven are 1.1%
    assert not Reference(np.arange(1_000.0)).plateau
    assert Reference(np.sort(np.concatenate([np.arange(990.0), [989.0] * 10]))).plateau

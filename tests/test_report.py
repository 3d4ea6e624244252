"""The report's two-object section for a model trained without two-object clips (the default): it says so and
how to train one, and shows no empty table."""

from t2v.report.page import binding_table, pairs_table


def test_a_one_object_model_gets_a_line_not_empty_tables():
    line = binding_table({})
    assert "data.pair_share=0.25" in line and "<table" not in line
    assert pairs_table([]) == ""


def test_judged_pairs_are_tabled_with_split_binding_and_swapped():
    table = binding_table(
        {
            "red circle moving left and blue square moving up": {
                "split": "seen",
                "binding": 0.9,
                "swapped": 0.05,
            }
        }
    )
    assert "id='binding'" in table and "seen" in table and "0.90" in table and "0.05" in table
    assert "id='pairs'" in pairs_table(["<tr><td>x</td></tr>"])

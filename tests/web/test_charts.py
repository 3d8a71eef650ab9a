"""web.charts: bars in proportion to their values, the tallest filling the chart."""

from decimal import Decimal

from web.charts import HEIGHT, bar_chart


def test_bars_are_in_proportion_and_never_negative():
    chart = bar_chart([("a", Decimal(50)), ("b", Decimal(100)), ("c", Decimal(-20)),
                       ("d", Decimal(0))], label_every=2)
    heights = [bar["height"] for bar in chart["bars"]]
    assert heights == [HEIGHT / 2, HEIGHT, 0, 0]
    assert [bar["y"] + bar["height"] for bar in chart["bars"]] == [HEIGHT] * 4  # one baseline
    assert [bar["show_label"] for bar in chart["bars"]] == [False, True, False, True]
    assert [bar["value"] for bar in chart["bars"]][2] == Decimal(-20)  # the table keeps it


def test_an_empty_or_all_zero_chart_has_no_height():
    assert bar_chart([])["bars"] == []
    assert [b["height"] for b in bar_chart([("a", Decimal(0))])["bars"]] == [0]

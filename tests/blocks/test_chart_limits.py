"""The limit checker knows Slack's chart and table blocks: it passes what Slack documents and
refuses each way of going past a limit (bot/blocks/charts.py lists them, with sources)."""

from __future__ import annotations

import copy

import pytest

from bot.blocks.charts import data_table, number_cell, text_cell, xy_chart
from tests.blocks.slack_limits import check_message, check_view

# Slack's own example of a bar chart (docs.slack.dev, data-visualization-block), as built.
BAR = xy_chart(
    "bar",
    "Pie tastiness",
    ["Strawberry Rhubarb", "Pumpkin", "Lemon Meringue", "Blueberry", "Key Lime"],
    [("Pie", [85, 70, 72, 90, 56])],
    x_label="Pies",
    y_label="Percentage of Tastiness",
)
PIE = {
    "type": "data_visualization",
    "title": "My Favorite Candy Bars",
    "chart": {
        "type": "pie",
        "segments": [{"label": "Kit Kat", "value": 45}, {"label": "Twix", "value": 28}],
    },
}
TABLE = data_table(
    "Applications",
    ["Application", "Days"],
    [
        [text_cell("Acme", 60), number_cell(3.5, "3.5")],
        [text_cell("Bolt", 60), number_cell(1, "1")],
    ],
)


def _changed(block: dict, change) -> dict:
    block = copy.deepcopy(block)
    change(block)
    return block


def _series(block: dict) -> list[dict]:
    return block["chart"]["series"]


def test_the_documented_shapes_pass() -> None:
    assert BAR["chart"]["series"][0]["data"][0] == {"label": "Strawberry Rhubarb", "value": 85}
    check_message("Pies", [BAR, PIE, TABLE])
    check_view({"type": "home", "blocks": [BAR, TABLE]})


def _too_many_points(block: dict) -> None:
    labels = [f"Day {n}" for n in range(21)]
    block["chart"]["axis_config"]["categories"] = labels
    _series(block)[0]["data"] = [{"label": label, "value": 1} for label in labels]


OVER_THE_LIMITS = {
    "title of 51 characters": (BAR, lambda b: b.update(title="T" * 51)),
    "empty title": (BAR, lambda b: b.update(title=" ")),
    "unknown chart type": (BAR, lambda b: b["chart"].update(type="scatter")),
    "category of 21 characters": (
        BAR,
        lambda b: b["chart"]["axis_config"]["categories"].__setitem__(0, "C" * 21),
    ),
    "21 categories and points": (BAR, _too_many_points),
    "repeated category": (
        BAR,
        lambda b: b["chart"]["axis_config"]["categories"].__setitem__(1, "Strawberry Rhubarb"),
    ),
    "x_label of 51 characters": (BAR, lambda b: b["chart"]["axis_config"].update(x_label="x" * 51)),
    "seven series": (BAR, lambda b: b["chart"].update(series=[dict(_series(b)[0])] * 7)),
    "series name of 21 characters": (BAR, lambda b: _series(b)[0].update(name="N" * 21)),
    "repeated series name": (BAR, lambda b: _series(b).append(copy.deepcopy(_series(b)[0]))),
    "a point off the categories": (BAR, lambda b: _series(b)[0]["data"][0].update(label="Apple")),
    "a category without a point": (BAR, lambda b: _series(b)[0]["data"].pop()),
    "a value that is no number": (BAR, lambda b: _series(b)[0]["data"][0].update(value="85")),
    "a value that is true": (BAR, lambda b: _series(b)[0]["data"][0].update(value=True)),
    "a pie slice of 0": (PIE, lambda b: b["chart"]["segments"][0].update(value=0)),
    "seven pie slices": (
        PIE,
        lambda b: b["chart"].update(segments=[{"label": f"S{n}", "value": 1} for n in range(7)]),
    ),
    "102 table rows": (TABLE, lambda b: b.update(rows=[b["rows"][0], *[b["rows"][1]] * 101])),
    "a table without rows": (TABLE, lambda b: b.update(rows=b["rows"][:1])),
    "21 columns": (
        TABLE,
        lambda b: b.update(rows=[[text_cell(f"c{n}", 5) for n in range(21)]] * 2),
    ),
    "uneven rows": (TABLE, lambda b: b["rows"][1].pop()),
    "rich text in the header": (
        TABLE,
        lambda b: b["rows"][0].__setitem__(0, {"type": "rich_text", "elements": []}),
    ),
    "an empty cell": (TABLE, lambda b: b["rows"][1][0].update(text="")),
    "page_size 0": (TABLE, lambda b: b.update(page_size=0)),
    "page_size 101": (TABLE, lambda b: b.update(page_size=101)),
    "row header past the columns": (TABLE, lambda b: b.update(row_header_column_index=2)),
    "no caption": (TABLE, lambda b: b.pop("caption")),
    "10,001 characters in a table": (
        TABLE,
        lambda b: b.update(
            rows=[b["rows"][0], *[[text_cell("x" * 100, 100), number_cell(1, "1")]] * 99]
        ),
    ),
}


@pytest.mark.parametrize(("block", "change"), OVER_THE_LIMITS.values(), ids=OVER_THE_LIMITS)
def test_each_limit_is_checked(block: dict, change) -> None:
    check_message("ok", [block])
    with pytest.raises(AssertionError):
        check_message("over", [_changed(block, change)])


def test_at_most_two_charts_in_a_message() -> None:
    check_message("two", [BAR, PIE])
    with pytest.raises(AssertionError, match="data_visualization blocks: 3 > 2"):
        check_message("three", [BAR, PIE, _changed(PIE, lambda b: b.update(title="Again"))])


def test_the_tables_of_a_message_share_10000_characters() -> None:
    half = data_table(
        "Half", ["Name"], [[text_cell("x" * 60, 60)] for _ in range(90)]
    )  # 5,404 characters
    check_message("one", [half])
    with pytest.raises(AssertionError, match="characters of the tables"):
        check_message("two", [half, _changed(half, lambda b: b.update(caption="Other"))])


def test_the_builders_cut_titles_and_labels_and_keep_them_unique() -> None:
    chart = xy_chart(
        "line",
        "A title far longer than the fifty characters Slack allows",
        ["A category that is too long", "A category that is too long, again"],
        [("A series name too long", [1, 2]), ("A series name too long too", [3, 4])],
    )
    check_message("cut", [chart])
    assert len(chart["title"]) == 50 and chart["title"].endswith("…")
    categories = chart["chart"]["axis_config"]["categories"]
    assert categories == ["A category that is …", "A category that … #2"]
    assert [s["name"] for s in chart["chart"]["series"]] == [
        "A series name too l…",
        "A series name to… #2",
    ]

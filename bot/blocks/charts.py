"""Slack's native charts and tables as Block Kit JSON: the `data_visualization` and
`data_table` blocks, cut to fit their limits.

slack_sdk has no models for these two blocks, so they are built as the dicts Slack takes;
chat.postMessage, `respond` and views accept dicts beside slack_sdk's Block objects.

The shapes and limits (docs.slack.dev/reference/block-kit/blocks/data-visualization-block and
.../data-table-block, as of 2026; cross-checked with the validators of the Rust crate
slack-messaging 0.7.7, src/blocks/data_visualization and src/blocks/data_table, and with
CopilotKit's packages/channels-slack/src/data-visualization.ts, PR #6342):

    {"type": "data_visualization", "title": ≤ 50 chars, "block_id"?: ≤ 255,
     "chart": {"type": "bar" | "line" | "area",
               "series": [1–6 × {"name": ≤ 20 chars, unique,
                                 "data": [1–20 × {"label": ≤ 20 chars, "value": number}]}],
               "axis_config": {"categories": [≤ 20 × ≤ 20 chars, unique],
                               "x_label"?: ≤ 50, "y_label"?: ≤ 50}}
              | {"type": "pie", "segments": [1–6 × {"label": ≤ 20, "value": number > 0}]}}

    Every series' labels are exactly the categories. At most two data_visualization blocks in
    one message (CopilotKit's check, after Slack's guidance).

    {"type": "data_table", "caption": str, "block_id"?: ≤ 255, "page_size"?: 1–100 (5),
     "row_header_column_index"?: ≥ 0 (0),
     "rows": [2–101 rows: a header row then 1–100 rows, all of one length, 1–20 cells]}
    A cell: {"type": "raw_text", "text": ≥ 1 char} | {"type": "raw_number", "value": number,
    "text"?: ≥ 1 char} | a rich_text block (not in the header row). The characters of all the
    cells of a table, and of all the tables of a message together, are at most 10,000. A column
    whose cells are all raw_number sorts numerically, any other alphabetically.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.blocks.mrkdwn import shorten
from bot.i18n import Translator

# data_visualization
MAX_CHART_TITLE = 50
MAX_CHART_LABEL = 20  # a category, a data point's label, a series' name, a segment's label
MAX_AXIS_LABEL = 50
MAX_SERIES = 6
MAX_CATEGORIES = 20  # and data points in a series
MAX_CHARTS_PER_MESSAGE = 2
# data_table
MAX_TABLE_ROWS = 100  # besides the header row
MAX_TABLE_COLUMNS = 20
MAX_TABLE_PAGE_SIZE = 100
MAX_TABLE_CHARACTERS = 10_000  # across every cell of every table in a message


def chart_label(text: str) -> str:
    """A category, data point label or series name, cut to the 20 characters Slack allows."""
    return shorten(text, MAX_CHART_LABEL)


def unique_labels(labels: Sequence[str]) -> list[str]:
    """`labels` cut to fit, each made unique (Slack matches points to categories by label):
    a label that repeats one before it ends in its position instead."""
    seen: set[str] = set()
    found = []
    for i, label in enumerate(labels, start=1):
        label = chart_label(label)
        if label in seen:
            suffix = f" #{i}"
            label = shorten(label, MAX_CHART_LABEL - len(suffix)) + suffix
        seen.add(label)
        found.append(label)
    return found


def spread_out(days: Sequence[date], most: int = MAX_CATEGORIES) -> list[int]:
    """The indexes of at most `most` of `days`, evenly spread, the first and last kept."""
    if len(days) <= most:
        return list(range(len(days)))
    return sorted({round(i * (len(days) - 1) / (most - 1)) for i in range(most)})


def day_labels(days: Sequence[date], t: Translator) -> list[str]:
    """A chart's labels for `days`: `Dec 3`, or the ISO date when the days span years."""
    if len({d.year for d in days}) > 1:
        return [d.isoformat() for d in days]
    return [t.month_day(d) for d in days]


def xy_chart(
    kind: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    x_label: str | None = None,
    y_label: str | None = None,
    block_id: str | None = None,
) -> dict:
    """A bar, line or area chart: `series` are (name, one value per category). Callers keep
    within 20 categories and 6 series (an error otherwise: which to drop is theirs to say);
    titles, names and labels are cut here."""
    assert kind in ("bar", "line", "area"), kind
    assert 1 <= len(categories) <= MAX_CATEGORIES, len(categories)
    assert 1 <= len(series) <= MAX_SERIES, len(series)
    labels = unique_labels(categories)
    names = unique_labels([name for name, _ in series])
    axis: dict = {"categories": labels}
    if x_label:
        axis["x_label"] = shorten(x_label, MAX_AXIS_LABEL)
    if y_label:
        axis["y_label"] = shorten(y_label, MAX_AXIS_LABEL)
    block: dict = {
        "type": "data_visualization",
        "title": shorten(title, MAX_CHART_TITLE),
        "chart": {
            "type": kind,
            "series": [
                {
                    "name": name,
                    "data": [
                        {"label": label, "value": value}
                        for label, value in zip(labels, values, strict=True)
                    ],
                }
                for name, (_, values) in zip(names, series, strict=True)
            ],
            "axis_config": axis,
        },
    }
    if block_id:
        block["block_id"] = block_id
    return block


def text_cell(text: str, limit: int) -> dict:
    """A raw_text cell: plain text, shown as typed (never parsed as mrkdwn), at most `limit`
    characters, never empty."""
    return {"type": "raw_text", "text": shorten(text, limit) or "—"}


def number_cell(value: float, text: str) -> dict:
    """A raw_number cell: sorted by `value`, shown as `text` (formatted for the reader)."""
    return {"type": "raw_number", "value": value, "text": text or "—"}


def cell_characters(cell: dict) -> int:
    """What a cell counts toward the 10,000 characters of a table: its text, and a number's
    digits when it shows none."""
    if cell.get("type") == "raw_number":
        return len(cell.get("text") or str(cell.get("value", "")))
    return len(cell.get("text", ""))


def data_table(
    caption: str,
    header: Sequence[str],
    rows: Sequence[Sequence[dict]],
    *,
    page_size: int = 10,
    block_id: str | None = None,
) -> dict:
    """A data_table of `rows` under `header` (raw_text cells). Callers keep within 100 rows
    and 10,000 characters; an empty table is not a block Slack takes."""
    assert 1 <= len(rows) <= MAX_TABLE_ROWS, len(rows)
    assert 1 <= len(header) <= MAX_TABLE_COLUMNS
    assert all(len(row) == len(header) for row in rows)
    block: dict = {
        "type": "data_table",
        "caption": caption,
        "page_size": max(1, min(page_size, MAX_TABLE_PAGE_SIZE, len(rows))),
        "rows": [[text_cell(h, 200) for h in header], *[list(row) for row in rows]],
    }
    if block_id:
        block["block_id"] = block_id
    return block

"""Slack's published limits for messages, Block Kit and views, checked on the JSON Slack gets;
and the check that no user text turns into a mention, broadcast or link.

slack_sdk's models enforce some of these when a builder calls ``to_dict()`` (section text,
header text, button text, modal title…) but not all: not plain_text_input's ``max_length``,
unique action_ids within a block, unique block_ids in a message, section fields' text, a
context's elements, private_metadata of a built View, nor the length of a message's
top-level ``text``. Limits from docs.slack.dev's Block Kit reference (blocks, elements,
composition objects, views) and chat.postMessage's ``text`` (40,000, 4,000 advised).

slack_sdk has no models at all for the `data_visualization` and `data_table` blocks: their
shapes and limits, with sources, are in bot/blocks/charts.py's docstring; they are checked
here independently of it (a chart's title, labels, series and categories; a table's rows,
columns, cells and characters; at most two charts and 10,000 table characters a message).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_TEXT = 40_000  # Slack truncates a message's text beyond this
ADVISED_TEXT = 4_000  # what Slack advises; every reply and ack must stay within it
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # a modal or the Home tab
MAX_ID = 255  # action_id, block_id, callback_id
MAX_TEXT = 3000  # a section's text, any mrkdwn or plain_text object unless said otherwise
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_OPTIONS = 100
MAX_OPTION_GROUPS = 100
MAX_PLACEHOLDER = 150
MAX_LABEL = 2000  # an input block's label and hint
MAX_INPUT_LENGTH = 3000  # plain_text_input's max_length, min_length and initial_value
MAX_VIEW_TITLE = 24  # a modal's title, submit and close
MAX_PRIVATE_METADATA = 3000
# data_visualization
MAX_CHART_TITLE = 50
MAX_CHART_LABEL = 20  # categories, data points' labels, series' names, segments' labels
MAX_AXIS_LABEL = 50
MAX_CHART_SERIES = 6  # and a pie's segments
MAX_CHART_POINTS = 20  # categories, and data points in a series
MAX_CHARTS = 2  # data_visualization blocks in one message
# data_table
MAX_TABLE_ROWS = 101  # the header row and 100 more
MAX_TABLE_COLUMNS = 20
MAX_TABLE_PAGE_SIZE = 100
MAX_TABLE_CHARACTERS = 10_000  # across a table's cells, and across a message's tables


def as_dict(item: Block | View | dict) -> dict:
    return item.to_dict() if isinstance(item, (Block, View)) else item


def _text(obj: dict | None) -> str:
    return (obj or {}).get("text", "")


def _at_most(what: str, value: str | Sequence[Any], limit: int) -> None:
    assert len(value) <= limit, f"{what}: {len(value)} > {limit} ({str(value)[:80]!r}…)"


def _non_empty_text(what: str, obj: dict | None) -> None:
    assert obj and obj.get("text", "").strip(), f"{what} has no text: {obj!r}"


def _check_option(option: dict) -> None:
    _non_empty_text("option", option.get("text"))
    _at_most("option text", _text(option.get("text")), MAX_OPTION_TEXT)
    _at_most("option value", option.get("value", ""), MAX_OPTION_VALUE)


def _check_element(element: dict) -> None:
    kind = element.get("type")
    if "action_id" in element:
        _at_most("action_id", element["action_id"], MAX_ID)
    if "placeholder" in element:
        _at_most("placeholder", _text(element["placeholder"]), MAX_PLACEHOLDER)
    if kind == "button":
        _non_empty_text("button", element.get("text"))
        _at_most("button text", _text(element["text"]), MAX_BUTTON_TEXT)
        _at_most("button value", element.get("value", ""), MAX_BUTTON_VALUE)
        _at_most("button url", element.get("url", ""), MAX_BUTTON_URL)
    elif kind in ("static_select", "multi_static_select"):
        options = element.get("options") or []
        groups = element.get("option_groups") or []
        _at_most("options", options, MAX_OPTIONS)
        _at_most("option_groups", groups, MAX_OPTION_GROUPS)
        for group in groups:
            _at_most("option group label", _text(group.get("label")), MAX_OPTION_TEXT)
            _at_most("options in a group", group.get("options", []), MAX_OPTIONS)
            options = [*options, *group.get("options", [])]
        for option in options:
            _check_option(option)
    elif kind == "plain_text_input":
        for key in ("max_length", "min_length"):
            if key in element:
                assert 0 <= element[key] <= MAX_INPUT_LENGTH, f"{key} {element[key]}"
        _at_most("initial_value", element.get("initial_value", ""), MAX_INPUT_LENGTH)


def _number(what: str, value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    assert ok, f"{what} is not a number: {value!r}"
    return value


def _count(what: str, items: Any, low: int, high: int) -> list:
    assert isinstance(items, list), f"{what} is not a list: {items!r}"
    assert low <= len(items) <= high, f"{what}: {len(items)} not within {low}–{high}"
    return items


def _label(what: str, value: Any, limit: int) -> str:
    assert isinstance(value, str) and value.strip(), f"{what} is empty: {value!r}"
    _at_most(what, value, limit)
    return value


def _check_chart(block: dict) -> None:
    _label("chart title", block.get("title"), MAX_CHART_TITLE)
    chart = block.get("chart")
    assert isinstance(chart, dict), f"a data_visualization without a chart: {block}"
    kind = chart.get("type")
    if kind == "pie":
        for segment in _count("pie segments", chart.get("segments"), 1, MAX_CHART_SERIES):
            _label("segment label", segment.get("label"), MAX_CHART_LABEL)
            assert _number("segment value", segment.get("value")) > 0, segment
        return
    assert kind in ("bar", "line", "area"), f"chart type {kind!r}"
    axis = chart.get("axis_config")
    assert isinstance(axis, dict), f"a {kind} chart without axis_config"
    categories = _count("categories", axis.get("categories"), 1, MAX_CHART_POINTS)
    for category in categories:
        _label("category", category, MAX_CHART_LABEL)
    assert len(set(categories)) == len(categories), f"repeated categories: {categories}"
    for key in ("x_label", "y_label"):
        if key in axis:
            _label(key, axis[key], MAX_AXIS_LABEL)
    series = _count("series", chart.get("series"), 1, MAX_CHART_SERIES)
    names = [_label("series name", s.get("name"), MAX_CHART_LABEL) for s in series]
    assert len(set(names)) == len(names), f"repeated series names: {names}"
    for each in series:
        points = _count("data points", each.get("data"), 1, MAX_CHART_POINTS)
        labels = [_label("data point label", p.get("label"), MAX_CHART_LABEL) for p in points]
        for point in points:
            _number("data point value", point.get("value"))
        assert sorted(labels) == sorted(categories), (
            f"series {each.get('name')!r}: labels {labels} are not the categories {categories}"
        )


def table_characters(block: dict) -> int:
    """The characters a data_table's cells count toward Slack's 10,000."""
    total = 0
    for row in block.get("rows", []):
        for cell in row:
            if cell.get("type") == "raw_number":
                total += len(cell.get("text") or str(cell.get("value")))
            elif cell.get("type") == "raw_text":
                total += len(cell.get("text", ""))
            else:
                total += sum(len(d.get("text", "")) for d in walk(cell) if d.get("type") == "text")
    return total


def _check_table(block: dict) -> None:
    assert isinstance(block.get("caption"), str), f"a data_table without a caption: {block}"
    rows = _count("table rows", block.get("rows"), 2, MAX_TABLE_ROWS)
    width = len(_count("table columns", rows[0], 1, MAX_TABLE_COLUMNS))
    for n, row in enumerate(rows):
        assert isinstance(row, list) and len(row) == width, f"row {n}: not {width} cells"
        for cell in row:
            kind = cell.get("type")
            if kind == "raw_text":
                assert isinstance(cell.get("text"), str) and cell["text"], f"empty cell row {n}"
            elif kind == "raw_number":
                _number(f"number cell in row {n}", cell.get("value"))
                if "text" in cell:
                    assert cell["text"], f"empty number text in row {n}"
            else:
                assert kind == "rich_text" and n > 0, f"cell type {kind!r} in row {n}"
    if "page_size" in block:
        page = block["page_size"]
        assert isinstance(page, int) and 1 <= page <= MAX_TABLE_PAGE_SIZE, f"page_size {page}"
    if "row_header_column_index" in block:
        index = block["row_header_column_index"]
        assert isinstance(index, int) and 0 <= index < width, f"row_header_column_index {index}"
    characters = table_characters(block)
    assert characters <= MAX_TABLE_CHARACTERS, f"table characters: {characters} > 10000"


def _check_block(block: dict) -> None:
    kind = block["type"]
    if "block_id" in block:
        _at_most("block_id", block["block_id"], MAX_ID)
    if kind == "section":
        assert "text" in block or "fields" in block, f"section without text: {block}"
        if "text" in block:
            _non_empty_text("section", block["text"])
            _at_most("section text", _text(block["text"]), MAX_TEXT)
        fields = block.get("fields") or []
        _at_most("section fields", fields, MAX_FIELDS)
        for field in fields:
            _at_most("section field", _text(field), MAX_FIELD_TEXT)
        if "accessory" in block:
            _check_element(block["accessory"])
    elif kind == "header":
        _non_empty_text("header", block["text"])
        _at_most("header text", _text(block["text"]), MAX_HEADER)
    elif kind == "context":
        _at_most("context elements", block["elements"], MAX_CONTEXT_ELEMENTS)
        for element in block["elements"]:
            if element.get("type") in ("mrkdwn", "plain_text"):
                _non_empty_text("context element", element)
                _at_most("context text", _text(element), MAX_TEXT)
    elif kind == "actions":
        elements = block["elements"]
        assert elements, "an actions block without elements"
        _at_most("actions elements", elements, MAX_ACTIONS_ELEMENTS)
        for element in elements:
            _check_element(element)
    elif kind == "input":
        _at_most("input label", _text(block["label"]), MAX_LABEL)
        _at_most("input hint", _text(block.get("hint")), MAX_LABEL)
        _check_element(block["element"])
    elif kind == "data_visualization":
        _check_chart(block)
    elif kind == "data_table":
        _check_table(block)
    action_ids = [e["action_id"] for e in _elements(block) if "action_id" in e]
    assert len(action_ids) == len(set(action_ids)), f"duplicate action_id in a block: {action_ids}"


def _elements(block: dict) -> list[dict]:
    return [
        *block.get("elements", []),
        *([block["accessory"]] if "accessory" in block else []),
        *([block["element"]] if "element" in block else []),
    ]


def check_blocks(blocks: Sequence[Block | dict], limit: int) -> list[dict]:
    """Every block within Slack's limits, block_ids unique; the blocks as JSON."""
    dicts = [as_dict(b) for b in blocks]
    _at_most("blocks", dicts, limit)
    for block in dicts:
        _check_block(block)
    ids = [d["block_id"] for d in dicts if "block_id" in d]
    assert len(ids) == len(set(ids)), f"duplicate block_id in {ids}"
    charts = [d for d in dicts if d["type"] == "data_visualization"]
    _at_most("data_visualization blocks", charts, MAX_CHARTS)
    tables = sum(table_characters(d) for d in dicts if d["type"] == "data_table")
    assert tables <= MAX_TABLE_CHARACTERS, f"characters of the tables: {tables} > 10000"
    return dicts


def check_message(
    text: str | None, blocks: Sequence[Block | dict] | None = None, *, reply: bool = False
) -> list[dict]:
    """A message (chat.postMessage, chat.update, respond, ack) within Slack's limits. A reply
    (an ack or ephemeral answer) keeps its text within the 4,000 characters Slack advises."""
    assert text or blocks, "a message needs text or blocks"
    _at_most("message text", text or "", ADVISED_TEXT if reply else MAX_MESSAGE_TEXT)
    return check_blocks(blocks or [], MESSAGE_BLOCKS)


def check_view(view: View | dict) -> dict:
    """A modal or Home tab within Slack's limits; the view as JSON."""
    data = as_dict(view)
    assert data["type"] in ("modal", "home")
    check_blocks(data["blocks"], VIEW_BLOCKS)
    assert data["blocks"], "a view needs blocks"
    _at_most("private_metadata", data.get("private_metadata", ""), MAX_PRIVATE_METADATA)
    _at_most("callback_id", data.get("callback_id", ""), MAX_ID)
    if data["type"] == "modal":
        _non_empty_text("modal title", data.get("title"))
        for key in ("title", "submit", "close"):
            _at_most(f"modal {key}", _text(data.get(key)), MAX_VIEW_TITLE)
    return data


# ---- what Slack parses as mrkdwn --------------------------------------------------------------


def walk(node: Any) -> Iterator[dict]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def mrkdwn_fields(text: str | None, blocks: Any = None) -> list[str]:
    """Everything Slack parses as mrkdwn: a message's top-level text, and every mrkdwn text
    object (section text and fields, context elements) in its blocks."""
    found = [text] if text else []
    dicts = [as_dict(b) for b in blocks or ()]
    found += [d["text"] for d in walk(dicts) if d.get("type") == "mrkdwn"]
    return found


# What Slack turns into a mention, a broadcast or a link: anything between < and >.
CONTROL = re.compile(r"<([^<>]*)>")
RAW_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")


def slack_link_url(url: str) -> str:
    """A URL as the bot writes it inside `<url|label>` (bot/blocks/mrkdwn.link)."""
    escaped = url.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "%7C")


def assert_no_injection(
    text: str,
    *,
    users: Collection[str] = (),
    channels: Collection[str] = (),
    urls: Collection[str] = (),
) -> None:
    """Every `<…>` in `text` is one the bot meant: a mention of one of `users`, a link to one
    of `channels`, or a link to one of `urls` (from a template); never a broadcast
    (`<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`) or anything else; and every `&`
    starts an entity."""
    links = {slack_link_url(u) for u in urls}
    for match in CONTROL.finditer(text):
        inner = match.group(1)
        if inner.startswith("@"):
            ok = inner[1:] in users
        elif inner.startswith("#"):
            ok = inner[1:] in channels
        else:
            ok = inner.split("|", 1)[0] in links
        assert ok, f"{match.group()!r} is not the bot's own, in {text!r}"
    leftover = CONTROL.sub("", text)
    assert "<" not in leftover and ">" not in leftover, f"unescaped < or > in {text!r}"
    assert not RAW_AMPERSAND.search(text), f"unescaped & in {text!r}"

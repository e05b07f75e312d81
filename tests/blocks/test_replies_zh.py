"""Replies built in zh-CN keep no English sentence (archive, export, posting failures)."""

from __future__ import annotations

from types import SimpleNamespace

from bot.blocks import replies
from bot.i18n import translator
from tests.i18n_checks import english_sentences

ZH = translator("zh-CN")
APP = SimpleNamespace(name="Acme POS", slug="acme-pos", channel_id="C1")


def test_archive_export_and_failures_are_chinese() -> None:
    texts = [
        replies.archived(APP, ZH),
        replies.unarchived(APP, 1, ZH),
        replies.unarchived(APP, 3, ZH),
        replies.checklist_not_posted("not_in_channel", ZH),
        replies.export_started(APP, "csv", True, ZH),
        replies.export_started(APP, "csv", False, ZH),
        replies.export_comment(APP, "U1", ZH),
        replies.export_not_uploaded("not_in_channel", ZH),
    ]
    for text in texts:
        assert english_sentences(text, ("Acme POS", "acme-pos", "CSV")) == [], text

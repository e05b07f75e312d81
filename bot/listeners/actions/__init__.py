from bot.listeners.actions import (
    announce,
    checklist,
    fold,
    history,
    new_app,
    reminders,
    step_menu,
)


def register(app, runtime, followups) -> None:
    for module in (checklist, fold, step_menu, history, reminders, announce, new_app):
        module.register(app, runtime, followups)

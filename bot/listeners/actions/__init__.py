from bot.listeners.actions import announce, checklist, fold, history, reminders, step_menu


def register(app, runtime, followups) -> None:
    for module in (checklist, fold, step_menu, history, reminders, announce):
        module.register(app, runtime, followups)

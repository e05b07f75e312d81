"""Running Onboard's data over time: workspaces that leave, people who ask to be forgotten,
backups. The deleting itself is storage/lifecycle.py; the operator's verbs are cli.py."""

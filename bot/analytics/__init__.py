"""Portfolio analytics: how long integrations take, where they wait, and whether that improves.

- `figures.py`: the report's figures as plain frozen data, shared by the Slack surfaces, the
  CLI export and the digest's burn-up; nothing here knows of Slack.
"""

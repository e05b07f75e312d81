"""Watching Onboard run: Prometheus metrics (`metrics`, `database`), `/metrics` and `/readyz`
(`http`), how a Slack request is counted (`requests`) and the log format (`logs`)."""

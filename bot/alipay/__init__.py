"""Alipay's side of things: RSA keys as the Developer Center takes them, and request signatures."""

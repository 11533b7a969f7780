"""A line-based channel that exists only in the tests: "SENDER: text" lines in, "TO SENDER:
text" lines out. It shows what adding a channel takes: this package, and one line that
registers its FEATURE (the tests do it with monkeypatch; a real channel adds it to
gateway/features.py)."""

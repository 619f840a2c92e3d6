"""简报问答: the asking side (question analysis, answers, the CLI and the Telegram bot)."""

__version__ = "0.1.0"

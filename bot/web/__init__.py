"""The web room: `bulletin web`, a page to ask in, manage bulletins and see usage, beside the Telegram bot."""

"""The Telegram room: `bulletin serve`, the bot's handlers, its messages, its 👍/👎 buttons and its fair turns."""

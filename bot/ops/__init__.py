"""The operations room: settings, the long-running Service the bot and the site share, health, backups and restore."""

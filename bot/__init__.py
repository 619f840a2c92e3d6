"""简报问答, the asking side: answering/ (the core), telegram/ and web/ (the adapters), ops/ (settings, the shared
service, usage, health, backups), tools/ (developer tools), and the command line (cli, chat)."""

__version__ = "0.1.0"

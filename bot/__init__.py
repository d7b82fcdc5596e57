"""The Telegram bot's conversation: bind a chat, subscribe by keyboard, see what is due, mark done."""

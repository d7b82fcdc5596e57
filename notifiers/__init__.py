"""Reminder channels (one module per channel); built in a later issue."""

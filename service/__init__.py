"""What the whole service shares and no single feature owns: redaction of secrets, logging setup."""

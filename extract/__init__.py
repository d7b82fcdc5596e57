"""Drafting a rules file from a policy document: ``python main.py extract`` (docs/extract.md).

Modules by concern: text (reading, normalising), clauses (layout), numerals, patterns (the
table of schedule patterns), duties (sentences to duties), units, draft (rules YAML),
diff (--against), evaluate (precision and recall on hand labels), cli (the command).
"""

__all__: list[str] = []

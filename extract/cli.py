"""The ``extract`` command: a policy document in, a draft rules file (and a yearly diff) out.

main.py registers it with one line, ``add_parser(sub, common)``. Exit codes: 0 done;
2 when the document, the --against rules or the --out path cannot be used (one
``error:`` line naming the file and the fix, never a traceback). What a person reads (the
summary, the errors, the draft's comment and review reasons, the --against report) is in
``--lang``, Chinese by default.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from extract.diff import compare, render
from extract.draft import build_rules, doc_id_from, header_lines, to_yaml
from extract.duties import extract
from extract.text import DEFAULT_MAX_MB, UnreadableInput, read_document
from i18n import N_, Language, language, tr
from i18n.arguments import said
from i18n.phrase import say
from obligations.errors import ValidationFailed
from obligations.loader import load_rules


def _error(lang: Language, message: str) -> int:
    print(tr(lang, "cli.error", text=message), file=sys.stderr)
    return 2


def cmd_extract(args: argparse.Namespace) -> int:
    """Draft a rules file from a policy document (UTF-8/GB18030 text, .docx or .html).

    Every duty with a time expression (每年至少…, 3月1日前, 第一季度, 年底前 …) or a vague
    periodic word (定期, 常态化, 及时, 适时: drafted unscheduled) becomes an obligation
    quoting its exact words; uncertain ones are marked review: true. With --against, also
    report what is new, changed or gone compared with the rules in force.
    """
    lang = language(getattr(args, "lang", None))
    path = Path(args.file)
    try:
        text = read_document(path, args.file, args.max_mb or None)
    except UnreadableInput as exc:
        return _error(lang, say(exc.args[0], lang))
    doc_name = args.doc_name or path.stem
    doc_id = doc_id_from(doc_name)
    extraction = extract(text)
    data = build_rules(extraction, doc_id, doc_name)
    yaml_text = to_yaml(data, header_lines(extraction, path.name, data, lang), lang)

    report = None
    if args.against:
        against = Path(args.against)
        if not against.is_file():
            return _error(lang, tr(lang, "extract.cli.against_missing", file=args.against))
        try:
            rules = load_rules([against])
        except ValidationFailed as exc:
            return _error(lang, tr(lang, "extract.cli.against_invalid", file=args.against, count=len(exc.problems)))
        report = render(compare(data, extraction, rules), args.against, lang)

    if args.out:
        out = Path(args.out)
        try:
            out.write_text(yaml_text, encoding="utf-8")
        except OSError as exc:
            return _error(lang, tr(lang, "extract.cli.cannot_write", file=args.out, error=exc.strerror or exc))
        print(tr(lang, "extract.cli.wrote", file=args.out, duties=len(data["obligations"]),
                 review=sum(1 for ob in data["obligations"] if ob.get("review"))), file=sys.stderr)
    if report is not None:
        sys.stdout.write(report)
    elif not args.out:
        sys.stdout.write(yaml_text)
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    """Register ``extract`` on main.py's subcommands."""
    p = sub.add_parser("extract", parents=[common], help=N_("cli.help.extract"), description=N_("cli.about.extract"))
    p.add_argument("file", metavar="FILE", help=N_("cli.help.extract.file"))
    p.add_argument("--out", metavar="PATH", help=N_("cli.help.extract.out"))
    p.add_argument("--doc-name", metavar="NAME", help=N_("cli.help.extract.doc_name"))
    p.add_argument("--against", metavar="PATH", help=N_("cli.help.extract.against"))
    p.add_argument("--max-mb", type=_megabytes, default=DEFAULT_MAX_MB, metavar="MB",
                   help=N_("cli.help.extract.max_mb"))
    p.set_defaults(func=cmd_extract)


def _megabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not text.isascii() or not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(said(N_("cli.not_megabytes"), text=repr(text)))
    return value


__all__ = ["add_parser", "cmd_extract"]

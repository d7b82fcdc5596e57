"""Reading a policy document and giving it a searchable twin of the same length.

Every pattern runs on ``SourceText.norm``: full-width ASCII folded to ASCII, odd spaces
made plain, traditional characters mapped to simplified ones. The mapping is one
character for one character, so an offset found in ``norm`` is the same offset in
``original`` and every quote is cut from the original text, in its original script
(於 stays 於 in the quote while the patterns see 于).
"""

from __future__ import annotations

import html.parser
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

from opencc import OpenCC

from i18n import N_
from i18n.phrase import Phrase, phrase


class UnreadableInput(Exception):
    """The input cannot be read as text; the message (a phrase: ``say(exc.args[0], lang)``) names the file
    and the fix."""


# The largest document ``extract`` reads, in MB of text (UTF-8); ``--max-mb`` changes it. A
# year's work plan is 20-60 KB; extraction takes about a second per MB and ~40 MB of memory
# per MB. The file itself may be larger by the markup of .html (4x) or .docx (8x, unpacked).
DEFAULT_MAX_MB = 5.0
_MARKUP = {".html": 4, ".htm": 4, ".xhtml": 4, ".docx": 8}


def _too_large(name: str, size: int, limit: int, what: Phrase, detail: str = "") -> UnreadableInput:
    return UnreadableInput(phrase(N_("extract.read.too_large"), "%(file)s: %(what)s is %(mb)s MB, over extract's "
                                  "limit of %(limit)s MB%(detail)s; split the document into parts, or raise the "
                                  "limit with --max-mb", file=name, what=what, mb=f"{size / 1024 / 1024:.1f}",
                                  limit=f"{limit / 1024 / 1024:g}", detail=detail))


def _markup(suffix: str, factor: int, max_mb: float) -> Phrase:
    return phrase(N_("extract.read.markup_limit"), " for a %(suffix)s file (%(factor)s x --max-mb %(mb)s)",
                  suffix=suffix, factor=factor, mb=f"{max_mb:g}")


@dataclass(frozen=True)
class SourceText:
    """A document's text: the original (quotes come from it) and its normalised twin."""

    name: str
    original: str
    norm: str
    encoding: str = "utf-8"

    def quote(self, start: int, end: int) -> str:
        return self.original[start:end]


# Spaces that scraped pages are full of (U+2002 in seed 003, NBSP, the ideographic space).
_SPACES = {"\u3000", "\xa0", "\u2002", "\u2003", "\u2009", "\u200b", "\t", "\ufeff"}


def _fold(ch: str) -> str:
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:  # full-width ASCII: （ ） ， ； ： ２ ...
        return chr(code - 0xFEE0)
    if ch in _SPACES:
        return " "
    return ch


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def simplify(text: str) -> str:
    """Traditional to simplified characters, keeping the length (and so every offset).

    OpenCC converts phrases as well as characters; a phrase that changes length would
    shift offsets, so such a line is converted one character at a time instead.
    """
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    out: list[str] = []
    for line in text.split("\n"):
        conv = _t2s().convert(line)
        if len(conv) != len(line):
            conv = "".join(c if len(c := _t2s().convert(ch)) == 1 else ch for ch in line)
        out.append(conv)
    return "\n".join(out)


def normalise(text: str) -> str:
    """The searchable twin of ``text``: same length, folded punctuation, simplified characters."""
    return simplify("".join(_fold(ch) for ch in text))


def from_string(text: str, name: str = "<text>", encoding: str = "utf-8") -> SourceText:
    """A :class:`SourceText` from text already in memory (line ends made ``\\n``)."""
    original = text.replace("\r\n", "\n").replace("\r", "\n")
    return SourceText(name, original, normalise(original), encoding)


# -- reading files ----------------------------------------------------------------------------


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise UnreadableInput(phrase(N_("extract.read.broken_utf16"), "%(file)s: broken UTF-16 text "
                                         "(%(reason)s at byte %(byte)s); save it as UTF-8 text", file=name,
                                         reason=exc.reason, byte=exc.start)) from None
    if b"\x00" in data[:4096]:
        raise UnreadableInput(phrase(N_("extract.read.binary"), "%(file)s: binary data, not text; save the "
                                     "document as UTF-8 text, .docx or .html", file=name))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        # GB18030 is a superset of GBK and GB2312, the encodings of older government sites.
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise UnreadableInput(phrase(N_("extract.read.not_text"), "%(file)s: neither UTF-8 nor GB18030 text "
                                     "(%(reason)s at byte %(byte)s); save it as UTF-8 text", file=name,
                                     reason=utf8_error.reason, byte=utf8_error.start)) from None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_text(data_path: Path, name: str, max_xml: int | None = None) -> str:
    try:
        with zipfile.ZipFile(data_path) as zf:
            info = zf.getinfo("word/document.xml")
            if max_xml is not None and info.file_size > max_xml:  # a zip bomb never gets unpacked
                raise _too_large(name, info.file_size, max_xml,
                                 phrase(N_("extract.read.its_xml"), "its unpacked text (word/document.xml)"),
                                 _markup(".docx", 8, max_xml / 8 / 1024 / 1024))
            xml = zf.read(info)
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise UnreadableInput(phrase(N_("extract.read.bad_docx"), "%(file)s: not a readable .docx file "
                                     "(%(error)s); save it again from Word, or as .txt", file=name,
                                     error=str(exc))) from None
    lines: list[str] = []
    for para in root.iter(f"{_W}p"):
        parts: list[str] = []
        for node in para.iter():
            if node.tag == f"{_W}t" and node.text:
                parts.append(node.text)
            elif node.tag == f"{_W}tab":
                parts.append(" ")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
        lines.append("".join(parts))
    return "\n".join(lines)


class _HtmlText(html.parser.HTMLParser):
    """Visible text of a page, one line per block element; scripts and styles dropped."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "section", "article", "table", "title", "td", "th", "ul", "ol", "dd", "dt"})
    HIDDEN = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data.replace("\n", " "))

    def text(self) -> str:
        lines = (line.strip() for line in "".join(self.parts).split("\n"))
        return "\n".join(line for line in lines if line)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w]+)""", re.IGNORECASE)


def _html_text(data: bytes, name: str) -> tuple[str, str]:
    declared = _META_CHARSET.search(data[:4096])
    text: str | None = None
    encoding = ""
    if declared:
        enc = declared.group(1).decode("ascii", "replace").lower()
        enc = "gb18030" if enc in {"gb2312", "gbk", "gb18030"} else enc
        try:
            text, encoding = data.decode(enc), enc
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text, encoding = _decode(data, name)
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    return parser.text(), encoding


def read_document(path: Path, name: str | None = None, max_mb: float | None = DEFAULT_MAX_MB) -> SourceText:
    """Read a .txt (UTF-8 or GB18030), .docx or .html document; raise :class:`UnreadableInput`.

    A document over ``max_mb`` MB of text (``None``: no limit) is refused, as is a file too
    large to hold that much text, before it is read.
    """
    display = name or str(path)
    if not path.exists():
        raise UnreadableInput(phrase(N_("extract.read.not_found"), "%(file)s: file not found; check the path",
                                     file=display))
    if path.is_dir():
        raise UnreadableInput(phrase(N_("extract.read.folder"), "%(file)s: is a folder; give one document file "
                                     "(.txt, .docx or .html)", file=display))
    suffix = path.suffix.lower()
    limit = int(max_mb * 1024 * 1024) if max_mb is not None else None
    try:
        if limit is not None:
            factor = _MARKUP.get(suffix, 1)
            size = path.stat().st_size
            if size > limit * factor:
                detail = _markup(suffix, factor, max_mb) if factor > 1 else ""
                what = (phrase(N_("extract.read.the_file"), "the file") if factor > 1
                        else phrase(N_("extract.read.the_document"), "the document"))
                raise _too_large(display, size, limit * factor, what, detail)
        if suffix == ".docx":
            text, encoding = _docx_text(path, display, limit * 8 if limit is not None else None), "docx"
        else:
            data = path.read_bytes()
            if suffix in {".html", ".htm", ".xhtml"}:
                text, encoding = _html_text(data, display)
            else:
                text, encoding = _decode(data, display)
    except OSError as exc:
        raise UnreadableInput(phrase(N_("extract.read.cannot_read"), "%(file)s: cannot read: %(error)s; check its "
                                     "permissions", file=display, error=str(exc.strerror or exc))) from None
    if not text.strip():
        raise UnreadableInput(phrase(N_("extract.read.no_text"), "%(file)s: the document has no text; check that "
                                     "it is the right file", file=display))
    if limit is not None and len(text) * 3 > limit and len(text.encode("utf-8", "surrogatepass")) > limit:
        raise _too_large(display, len(text.encode("utf-8", "surrogatepass")), limit,
                         phrase(N_("extract.read.its_text"), "its text"))
    return from_string(text, display, encoding)


__all__ = ["DEFAULT_MAX_MB", "SourceText", "UnreadableInput", "from_string", "normalise", "read_document", "simplify"]

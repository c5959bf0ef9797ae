"""Flow lexer: source text to a list of tokens with 1-based line and column.

Integer literals keep their exact value here; the parser checks the i32 range
because `-2147483648` is only legal when the minus sign applies to it.
"""
import re
import struct

from .errors import CompileError

KEYWORDS = {
    "fn", "buf", "const", "file", "var", "if", "else", "for", "in", "while",
    "return", "break", "continue", "i32", "f32",
}

# Longest first, so that `<<=`-style prefixes never split wrongly.
PUNCTUATION = [
    "->", "..", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "+=", "-=", "*=",
    "+", "-", "*", "/", "%", "<", ">", "!", "&", "|", "^", "~", "=",
    "(", ")", "{", "}", "[", "]", ",", ";", ":",
]

_NUMBER = re.compile(
    r"0[xX][0-9A-Za-z_]*"                      # hex (validated below)
    r"|[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?"      # 1.5, 1.5e3
    r"|[0-9]+[eE][+-]?[0-9]+"                   # 1e3
    r"|[0-9]+(?![.][0-9])[0-9A-Za-z_]*")        # decimal (letters caught below)
_HEX = re.compile(r"0[xX][0-9A-Fa-f]+$")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Token:
    __slots__ = ("kind", "text", "value", "line", "col")

    def __init__(self, kind, text, value, line, col):
        self.kind = kind      # "ident", "int", "float", "eof", a keyword or punctuation
        self.text = text
        self.value = value
        self.line = line
        self.col = col

    def describe(self):
        if self.kind == "eof":
            return "end of file"
        return f"'{self.text}'"

    def __repr__(self):
        return f"Token({self.kind!r}, {self.text!r}, {self.line}:{self.col})"


def f32_round(value):
    """Rounds a Python float to the nearest f32 (raises OverflowError past the range)."""
    return struct.unpack("<f", struct.pack("<f", value))[0]


def tokenize(source):
    tokens = []
    i = 0
    line = 1
    line_start = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c == "\n":
            i += 1
            line += 1
            line_start = i
            continue
        if c in " \t\r":
            i += 1
            continue
        if source.startswith("//", i):
            j = source.find("\n", i)
            i = n if j < 0 else j
            continue
        col = i - line_start + 1
        if c.isdigit():
            m = _NUMBER.match(source, i)
            text = m.group(0)
            tokens.append(_number_token(text, line, col))
            i = m.end()
            continue
        if c == '"':
            # A string literal: only a file item's path, so printable ASCII
            # on one line and no escapes.
            j = i + 1
            while j < n and source[j] != '"' and " " <= source[j] <= "~":
                j += 1
            if j >= n or source[j] != '"':
                raise CompileError("bad_string", line, col)
            tokens.append(Token("string", source[i:j + 1], source[i + 1:j], line, col))
            i = j + 1
            continue
        m = _IDENT.match(source, i)
        if m:
            text = m.group(0)
            kind = text if text in KEYWORDS else "ident"
            tokens.append(Token(kind, text, None, line, col))
            i = m.end()
            continue
        for p in PUNCTUATION:
            if source.startswith(p, i):
                tokens.append(Token(p, p, None, line, col))
                i += len(p)
                break
        else:
            raise CompileError("bad_char", line, col, char=c)
    tokens.append(Token("eof", "", None, line, i - line_start + 1))
    return tokens


def _number_token(text, line, col):
    if text[:2] in ("0x", "0X"):
        if not _HEX.match(text):
            raise CompileError("bad_number", line, col, text=text)
        value = int(text, 16)
        # A hex literal names a 32-bit pattern: 0xFFFFFFFF is -1.
        if value > 0xFFFFFFFF:
            raise CompileError("int_too_large", line, col, text=text)
        if value >= 1 << 31:
            value -= 1 << 32
        return Token("int", text, value, line, col)
    if "." in text or "e" in text or "E" in text:
        try:
            value = f32_round(float(text))
        except (OverflowError, ValueError):
            raise CompileError("float_range", line, col, text=text)
        if value == float("inf"):
            raise CompileError("float_range", line, col, text=text)
        return Token("float", text, value, line, col)
    if not text.isdigit():
        raise CompileError("bad_number", line, col, text=text)
    # Range-checked by the parser, which knows whether a minus sign precedes it.
    return Token("int", text, int(text), line, col)

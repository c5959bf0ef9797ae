"""The Flow syntax tree.

Every node carries the line and column of its first token. The checker fills
in `type` on expressions (a Type below) and `value` where an expression folds
to a constant, and `symbol` on names; codegen reads those annotations.
"""
from .spec import SPEC


class Type:
    """One of the five type codes of docs/module-format.md (microjit/spec.def)."""
    __slots__ = ("code", "name")

    def __init__(self, code, name):
        self.code = code
        self.name = name

    @property
    def is_view(self):
        return self.code in (VIEW_I32.code, VIEW_F32.code)

    @property
    def element(self):
        return {VIEW_I32.code: I32, VIEW_F32.code: F32}.get(self.code)

    def __repr__(self):
        return self.name


VOID = Type(*SPEC.types["Void"])
I32 = Type(*SPEC.types["I32"])
F32 = Type(*SPEC.types["F32"])
VIEW_I32 = Type(*SPEC.types["ViewI32"])
VIEW_F32 = Type(*SPEC.types["ViewF32"])


def view_of(element):
    return VIEW_I32 if element is I32 else VIEW_F32


class Node:
    def __init__(self, line, col, **fields):
        self.line = line
        self.col = col
        self.__dict__.update(fields)

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()
                           if k not in ("line", "col"))
        return f"{type(self).__name__}({fields})"


# --- items -------------------------------------------------------------------
class Module(Node):      # items
    pass


class Function(Node):    # name, params [Param], ret Type, body Block
    pass


class Param(Node):       # name, type
    pass


class BufItem(Node):     # name, element Type, count int
    pass


class ConstItem(Node):   # name, type, expr
    pass


class FileItem(Node):    # name, path (str or None)
    pass


# --- statements ----------------------------------------------------------------
class Block(Node):       # stmts
    pass


class VarDecl(Node):     # name, declared Type or None, expr
    pass


class Assign(Node):      # target (Name or Index), op ('=', '+=', '-=', '*='), expr
    pass


class If(Node):          # cond, then Block, orelse Block/If/None
    pass


class For(Node):         # var, lo, hi, body
    pass


class While(Node):       # cond, body
    pass


class Return(Node):      # expr or None
    pass


class Break(Node):
    pass


class Continue(Node):
    pass


class ExprStmt(Node):    # expr (a Call)
    pass


# --- expressions ---------------------------------------------------------------
class IntLit(Node):      # value
    pass


class FloatLit(Node):    # value
    pass


class Name(Node):        # name
    pass


class Unary(Node):       # op, operand
    pass


class Binary(Node):      # op, left, right
    pass


class Call(Node):        # name, args
    pass


class Index(Node):       # array (Name), index
    pass

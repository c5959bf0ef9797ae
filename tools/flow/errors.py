"""Compile errors and the table of every message flowc can print.

Each error is raised by key; MESSAGES maps the key to a message template.
Keeping the messages in one table lets tests/tools/test_flowc_errors.py check
that every one of them has a test that provokes it.
"""

MESSAGES = {
    # lexer
    "bad_char": "unexpected character {char!r}",
    "int_too_large": "integer literal {text} does not fit in i32",
    "bad_number": "malformed number {text!r}",
    "float_range": "float literal {text} is out of the f32 range",
    "bad_string": "a string must be printable ASCII, without '\"', on one line, "
                  "and end with '\"'",
    # parser
    "expected": "expected {what}, found {found}",
    "bad_item": "expected 'fn', 'buf', 'const' or 'file' at the top level, found {found}",
    "bad_path": "a file path must start with '/' and have 1 to 127 characters",
    "view_type_here": "array views ([i32], [f32]) are allowed only as parameter types",
    "not_statement": "only calls can be used as statements",
    "bad_assign_target": "can only assign to a variable or an element a[i]",
    # names
    "duplicate_item": "'{name}' is already declared at line {previous}",
    "builtin_name": "'{name}' is a builtin and cannot be redeclared",
    "name_too_long": "name '{name}' is longer than 31 characters",
    "shadow": "'{name}' is already declared in this scope or an enclosing one (line {previous})",
    "undefined": "undefined name '{name}'",
    "undefined_fn": "undefined function '{name}'",
    "not_a_value": "'{name}' is a {kind}, not a value",
    "not_a_function": "'{name}' is a {kind}, not a function",
    "assign_const": "cannot assign to {kind} '{name}'",
    "const_cycle": "constant '{name}' depends on itself",
    "const_not_constant": "the value of constant '{name}' is not a constant expression",
    "const_unfoldable": "the value of constant '{name}' is NaN or uses exp(), which are "
                        "computed only at run time",
    "buf_count": "buffer '{name}' must have 1 to 16777216 elements",
    "not_a_file": "argument 1 of '{name}' must be a file item (declared with 'file'), found {found}",
    "file_value": "file item '{name}' can only be passed to file_size, read_file or write_file",
    # types
    "type_mismatch": "operator '{op}' needs operands of the same type, found {left} and {right}",
    "bad_operand": "operator '{op}' cannot be applied to {type}",
    "expected_type": "expected {expected}, found {found}",
    "cond_type": "a condition must be i32, found {type}",
    "view_value": "array '{name}' can only be indexed, passed to len() or passed to a function",
    "not_indexable": "'{name}' is not an array",
    "view_arg": "argument {index} of '{name}' must be an array of type {expected}",
    "arg_count": "'{name}' takes {expected} argument(s), {found} given",
    "void_value": "function '{name}' returns nothing and cannot be used as a value",
    "return_value_void": "function '{name}' returns nothing, but 'return' has a value",
    "return_missing_value": "function '{name}' must return a value of type {type}",
    "missing_return": "function '{name}' can reach its end without returning a value",
    "break_outside": "'{word}' outside of a loop",
    "loop_var_assign": "cannot assign to loop variable '{name}'",
    # constant folding
    "const_div_zero": "division by zero",
    "const_overflow": "integer overflow in division (INT_MIN / -1)",
    "const_conversion": "conversion of {value} to i32 is NaN or out of range",
    # limits of the module format
    "too_many_regs": "function '{name}' needs more than 255 registers",
    "too_many_params": "function '{name}' has more than 16 parameters",
    "too_many_items": "too many {what} (the limit is {limit})",
    "code_too_large": "function '{name}' compiles to more than 65536 bytes of bytecode",
    "main_params": "function 'main' must take no parameters",
    "too_deep": "'{name}' is nested too deeply to compile",
    "no_functions": "a module needs at least one function",
}


class CompileError(Exception):
    """An error in the user's program, located at (line, col), both 1-based."""

    def __init__(self, key, line, col, **fields):
        self.key = key
        self.line = line
        self.col = col
        self.fields = fields
        self.message = MESSAGES[key].format(**fields)
        super().__init__(self.message)

    def render(self, filename, source):
        """`file:line:col: message`, the source line and a caret under the column."""
        lines = source.splitlines()
        text = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        # Tabs are kept so that the caret lines up in a terminal.
        pad = "".join("\t" if c == "\t" else " " for c in text[: max(self.col - 1, 0)])
        return f"{filename}:{self.line}:{self.col}: {self.message}\n{text}\n{pad}^"


def error_at(key, node_or_token, **fields):
    return CompileError(key, node_or_token.line, node_or_token.col, **fields)

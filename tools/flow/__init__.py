"""Flow: the compiler behind tools/flowc.py.

The pipeline is lexer -> parser (AST in nodes.py) -> checker (names, types,
constant folding) -> codegen (register bytecode) -> bfm (the binary module of
docs/module-format.md). text.py prints a module's bytecode for people, and
refeval.py runs it in Python as a reference for the tests.
"""

"""Reading one of microjit's .def lists (opcodes.def, spec.def), the single
sources that the C++ includes and flowc parses: the file's text, parsed once
per path by the list's own parser."""

_cache = {}


def load_def(path, parse, error, what):
    """parse(text, path) of the file at `path`, cached; an unreadable file
    raises error("cannot read WHAT PATH: reason")."""
    key = (path, parse)
    if key not in _cache:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise error(f"cannot read {what} {path}: {exc.strerror}")
        _cache[key] = parse(text, path)
    return _cache[key]

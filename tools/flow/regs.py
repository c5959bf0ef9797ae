"""Register allocation for one function.

Registers have one fixed type each (the register-type area of a .bfm), so a
freed register goes back to the free list of its own type and is reused only
for a value of that type. Parameters are registers 0..n-1; locals keep their
register until their block ends; temporaries are freed as soon as their value
has been consumed. Calls need their arguments in consecutive registers, which
alloc_block finds among free registers of the right types or appends.
"""
from .spec import SPEC

MAX_REGISTERS = SPEC.bfm["max_registers"]  # reg_count is at most 255; 255 also means "no result" in CALL


class TooManyRegisters(Exception):
    pass


class RegisterFile:
    def __init__(self):
        self.types = []        # type code per register
        self.free = set()
        self.temps = set()

    def _new(self, type_code):
        if len(self.types) >= MAX_REGISTERS:
            raise TooManyRegisters()
        self.types.append(type_code)
        return len(self.types) - 1

    def fixed(self, type_code):
        """A register that lives for the whole function (parameters, buffer views)."""
        return self._new(type_code)

    def local(self, type_code):
        candidates = [r for r in self.free if self.types[r] == type_code]
        if candidates:
            r = min(candidates)
            self.free.discard(r)
            return r
        return self._new(type_code)

    def temp(self, type_code):
        r = self.local(type_code)
        self.temps.add(r)
        return r

    def done(self, r):
        """Frees `r` if it is a temporary; locals and parameters are left alone."""
        if r in self.temps:
            self.temps.discard(r)
            self.free.add(r)

    def release(self, r):
        self.temps.discard(r)
        self.free.add(r)

    def alloc_block(self, type_codes):
        """`len(type_codes)` consecutive registers with those types; returns the first."""
        n = len(type_codes)
        count = len(self.types)
        for base in range(count + 1):
            ok = True
            for k in range(n):
                r = base + k
                if r < count and (r not in self.free or self.types[r] != type_codes[k]):
                    ok = False
                    break
            if ok:
                if base + n > MAX_REGISTERS:
                    raise TooManyRegisters()
                for k in range(n):
                    r = base + k
                    if r < count:
                        self.free.discard(r)
                    else:
                        self._new(type_codes[k])
                    self.temps.add(r)
                return base
        raise AssertionError("unreachable: appending always fits")

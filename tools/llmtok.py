#!/usr/bin/env python3
"""llmtok: write a tokenizer in llama2.c's tokenizer.bin format.

The file is an i32 max_token_length, then for each of vocab_size tokens an
f32 score, an i32 length and that many bytes (no NUL). The layout follows
Llama's: token 0 "<unk>", 1 "\\n<s>\\n" (BOS), 2 "\\n</s>\\n" (EOS), 3..258 the
byte tokens "<0x00>".."<0xFF>" (score 0), then merged tokens, then the single
characters. From id 259 on the score is -(id - 259): the earlier a merge, the
higher its score. The space is a plain " " (" the", not Llama's U+2581).

Merges come from byte-pair counting over a small built-in English text, split
into words that carry their leading space; the most frequent adjacent pair is
merged first (ties: the smaller concatenation, then the smaller left part, by
bytes). When the text has no pairs left and the vocabulary asks for more,
further merges join two existing tokens picked by a seeded generator, so any
size from MIN_VOCAB up to 32000 and beyond can be written. --seed only changes
those synthesized merges.

  llmtok.py --vocab 32000 -o tokenizer.bin
  llmtok.py --small -o small.bin      # the fixed hand-sized tokenizer of the unit tests
"""
import argparse
import random
import re
import struct
import sys

TEXT = (
    "Once upon a time, there was a little girl named Lily. She lived in a small house near the "
    "woods with her mother and her old dog, Max. Every morning Lily went outside to play in the "
    "sun. She liked to run after the birds and look at the flowers. One day, she saw a big red "
    "ball under a tree. \"Mom, can I keep the ball?\" she asked. Her mother smiled and said, "
    "\"Yes, but you must share it with your friends.\" Lily was very happy. She took the ball to "
    "the park and played with Tom and Sue. They kicked the ball high into the sky and laughed. "
    "When the sun went down, the children were tired. They said goodbye and went home. That "
    "night Lily told her mother about the fun day. Her mother gave her a warm hug and a glass "
    "of milk. Lily went to bed and dreamed about the red ball. The next day it was raining, so "
    "Lily and Max stayed inside. They made a little boat out of paper and watched it float in "
    "a bowl of water. Lily learned that you can have fun on a rainy day too. Once upon a time, "
    "in a land far away, there lived a kind old king who loved his people. He wanted everyone "
    "to be happy and safe. The end."
)

SPECIAL = [b"<unk>", b"\n<s>\n", b"\n</s>\n"]
BYTE_BASE = 3
FIRST_FREE = BYTE_BASE + 256
WORD = re.compile(r" ?[A-Za-z]+| ?[0-9]+| ?[^A-Za-z0-9 ]| ")


def characters(text=TEXT):
    """The single characters of the text (UTF-8 encoded), in byte order."""
    return sorted({ch.encode("utf-8") for ch in text if ch != "\n"})


MIN_VOCAB = FIRST_FREE + len(characters())


def text_merges(text=TEXT):
    """Every merge byte-pair counting finds in text, in order."""
    counts = {}
    for w in WORD.findall(text):
        key = tuple(ch.encode("utf-8") for ch in w)
        counts[key] = counts.get(key, 0) + 1
    merges, seen = [], set()
    while True:
        pairs = {}
        for word, n in counts.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + n
        if not pairs:
            return merges
        (a, b), _ = min(pairs.items(), key=lambda kv: (-kv[1], kv[0][0] + kv[0][1], kv[0][0]))
        merged = a + b
        if merged not in seen:
            seen.add(merged)
            merges.append(merged)
        new_counts = {}
        for word, n in counts.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            key = tuple(out)
            new_counts[key] = new_counts.get(key, 0) + n
        counts = new_counts


def pieces(vocab, seed=0):
    """[(bytes, score)] for a vocabulary of exactly vocab tokens."""
    chars = characters()
    if vocab < MIN_VOCAB:
        raise ValueError(f"vocab {vocab} is below the minimum {MIN_VOCAB} (specials, 256 bytes, {len(chars)} characters)")
    want = vocab - FIRST_FREE - len(chars)
    merges = text_merges()[:want]
    known = set(merges) | set(chars)
    pool = chars + merges
    rng = random.Random(seed)
    while len(merges) < want:
        a, b = pool[rng.randrange(len(pool))], pool[rng.randrange(len(pool))]
        merged = a + b
        if len(merged) > 16 or merged in known:
            continue
        known.add(merged)
        merges.append(merged)
        pool.append(merged)
    out = [(s, 0.0) for s in SPECIAL]
    out += [(b"<0x%02X>" % i, 0.0) for i in range(256)]
    for s in merges + chars:
        out.append((s, -float(len(out) - FIRST_FREE)))
    return out


def small():
    """A hand-sized tokenizer for unit tests: specials, bytes, then these pieces.

    Scores decide the merge order: "ab" (-1) beats "bc" (-2); "cd" and "de"
    tie (-3); "é" is in the vocabulary, "ü" is not.
    """
    merged = [(b"ab", -1.0), (b"bc", -2.0), (b"cd", -3.0), (b"de", -3.0), (b"abc", -4.0),
              (b" a", -5.0), (b" ab", -6.0), (b"hi", -7.0)]
    chars = [(c.encode("utf-8"), -100.0) for c in " abcdehi!\u00e9"]
    return ([(s, 0.0) for s in SPECIAL] + [(b"<0x%02X>" % i, 0.0) for i in range(256)]
            + merged + chars)


def encode_file(toks):
    """The tokenizer.bin bytes for [(bytes, score)]."""
    out = [struct.pack("<i", max(len(s) for s, _ in toks))]
    for s, score in toks:
        out.append(struct.pack("<fi", score, len(s)) + s)
    return b"".join(out)


def write(path, toks):
    data = encode_file(toks)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vocab", type=int, help=f"number of tokens, at least {MIN_VOCAB}; must match the checkpoint's |vocab_size|")
    ap.add_argument("--seed", type=int, default=0, help="seed for the merges synthesized beyond the text's own")
    ap.add_argument("--small", action="store_true", help=f"the fixed unit-test tokenizer ({len(small())} tokens)")
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args(argv)
    if args.small == (args.vocab is not None):
        ap.error("give exactly one of --vocab N and --small")
    try:
        toks = small() if args.small else pieces(args.vocab, args.seed)
    except ValueError as exc:
        print(f"llmtok: {exc}", file=sys.stderr)
        return 1
    write(args.output, toks)
    return 0


if __name__ == "__main__":
    sys.exit(main())

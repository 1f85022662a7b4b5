"""The procedural drawings of the built-in corpus: one drawer per class, deterministic.

``render(label, seed)`` draws one piece of a class; the same seed gives the same piece.
Pieces are printable ASCII plus newline with no trailing spaces; a random left offset
shifts some of them sideways (the split rule in ``studio.train.corpus`` ignores it).
"""

from __future__ import annotations

import hashlib
import random
from typing import Callable, Iterable

from studio.errors import StudioError


def _tidy(lines: Iterable[str], offset: int = 0) -> str:
    pad = " " * offset
    rows = [(pad + line).rstrip() for line in lines]
    while rows and not rows[0].strip():
        rows.pop(0)
    while rows and not rows[-1].strip():
        rows.pop()
    # drop the common left margin beyond the intended offset
    margin = min(len(r) - len(r.lstrip(" ")) for r in rows if r.strip())
    cut = max(0, margin - offset)
    return "\n".join(r[cut:] for r in rows)


# -- group A ---------------------------------------------------------------------


def _cat(r: random.Random) -> list[str]:
    eyes = r.choice(["o.o", "^.^", "-.-", "O.O", "o_o", "=.=", "@.@", "*.*"])
    whisk = r.choice([(">", "<"), ("=", "="), ("-", "-")])
    head = [" /\\_/\\ ", f"( {eyes} )", f" {whisk[0]} ^ {whisk[1]} "]
    body = r.choice(
        [
            [],
            ["/     \\", "(|   |)", " ^^ ^^ "],
            [" /   \\  ", "(     )~", ' "" ""  '],
            ["  | |   ", " (_|_)_/"],
        ]
    )
    lines = head + body
    if r.random() < 0.3:
        lines.append(r.choice(["  meow", " purr..", "   zz"]))
    return lines


def _fish(r: random.Random) -> list[str]:
    size = r.randint(1, 3)
    body = "(" * size
    eye = r.choice(["o", "*", "O", "@", "."])
    fish = r.choice([f"><{body}{eye}>", f"<{eye}{')' * size}><", f"}}<{body[:1]}{eye}>"])
    lines = []
    count = r.randint(1, 3)
    for i in range(count):
        lines.append(" " * r.randint(0, 12) + (f"><{'(' * r.randint(1, 3)}{r.choice('o*O@.')}>" if i else fish))
    if r.random() < 0.5:
        lines.insert(0, " " * r.randint(2, 14) + r.choice(["o", "O", "o  .", ". o"]))
    if r.random() < 0.6:
        lines.append(r.choice(["~" * r.randint(10, 22), "~-" * r.randint(5, 10), "_/\\_" * r.randint(2, 4)]))
    return lines


def _bird(r: random.Random) -> list[str]:
    kind = r.randint(0, 2)
    if kind == 0:  # flock
        return [" " * r.randint(0, 16) + r.choice(["\\/", "v", "\\_/", "~v~"]) for _ in range(r.randint(2, 5))]
    if kind == 1:
        eye = r.choice(["o", "O", "'", "^"])
        return ["  __", f"<({eye} )___", " ( ._> /", "  `---'"]
    return ["   ,_,", f"  ({r.choice('oO0')},{r.choice('oO0')})", "  {`\"'}", '  -"-"-']


def _tree(r: random.Random) -> list[str]:
    kind = r.randint(0, 2)
    height = r.randint(2, 5)
    lines: list[str] = []
    if kind == 0:  # pine
        width = height + 1
        lines.append(" " * width + r.choice(["*", "^", "+"]))
        for i in range(1, height + 2):
            fill = r.choice(["*", "^", "o", "#"]) if r.random() < 0.2 else "^"
            lines.append(" " * (width - i) + "/" + fill * (2 * i - 1) + "\\")
        trunk = " " * (width - 1) + "|_|" if height > 2 else " " * width + "|"
        lines += [trunk] * r.randint(1, 2)
    elif kind == 1:  # round leafy tree
        w = height * 2 + 2
        lines.append(" " + "_" * (w - 2))
        leaf = r.choice(["@", "&", "%", "o", "#"])
        for _ in range(height):
            lines.append("(" + "".join(r.choice([leaf, leaf, " "]) for _ in range(w - 2)) + ")")
        lines.append(" " + "~" * (w - 2))
        lines += [" " * (w // 2 - 1) + "||"] * r.randint(1, 3)
    else:  # palm
        lines = ["  __ _ __", " /  | |  \\"]
        lines += ["    " + r.choice(["|", ")", "("]) for _ in range(height)]
        lines.append("  " + r.choice(["_\\|/_", "~~|~~", "/_|_\\"]))
    if r.random() < 0.4:
        lines.append(r.choice(['"""""""""', "~~~~~~~~~", "---------", ",,,,,,,,,"]))
    return lines


def _flower(r: random.Random) -> list[str]:
    center = r.choice(["o", "@", "*", "O", "0"])
    head = r.choice(
        [
            [f"({center})"],
            [" \\|/", f"-({center})-", " /|\\"],
            [" .-.", f"( {center} )", " `-'"],
            ["  _ _", f" ( {center} )", "  (_)"],
        ]
    )
    stem_len = r.randint(1, 4)
    leaf_side = r.choice(["\\|", "|/", "\\|/", "|"])
    lines = list(head) + ["  |"] * stem_len
    lines.insert(len(head) + stem_len // 2, "  " + leaf_side if leaf_side != "|" else "  |")
    count = r.randint(1, 3)
    if count > 1:  # a small bunch: repeat side by side
        gap = " " * r.randint(1, 3)
        width = max(len(line) for line in lines)
        lines = [gap.join([line.ljust(width)] * count) for line in lines]
    if r.random() < 0.5:
        lines.append(r.choice(["\\_____/", "|_____|", "~~~~~~~~~~", '"""""""']))
    return lines


def _mountains(r: random.Random) -> list[str]:
    height = r.randint(3, 6)
    peaks = r.randint(1, 3)
    width = 40
    grid = [[" "] * width for _ in range(height)]
    x = r.randint(0, 4)
    for _ in range(peaks):
        h = r.randint(2, height)
        top = height - h
        cx = x + h
        if cx + h >= width:
            break
        for row in range(top, height):
            d = row - top
            grid[row][cx - d] = "/"
            grid[row][cx + d + 1] = "\\"
            if d > 0 and r.random() < 0.3 and row < height - 1:
                grid[row][cx] = r.choice(["^", "."])
        if r.random() < 0.6 and h > 2:
            grid[top + 1][cx] = "*"  # snow cap
        x = cx + r.randint(1, h)
    lines = ["".join(row) for row in grid]
    if r.random() < 0.5:
        lines.insert(0, " " * r.randint(0, 20) + r.choice(["\\_/", "~", "v v", "(   )"]))
    lines.append(r.choice(["_" * (x + 6), "~" * (x + 6), "^" * (x + 6)]))
    return lines


def _sun(r: random.Random) -> list[str]:
    kind = r.randint(0, 2)
    face = r.choice(["", "^_^", "o o", "-_-", "*", "o_o", "^o^", ". .", "0_0", "u_u"])
    if kind == 0:
        return ["    \\ | /", "  '-.;;;.-'", f"-==;;{face.center(3)};;==-", "  .-';;;'-.", "    / | \\"]
    if kind == 1:
        return ["  \\   |   /", "   .-'''-.", f"--( {face.center(3)} )--", "   '-...-'", "  /   |   \\"]
    ray = r.randint(1, 3)
    lines = [" " * ray + "\\ | /", "-" * ray + f"-( {face[:1] or 'O'} )-" + "-" * ray, " " * ray + "/ | \\"]
    if r.random() < 0.5:
        lines.append(r.choice(["~~~~~~~~~", "_/\\_/\\_", "  . . ."]))
    return lines


# -- group B ---------------------------------------------------------------------


def _house(r: random.Random) -> list[str]:
    half = r.choice([4, 5, 6, 7])
    inner = 2 * half - 1  # the roof's base spans the walls exactly
    roof_fill = r.choice(["_", "=", "-"])
    lines = []
    if r.random() < 0.5:  # chimney with smoke
        lines += [" " * (2 * half - 2) + r.choice(["(", "~", ")", "("]), " " * (2 * half - 2) + "[]"]
    lines.append(" " * (half + 1) + "_")
    for i in range(1, half + 1):
        fill = roof_fill if i == half else " "
        lines.append(" " * (half + 1 - i) + "/" + fill * (2 * i - 1) + "\\")
    window = r.choice(["[]", "##", "||", "oo", "[+]"])
    door = r.choice(["| |", "|o|", "|:|"])
    left = (inner - 3) // 2
    right = inner - 3 - left
    for _ in range(r.randint(0, 1)):
        lines.append(" |" + (" " + window + " " * inner)[: inner - len(window) - 1] + window + " |")
    lines.append(" |" + " " * left + door + " " * right + "|")
    lines.append(" |" + "_" * left + "|_|" + "_" * right + "|")
    return lines


def _boat(r: random.Random) -> list[str]:
    mast = r.randint(2, 4)
    lines = []
    flag = r.random() < 0.5
    if flag:
        lines.append("     |>")
    for i in range(mast):
        lines.append("     |" + "\\" if i == 0 else "     |" + " " * i + "\\")
    lines.append("     |" + "_" * mast + "\\")
    hull_w = mast + 8
    if r.random() < 0.5:
        lines.append("\\" + "_" * hull_w + "/")
    else:
        lines.append(" \\" + r.choice(["_", "=", "o"]) * (hull_w - 2) + "/")
    lines.append(r.choice(["~" * (hull_w + 4), "~^~" * ((hull_w + 4) // 3), "-~-" * ((hull_w + 4) // 3)]))
    return lines


def _rocket(r: random.Random) -> list[str]:
    body = r.randint(2, 5)
    window = r.choice(["()", "[]", "oo", "<>"])
    lines = ["   /\\", "  /  \\", "  |  |"]
    for i in range(body):
        lines.append("  |" + (window if i == 0 else r.choice(["  ", "  ", "||", "=="])) + "|")
    lines.append(" /|" + r.choice(["  ", "__", "||"]) + "|\\")
    lines.append("/_|" + "__" + "|_\\")
    flames = r.randint(1, 3)
    for _ in range(flames):
        lines.append("   " + r.choice(["''", "**", "^^", "||", "{}"]))
    if r.random() < 0.3:
        lines.append(r.choice(["  .  .", " ' . '"]))
    return lines


def _sword(r: random.Random) -> list[str]:
    blade = r.randint(3, 8)
    vertical = r.random() < 0.6
    if vertical:
        lines = ["   /\\"] + ["   ||"] * blade
        lines.append(r.choice([" o==[]==o", "  _||_", " <=||=>", " ===||==="]))
        lines += ["   ||"] * r.randint(1, 2)
        lines.append(r.choice(["   ()", "   <>", "   []"]))
        return lines
    guard = r.choice(["|", "]", "#", "{"])
    return [
        r.choice(["o", "()", "<"]) + "=" * r.randint(1, 3) + guard + "=" * blade * 2 + ">",
    ]


def _car(r: random.Random) -> list[str]:
    length = r.randint(0, 4)
    wheel = r.choice(["O", "o", "@", "0"])
    top = "  ____" + "_" * length
    # Two draws of a cab that is never drawn: kept so the corpus (and its hash) stays the same.
    r.choice(["|_|", "[_]", "| |"])
    r.randint(2, 4)
    lines = [
        top,
        " /__|" + "_" * length + "\\___",
        "|  _     " + " " * length + "_ |",
        "'-(" + wheel + ")---" + "-" * length + "(" + wheel + ")-'",
    ]
    if r.random() < 0.5:
        lines.insert(0, " " * r.randint(0, 6))
    if r.random() < 0.4:
        lines.append(r.choice(["=" * (12 + length), "_" * (12 + length)]))
    return lines


def _robot(r: random.Random) -> list[str]:
    eyes = r.choice(["o o", "O O", "0 0", "* *", "- -", "[ ]"])
    mouth = r.choice(["___", "===", "---", "vvv", "[=]"])
    antenna = r.choice(["   _|_", "    |", "   \\|/", "    o"])
    lines = [antenna, f" [ {eyes} ]", f" [ {mouth} ]"]
    arms = r.choice([("/", "\\"), ("-", "-"), ("<", ">"), ("=", "=")])
    lines.append(f"{arms[0]}[#####]{arms[1]}")
    for _ in range(r.randint(0, 2)):
        lines.append(" [#####]")
    lines.append(r.choice(["  || ||", "  /   \\", "  d   b", " _|| ||_"]))
    return lines


DRAWERS: dict[str, Callable[[random.Random], list[str]]] = {
    "Cats": _cat,
    "Fish": _fish,
    "Birds": _bird,
    "Trees": _tree,
    "Flowers": _flower,
    "Mountains": _mountains,
    "Suns": _sun,
    "Houses": _house,
    "Boats": _boat,
    "Rockets": _rocket,
    "Swords": _sword,
    "Cars": _car,
    "Robots": _robot,
}

GROUP_A: tuple[str, ...] = ("Cats", "Fish", "Birds", "Trees", "Flowers", "Mountains", "Suns")
GROUP_B: tuple[str, ...] = ("Houses", "Boats", "Rockets", "Swords", "Cars", "Robots")
ALL_CLASSES: tuple[str, ...] = GROUP_A + GROUP_B


def _rng(label: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{label}:{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def render(label: str, seed: int) -> str:
    """One piece of class ``label``, the same for the same seed."""
    if label not in DRAWERS:
        raise StudioError(f"unknown class {label!r} (known: {', '.join(ALL_CLASSES)})")
    r = _rng(label, seed)
    lines = DRAWERS[label](r)
    offset = r.choice([0, 0, 0, 1, 2, 4, 6])
    return _tidy(lines, offset)

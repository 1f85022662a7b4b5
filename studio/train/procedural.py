"""The procedural drawings of the built-in corpus: one drawer per class, deterministic.

``render(label, seed)`` draws one piece of a class; the same seed gives the same piece.
Pieces are printable ASCII plus newline with no trailing spaces; a random left offset
shifts some of them sideways (the split rule in ``studio.train.corpus`` ignores it).

Each drawer composes a scene from parts: a subject drawn in one of several poses,
sizes and styles (many of them built from parameters, so a size change redraws every
line), props beside it, things in the sky, a ground, and now and then a caption or a
signature of one of our own invented artists. Variety comes from composition, never
from character noise: ``darwascii corpus variety`` counts the visibly different
drawings each class can make (``studio.model.variety``'s 0.2 rule).
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Sequence

from rapidfuzz.distance import Levenshtein

from studio.errors import StudioError
from studio.model.variety import SAME_DRAWING, drawing_of

Sprite = list[str]
MAX_WIDTH = 78  # the widest piece, offset included (real hand-drawn art stays within 80 columns)
MAX_HEIGHT = 25  # the tallest piece: a caption or a signature is left off rather than go past it


# -- drawing kit -------------------------------------------------------------------


def sprite(text: str) -> Sprite:
    """A sprite from a triple-quoted block: blank edge lines and the common indent removed."""
    rows = [line.rstrip() for line in text.split("\n")]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    margin = min((len(r) - len(r.lstrip(" ")) for r in rows if r), default=0)
    return [r[margin:] for r in rows]


def sprites(text: str) -> list[Sprite]:
    """Several sprites in one block, separated by lines holding only ``~~``."""
    return [sprite(part) for part in text.split("\n~~\n")]


def width(s: Sequence[str]) -> int:
    return max((len(line) for line in s), default=0)


_MIRROR = str.maketrans("/\\()<>[]{}`db", "\\/)(><][}{'bd")


def mirror(s: Sprite) -> Sprite:
    """The sprite facing the other way."""
    w = width(s)
    return [line.ljust(w)[::-1].translate(_MIRROR).rstrip() for line in s]


def swap(s: Sprite, **subs: str) -> Sprite:
    """Placeholders (single capital letters) replaced, e.g. ``swap(cat, E="o")``."""
    out = []
    for line in s:
        for key, value in subs.items():
            line = line.replace(key, value)
        out.append(line)
    return out


class Canvas:
    """A grid to put sprites on; spaces in a sprite are transparent unless ``solid``.

    Each row of a sprite takes the cells from its first to its last char, so a
    house's empty rooms or a tank's water count as taken when ``free`` looks for room.
    """

    def __init__(self, w: int, h: int):
        self.w, self.h = w, h
        self.grid = [[" "] * w for _ in range(h)]
        self.taken = [[False] * w for _ in range(h)]

    def put(self, s: Sequence[str], x: int, y: int, solid: bool = False) -> None:
        for dy, line in enumerate(s):
            row = y + dy
            if not 0 <= row < self.h or not line.strip():
                continue
            first = len(line) - len(line.lstrip(" "))
            for dx in range(first if solid else 0, len(line)):
                ch = line[dx]
                col = x + dx
                if 0 <= col < self.w and (solid or ch != " "):
                    self.grid[row][col] = ch
            for col in range(max(0, x + first), min(self.w, x + len(line.rstrip()))):
                self.taken[row][col] = True

    def free(self, x: int, y: int, w: int, h: int, pad: int = 1) -> bool:
        if x < 0 or y < 0 or x + w > self.w or y + h > self.h:
            return False
        for row in range(max(0, y - pad), min(self.h, y + h + pad)):
            for col in range(max(0, x - pad), min(self.w, x + w + pad)):
                if self.taken[row][col] or self.grid[row][col] != " ":
                    return False
        return True

    def rows(self) -> Sprite:
        return ["".join(row).rstrip() for row in self.grid]


def beside(parts: Sequence[Sprite], gaps: Sequence[int], drop: Sequence[int] = ()) -> Sprite:
    """Sprites side by side, bottom-aligned (``drop[i]`` rows raised off the baseline)."""
    drop = list(drop) + [0] * (len(parts) - len(drop))
    h = max(len(p) + d for p, d in zip(parts, drop))
    out = [""] * h
    for i, part in enumerate(parts):
        w = width(part)
        top = h - len(part) - drop[i]
        for y in range(h):
            line = part[y - top] if 0 <= y - top < len(part) else ""
            out[y] += line.ljust(w) + (" " * gaps[i] if i < len(parts) - 1 else "")
    return [line.rstrip() for line in out]


def above(top: Sprite, bottom: Sprite, shift: int = 0) -> Sprite:
    """``top`` stacked on ``bottom``, centred over it (then moved ``shift`` columns)."""
    x = (width(bottom) - width(top)) // 2 + shift
    pad_top, pad_bottom = max(0, x), max(0, -x)
    return [(" " * pad_top + line).rstrip() for line in top] + [(" " * pad_bottom + line).rstrip() for line in bottom]


def scatter(r: random.Random, base: Sprite, items: Sequence[Sprite], headroom: int, tries: int = 12) -> Sprite:
    """``base`` with ``headroom`` blank rows above it, and each item put where it finds room."""
    headroom = max(0, min(headroom, 24 - len(base)))
    w = max(width(base), max((width(i) for i in items), default=0) + 2)
    canvas = Canvas(w, headroom + len(base))
    canvas.put(base, 0, headroom)
    for item in items:
        iw, ih = width(item), len(item)
        for _ in range(tries):
            x = r.randint(0, max(0, w - iw))
            y = r.randint(0, max(0, headroom + len(base) // 2 - ih))
            if canvas.free(x, y, iw, ih):
                canvas.put(item, x, y)
                break
    return trim(canvas.rows())


def trim(lines: Iterable[str]) -> Sprite:
    rows = [line.rstrip() for line in lines]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    margin = min((len(r) - len(r.lstrip(" ")) for r in rows if r), default=0)
    return [r[margin:] for r in rows]


def repeat_to(unit: str, n: int) -> str:
    return (unit * (n // max(1, len(unit)) + 1))[:n]


# Invented initials of invented artists (no real artist signs this way).
SIGNERS = ("kvt", "zo", "m.q", "tlr", "ynn", "b.o.", "qhu", "ej.f", "rox", "wid")


def signed(r: random.Random, lines: Sprite, captions: Sequence[str] = (), p_caption=0.25, p_sign=0.3) -> Sprite:
    """Sometimes a caption centred under the piece, sometimes initials in a corner."""
    lines = list(lines)
    w = width(lines)
    if captions and r.random() < p_caption and len(lines) < MAX_HEIGHT:
        text = r.choice(captions)
        lines.append(" " * max(0, (w - len(text)) // 2) + text)
    if r.random() < p_sign:
        name = r.choice(SIGNERS)
        name = r.choice([name, "-" + name, name + r.choice(["'98", "'03", "'11", " 07"])])
        last = lines[-1]
        if len(last) + len(name) + 3 <= w:
            lines[-1] = last + " " * (w - len(last) - len(name)) + name
        elif len(lines) < MAX_HEIGHT:
            lines.append(" " * max(0, w - len(name)) + name)
    return lines


def row_of(r: random.Random, subjects: Sequence[Sprite], props: Sequence[Sprite], max_w: int, gaps=(1, 6)) -> Sprite:
    """Subjects side by side (as many as fit ``max_w``), props slipped in where they fit."""
    parts: list[Sprite] = [subjects[0]]
    spaces = [r.randint(*gaps) for _ in range(len(subjects) + len(props))]

    def total(ps: Sequence[Sprite]) -> int:
        return sum(width(p) for p in ps) + sum(spaces[: len(ps) - 1])

    for s in subjects[1:]:
        if total(parts + [s]) <= max_w:
            parts.append(s)
    for p in props:
        at = r.randint(0, len(parts))
        trial = parts[:at] + [p] + parts[at:]
        if total(trial) <= max_w:
            parts = trial
    return beside(parts, spaces)


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


# -- scenery shared by several classes ----------------------------------------------

_SKY_SMALL = sprites(
    r"""
  _.._
.' .-'
|  |
'. '-._
  `'--'
~~
 .-.
( (
 `-'
~~
  *
~~
 .  *
~~
 *  .   +
~~
   .--.
.-(    ).
(___.__)__)
~~
  _  _
 ( `   )_
(    )    `)
 `--'`---'
~~
 \/  \/
~~
  v  v
"""
)


# -- group A: creatures & nature --------------------------------------------------

# -- cats -----------------------------------------------------------------------

_CAT_EYES = ("o", "O", "^", "-", "=", "*", "0", "u", "'", "e", "@", "q", ".")
_CAT_NOSE = ("^", "w", "v", "x", "o", "_", "Y", "'")

_CAT_FACES = sprites(
    r"""
 /\_/\
( EPE )
 > N <
~~
 /\_/\
( EPE )
=( N )=
~~
  /\___/\
 ( E   E )
 (  =N=  )
  `-----'
~~
  /\___/\
 ( E   E )
=(  >N<  )=
  `-...-'
~~
  /\     /\
 /  \___/  \
(  E     E  )
(  =  N  =  )
 \  `---'  /
  `-.___.-'
~~
    /\_____/\
   /  E   E  \
  ( ==  N  == )
   \   `-'   /
    `-.___.-'
~~
  |\__/|
 /  E E \
( ==_N_== )
  `-...-'
~~
   ,_     _,
   |\\___//|
   |=E   E=|
   \=._N_.=/
    `=._.='
"""
)

_CAT_SITTING = sprites(
    r"""
   /\_/\
  ( EPE )
   > N <
  /     \
 /  | |  \
(   | |   )
 \__|_|__/
~~
    /\_/\
   ( EPE )
   =( N )=
   /  _  \
  |  ( )  |
  |  | |  |
 (___|_|___)
~~
   /\___/\
  ( E   E )
  (  =N=  )
   \_____/
  /   |   \
 /  __|__  \
(__/_/ \_\__)
~~
  |\__/|
 /  E E \
( ==_N_== )
 \      /
 /      \
|  |  |  |
|__|__|__|
~~
     /\_/\
    ( EPE )
     > N <
    (     )
   /  | |  \
  (   | |   )
 (____|_|____)
"""
)

_CAT_TAILS = sprites(
    r"""
   _
  ( )
   ) )
__/ /
~~
  __
 /  )
(  (
 \__\_
~~
   (
    )
___/
~~
 __
(  \
    )
___/
~~
~
 ~
__)
"""
)

_CAT_LYING = sprites(
    r"""
             /\_/\
   _________( EPE )
  /          > N <
 (___,_____,______)__
~~
              /\_/\
    _________( EPE )
 __/          > N <
(____(__)________(__)
~~
                 /\_/\
       _________/ E E \
  ___ /          \ N  /
 (___(_____________m_m)
~~
      /\_/\
     ( E.E )_________
      > N <          \
     (__m__m____,____/\_
                     (__)
"""
)

_CAT_CURLED = sprites(
    r"""
     .-~~~~~-.
   .'  /\_/\  '.
  /   ( -.- )   \
 |     > N <     |
  \   (")_(")   /
   '-.___~___.-'
~~
     _.---._
   .'  /\_/\'.
  /   ( u.u )_\
 |   _.> N <   )
  \_(__(")(")_/
~~
      ,-''''-.
    ,'  /\_/\ `.
   /   ( -_- ) \\
  (     > N <  ))
   `.__(___)__//
"""
)

_CAT_WALKING = sprites(
    r"""
  _
 ( \              /\_/\
  \ \____________( EPE )
   \              > N <
    |   _______  __/
    |  |       ||
    |__|       |__|
~~
 __
(  \               /\_/\
 \  \_____________/ E E \
  \                = N =/
   |  __________   _.-'
   | |          | |
   |_|          |_|
~~
          /\_/\
  _      ( EPE )
 ( \_____/ > N <
  \          __/
   | |  | | | |
   |_|  |_| |_|
"""
)

_CAT_PROPS = sprites(
    r"""
 .--.
(@@@@)~~~~
 `--'
~~
  _.-._
 (#####)~~
  `-.-'
~~
 \~~~~~/
  `---'
~~
 >-}-}-}->
~~
  __QQ
 (_)_">
_)
~~
 <:3 )~~~
~~
 ~~(__^.>
~~
 [mouse]
~~
  }{
"""
)


def _cat_face(r: random.Random) -> Sprite:
    e = r.choice(_CAT_EYES)
    return swap(r.choice(_CAT_FACES), E=e, P=r.choice([".", "_", " "]), N=r.choice(_CAT_NOSE))


def _one_cat(r: random.Random, pose: str) -> Sprite:
    e, n, p = r.choice(_CAT_EYES), r.choice(_CAT_NOSE), r.choice([".", "_", " "])
    if pose == "face":
        cat = _cat_face(r)
    elif pose == "sitting":
        body = swap(r.choice(_CAT_SITTING), E=e, N=n, P=p)
        if r.random() < 0.7:
            tail = r.choice(_CAT_TAILS)
            cat = beside([body, tail], [0])
        else:
            cat = body
    elif pose == "lying":
        cat = swap(r.choice(_CAT_LYING), E=e, N=n, P=p)
    elif pose == "curled":
        cat = swap(r.choice(_CAT_CURLED), N=n)
    else:  # walking
        cat = swap(r.choice(_CAT_WALKING), E=e, N=n, P=p)
    return mirror(cat) if r.random() < 0.5 and pose in ("sitting", "lying", "walking") else cat


def _cat(r: random.Random) -> Sprite:
    poses = ["face", "sitting", "sitting", "lying", "curled", "walking"]
    count = r.choice([1, 1, 1, 2, 2, 3])
    cats = [_one_cat(r, r.choice(poses)) for _ in range(count)]
    props = [r.choice(_CAT_PROPS) for _ in range(r.choice([0, 1, 1, 2]))]
    scene = row_of(r, cats, props, max_w=r.choice([40, 56, 70]))
    ground = r.choice(["_", "~", "=", "-", "."])
    if r.random() < 0.7:
        scene.append(repeat_to(r.choice([ground, "_.", "~-", "-=", "_,"]), width(scene) + r.randint(0, 4)))
    sky = [r.choice(_SKY_SMALL) for _ in range(r.choice([0, 0, 1, 2]))]
    if sky:
        scene = scatter(r, scene, sky, headroom=r.randint(1, 4))
    return signed(r, scene, ["meow", "purr...", "zzz", "=^.^=", "mrrp?", "the cat", "nap time"])


# -- fish -----------------------------------------------------------------------

_FISH_EYES = ("o", "O", "*", "@", ".", "'", "0", "e", "+")

# Facing right; E is the eye. stretch() widens a fish at the column after the marker.
_BIG_FISH = sprites(
    r"""
    ______
\  /      \
 >(  (((  E>
/  \______/
~~
      /\
   __/  \__
\ /  )))   \
 >    )))  E<
/ \___________/
~~
     |\
   _/  \_
 ><_  E  >
   \  _/
     |/
~~
   .-^-.
  /  E  \
 <   ~   )><
  \ ^^^ /
   '-v-'
~~
         |\
    _____| \___
 \ /           E`.
  >  ))         _>
 / \.____.-^-^-'
~~
   ___
\/(((E\
/\____/
~~
     _
 ,-'' ''-.
<  E )))  >-<
 `-.,,,.-'
~~
        ,
   ____/(____
\/ ::::::::: E\
/\____________/
       \)
~~
     ____
   .'    '.__
\ /  .::.  E `.
 ><  ':::'   __)
/ \ ._____.-'
"""
)

_SEA_BITS = sprites(
    r"""
 o
  .
 O
~~
  o
 .
~~
 )
(
 )
(
~~
  (
   )
  (
   )
  (
~~
 \ |
  \|/
   |
~~
  __
 /  \
/____\
~~
   _|^|_
  | ' ' |
__|__|__|__
~~
 ___.---.
(__......)
~~
  ,--.
 [____]
 |_$$_|
"""
)


def _stretch(s: Sprite, k: int) -> Sprite:
    """The sprite ``k`` columns wider: a column inside every row, of body chars only, repeated."""
    spans = [(len(line) - len(line.lstrip(" ")), len(line.rstrip())) for line in s if line.strip()]
    if k <= 0 or len(spans) != len(s):
        return s
    cols = [
        c for c in range(width(s)) if all(a < c < b - 1 and line[c] in " _-()~.:=" for (a, b), line in zip(spans, s))
    ]
    if not cols:
        return s
    col = cols[len(cols) // 2]
    return [line[:col] + line[col] * k + line[col:] for line in s]


def _small_fish(r: random.Random) -> Sprite:
    tail = r.choice(["><", ">=", "}<", ">-", "><", "}>", ">>"])
    body = r.choice(["(", "{", "[", "((", "(((", "((((", "{{", "))"]) if r.random() < 0.8 else ""
    return [tail + body + r.choice(_FISH_EYES) + r.choice([">", ">", ")", "}"])]


def _one_fish(r: random.Random, big: bool) -> Sprite:
    if big:
        fish = _stretch(swap(r.choice(_BIG_FISH), E=r.choice(_FISH_EYES)), r.randint(0, 6))
    else:
        fish = _small_fish(r)
    return mirror(fish) if r.random() < 0.5 else fish


def _fish(r: random.Random) -> Sprite:
    setting = r.choice(["sea", "sea", "tank", "tank", "school", "portrait", "bowl"])
    big = {"school": r.choice([0, 0, 1]), "portrait": 1}.get(setting, r.randint(1, 2))
    small = r.randint(5, 10) if setting == "school" else r.randint(0 if setting == "portrait" else 1, 4)
    fishes = [_one_fish(r, True) for _ in range(big)] + [_one_fish(r, False) for _ in range(small)]
    w = r.randint(22, 46) if setting != "bowl" else r.randint(16, 24)
    h = r.randint(7, 13) if setting != "portrait" else len(fishes[0]) + r.randint(3, 6)
    if setting == "portrait":
        w = width(fishes[0]) + r.randint(4, 14)
    if setting == "bowl":
        fishes = [_one_fish(r, False) for _ in range(r.randint(1, 3))]
        h = r.randint(4, 7)
    canvas = Canvas(w, h)
    floor = h - 1
    w = max(w, width(fishes[0]) + 4)
    h = max(h, len(fishes[0]) + 3)
    canvas = Canvas(w, h)
    floor = h - 1
    for i, fish in enumerate(fishes):  # the first fish always finds room: the canvas is sized for it
        fw, fh = width(fish), len(fish)
        for _ in range(15 if i else 40):
            fx, fy = r.randint(1, max(1, w - fw - 1)), r.randint(1, max(1, floor - fh))
            if canvas.free(fx, fy, fw, fh, pad=1 if i else 0):
                canvas.put(fish, fx, fy)
                break
    bits = [r.choice(_SEA_BITS) for _ in range(r.randint(1, 4) if setting in ("sea", "tank") else r.randint(0, 2))]
    if setting == "portrait":
        bits = [r.choice(_SEA_BITS[:2]) for _ in range(r.randint(1, 2))]
    for bit in bits:
        bw, bh = width(bit), len(bit)
        for _ in range(6):
            bx = r.randint(1, max(1, w - bw - 1))
            by = floor - bh + 1 if bit[0].strip() not in ("o", ".", "O") else r.randint(1, 3)
            if canvas.free(bx, by, bw, bh, pad=0):
                canvas.put(bit, bx, by)
                break
    rows = canvas.rows()
    if setting == "tank":
        rows = [" " + "_" * w] + ["|" + row.ljust(w) + "|" for row in rows[1:-1]]
        rows.append("|" + repeat_to(r.choice(["_", ".", ":", "_."]), w) + "|")
        if r.random() < 0.5:
            rows.append(" " + r.choice(["~", "-", "="]) * w)
    elif setting == "sea":
        rows[0] = repeat_to(r.choice(["~", "~^", "-~", "~~-"]), w)
        rows.append(repeat_to(r.choice(["_", ".", ".:", "_,"]), w))
    elif setting == "bowl":
        rim = r.choice(["_", "-", "="])
        inside = [row[1 : w - 1].ljust(w - 2) for row in rows[1:]]
        inside[0] = repeat_to(r.choice(["~", "~-", " ~"]), w - 2)
        rows = ["   " + rim * (w - 4), "  )" + " " * (w - 6) + "(", " /" + " " * (w - 4) + "\\"]
        rows += ["|" + row + "|" for row in inside]
        rows += [" \\" + " " * (w - 4) + "/", "  '-" + "." * (w - 8) + "-'"]
        if r.random() < 0.6:
            rows.append(" " * (w // 2 - 4) + r.choice(["[________]", "(________)", "/________\\"]))
    return signed(r, trim(rows), ["blub", "just keep swimming", "><> ><>", "something fishy", "gone fishing"])


# -- birds -----------------------------------------------------------------------


_BIRD_EYES = ("o", "O", "'", "^", ".", "0", "*", "e", "-", "@")

_PERCHED = sprites(
    r"""
  ,_,
 (E,E)
 {`"'}
 -"-"-
~~
   ___
  (E,E)
  /)_)
   ""
~~
     __
   <(E )___
    ( ._> /
     `---'
~~
   __
 <(E )
  (  \__
   \____)>
    | |
~~
    _
  >(E)__
   (___/
~~
    .-.
   (E E)
  /( v )\
 / |   | \
   |___|
   _| |_
~~
    __
  <(E )
   /  \
  (    )
   \__/==
    ^^
~~
   __
  / E\
  \  >)
  (  )
  (  )
  /  \
   ||
~~
   __
  /E )>
 (   |
  \  |_
   ^^
~~
     _
   _(E>
  /  )
 /__/
  ||
"""
)

_BIG_BIRDS = sprites(
    r"""
   __________
  / \      / \
 |  (E)  (E)  |
 |     \/     |
  \ ,.,.,.,. /
   |,.,.,.,.|
   |.,.,.,.,|
    \______/
     ^^  ^^
~~
 __         __
 \ \_     _/ /
  \__\(E)/__/
      /|\
      ^ ^
~~
   ___
  (E E)
 ((\v/))
 (( " ))
  \\ //
   " "
~~
      __
     (E >
  ___/  (
 /       \
<  ))))   )
 \_______/
    |  |
   _|  |_
"""
)

_FLYING = sprites(
    r"""
\/
~~
 v
~~
\_/
~~
~v~
~~
\_E_/
~~
 _  _
( \/ )
~~
--v--
~~
 \  /
  \/
~~
__  __
  \/
"""
)

_BIRD_THINGS = sprites(
    r"""
  _____
 /     \
/_______\
 |  o  |
 |_____|
    |
    |
~~
  \_____/
   \ooo/
~~
    .-.
   (   )
    `-'
~~
 |
 |
-+-
 |
~~
 \ | /
  \|/
~~
   ,   ,
  \|/ \|/
"""
)


def _bird(r: random.Random) -> Sprite:
    setting = r.choice(["branch", "branch", "wire", "sky", "pond", "ground", "portrait", "nest"])
    e = r.choice(_BIRD_EYES)
    if setting == "portrait":
        bird = swap(r.choice(_BIG_BIRDS), E=e)
        scene = [line for line in (mirror(bird) if r.random() < 0.4 else bird)]
        if r.random() < 0.6:
            scene.append(repeat_to(r.choice(["=", "-", "~", "_"]), width(scene) + r.randint(2, 10)))
    elif setting in ("branch", "wire", "ground", "nest"):
        count = r.randint(2, 5) if setting != "nest" else 1
        birds = [swap(r.choice(_PERCHED), E=r.choice(_BIRD_EYES)) for _ in range(count)]
        birds = [mirror(b) if r.random() < 0.4 else b for b in birds]
        props = [r.choice(_BIRD_THINGS)] if setting == "ground" and r.random() < 0.7 else []
        row = row_of(r, birds, props, max_w=r.choice([32, 48, 64]), gaps=(1, 6))
        w = width(row) + r.randint(2, 10)
        if setting == "branch":
            twig = r.choice(["=", "-", "~", "_"])
            branch = repeat_to(twig, w - 4) + r.choice(["\\_", "/", "~~", "-<"])
            row = [" " * 2 + line for line in row] + [branch]
            if r.random() < 0.5:
                row.append(" " * r.randint(3, max(3, w - 6)) + r.choice(["\\", "/", "\\_", "`"]))
        elif setting == "wire":
            row = [" " * 2 + line for line in row] + [repeat_to("-", w)]
            if r.random() < 0.6:
                pole = r.randint(0, 1) * (w - 1)
                row = [line.ljust(pole) + "|" if pole else "|" + line[1:] for line in row[:-1]] + [row[-1]]
        elif setting == "nest":
            eggs = repeat_to(r.choice(["o", "0", "o0", "()"]), r.randint(2, 6))
            rim = repeat_to(r.choice(["_", "/\\", "\\/", "~"]), len(eggs) + 4)
            row = [" " * 3 + line for line in row]
            row += [
                " " * 2 + "\\" + rim + "/",
                " " * 3 + "\\" + eggs.center(len(rim) - 2) + "/",
                " " * 4 + "`" + "-" * (len(rim) - 4) + "'",
            ]
            branch = repeat_to(r.choice(["=", "-", "~"]), w + 6)
            row.append(branch)
        else:
            row.append(repeat_to(r.choice(["_", '"', ",", "_,", ".:"]), w))
        scene = row
    elif setting == "pond":
        ducks = [
            swap(r.choice(_PERCHED[4:5] + _PERCHED[10:11]), E=r.choice(_BIRD_EYES)) for _ in range(r.randint(1, 4))
        ]
        ducks = [mirror(d) if r.random() < 0.5 else d for d in ducks]
        row = row_of(r, ducks, [], max_w=r.choice([30, 44, 60]), gaps=(2, 8))
        w = width(row) + r.randint(2, 12)
        scene = row + [repeat_to(r.choice(["~", "~-", "~~'", "-~"]), w) for _ in range(r.randint(1, 3))]
        if r.random() < 0.5:
            scene[-1] = " " * r.randint(0, 4) + scene[-1]
    else:
        scene = []
    flock = [swap(r.choice(_FLYING), E=e) for _ in range(r.randint(2, 7) if setting == "sky" else r.randint(0, 3))]
    if setting == "sky":
        ground = [repeat_to(r.choice(["_", "~", "^", "_/\\_", "-"]), r.randint(24, 50))]
        scene = scatter(r, ground, flock + [r.choice(_SKY_SMALL)] * r.randint(0, 1), headroom=r.randint(5, 10))
    elif flock:
        scene = scatter(r, scene, flock, headroom=r.randint(1, 4))
    return signed(r, scene, ["tweet", "chirp chirp", "early bird", "birds of a feather", "tweet tweet"])


# -- trees -----------------------------------------------------------------------


def _pine(r: random.Random) -> Sprite:
    layers = r.randint(2, 4)
    rows_per = r.randint(2, 4 if layers < 4 else 3)
    fill = r.choice([" ", " ", "^", "*", ".", "/", "o"])
    xmas = r.random() < 0.2
    widest = layers + rows_per + 1
    lines = []
    top = r.choice(["*", "^", "+", "A", ""]) if not xmas else r.choice(["*", "$", "@"])
    if top:
        lines.append(" " * widest + top)
    for k in range(layers):
        for j in range(rows_per):
            half = k + j
            inner = [fill] * (2 * half)
            if xmas and half > 0:
                for i in range((k + j) % 3, len(inner), 3):
                    inner[i] = r.choice(["o", "*", "@"])
            edge = "_" if j == rows_per - 1 and k == layers - 1 else None
            body = "".join(inner) if edge is None else "_" * (2 * half)
            lines.append(" " * (widest - half) + "/" + body + "\\")
    trunk_w = r.choice([1, 2, 3]) if layers > 2 else 1
    trunk = {1: "|", 2: "||", 3: "|_|"}[trunk_w] if r.random() < 0.5 else {1: "|", 2: "[]", 3: "| |"}[trunk_w]
    for _ in range(r.randint(1, 3)):
        lines.append(" " * (widest + 1 - trunk_w // 2 - (1 if trunk_w == 3 else 0)) + trunk)
    return lines


def _round_tree(r: random.Random) -> Sprite:
    w = r.randint(3, 10)  # half width of the canopy
    h = r.randint(3, 6) if w > 4 else r.randint(5, 8)
    unit = r.choice(["@", "&", "%", "#", "8", "*", " ", "  .", "o@", "&%", ".:", "~"])
    fruit = r.choice(["", "", "o", "*", "6"])
    lines = []
    for i in range(h):
        # a rounded profile: widest in the middle rows
        t = (i + 0.5) / h
        half = int(round(w * (1 - (2 * t - 1) ** 4) ** 0.5)) or 1
        pad = w - half
        inner = repeat_to(unit[i % len(unit) :] + unit[: i % len(unit)], 2 * half)
        if fruit and i % 2:
            inner = "".join(fruit if (j + i) % 5 == 2 and c != " " else c for j, c in enumerate(inner))
        left, right = ("(", ")") if 0 < i < h - 1 else (("/", "\\") if i == 0 else ("\\", "/"))
        if i == 0:
            lines.append(" " * (pad + 1) + "_" * (2 * half))
        lines.append(" " * pad + left + inner + right)
    trunk_h = r.randint(2, 4)
    mid = w
    style = r.choice(["plain", "branches", "wide"])
    if style == "branches":
        lines.append(" " * (mid - 1) + "\\|/")
        trunk_h -= 1
    for _ in range(trunk_h):
        lines.append(" " * mid + ("||" if style != "wide" else "| |"))
    if r.random() < 0.5:
        lines.append(" " * (mid - 1) + r.choice(["/||\\", "_||_", "/| |\\"]))
    return lines


def _palm(r: random.Random) -> Sprite:
    crown = r.choice(
        sprites(
            r"""
 __ _ __
/  | |  \
~~
  _\|/_
 /  |  \
~~
 .-'\ /'-.
'   ,|,   '
~~
__\ | /__
  /\|/\
"""
        )
    )
    h = r.randint(3, 7)
    lean = r.choice([-1, 0, 1])
    cx = width(crown) // 2
    lines = list(crown)
    x = cx
    for i in range(h):
        if lean and i % 2 == 1:
            x += lean
        lines.append(
            " " * max(0, x) + r.choice(["|", "|"]) if lean == 0 else " " * max(0, x) + (")" if lean > 0 else "(")
        )
    return lines


def _bare_tree(r: random.Random) -> Sprite:
    levels = r.randint(2, 4)
    lines = []
    w = 2 * levels + 2
    for k in range(levels):
        spread = levels - k
        twigs = " " * (w - spread * 2) + "\\" + " " * (spread * 2 - 1) + "|" + " " * (spread * 2 - 1) + "/"
        lines.append(twigs)
        lines.append(" " * (w - spread * 2 + 1) + "\\" + "_" * (spread * 2 - 2) + "|" + "_" * (spread * 2 - 2) + "/")
    for _ in range(r.randint(1, 3)):
        lines.append(" " * w + "|")
    lines.append(" " * (w - 1) + "/|\\")
    return lines


_TREE_THINGS = sprites(
    r"""
 ______
|______|
 |    |
~~
  _
 ( )
(   )
 `-'
~~
  .
 ( )
  |
~~
 ,,
~~
   o
  /|\
  / \
~~
 _____
|_|_|_|
 |   |
~~
    ___
  _(   )
 (___)__)
~~
 .-^-.
 '_|_'
"""
)


def _tree(r: random.Random) -> Sprite:
    kinds = [_pine, _pine, _round_tree, _round_tree, _palm, _bare_tree]
    count = r.choice([1, 1, 2, 2, 3, 4])
    first = r.choice(kinds)
    trees = [first(r)] + [(first if r.random() < 0.5 else r.choice(kinds))(r) for _ in range(count - 1)]
    props = [r.choice(_TREE_THINGS) for _ in range(r.choice([0, 0, 1, 1, 2]))]
    scene = row_of(r, trees, props, max_w=r.choice([30, 44, 60, 70]), gaps=(0, 5))
    w = width(scene) + r.randint(0, 6)
    if r.random() < 0.8:
        scene.append(repeat_to(r.choice(["_", '"', ",", "^", "~", "_,", ".:", "\\|/_", "-"]), w))
    sky = [r.choice(_SKY_SMALL) for _ in range(r.choice([0, 0, 1, 2]))]
    if r.random() < 0.15:  # snow
        sky += [["*"], [" ."], ["*"], ["+"], ["."]] * 2
    if sky:
        scene = scatter(r, scene, sky, headroom=r.randint(1, 4))
    return signed(r, scene, ["the woods", "old oak", "evergreen", "in the forest", "shade", "autumn"])


# -- flowers ---------------------------------------------------------------------

_BLOOMS = sprites(
    r"""
\|/
-C-
/|\
~~
 \|/
-(C)-
 /|\
~~
(C)
~~
 _ _
(_C_)
  |
~~
 .-.
(_C_)
~~
   _ _
 _( Y )_
(_ (C) _)
  (_,_)
~~
  \ | /
 '.\|/.'
-( (C) )-
 .'/|\'.
  / | \
~~
 _  _
( \/ )
 \  /
  \/
~~
\/\/
(  )
 \/
~~
 __
(  )
 \/
~~
 .^.
(   )
 `v'
~~
 @@@
@@C@@
 @@@
~~
  *
 *C*
  *
~~
 ,-.-.
(  C  )
 `-.-'
"""
)
_CENTRES = ("o", "@", "*", "O", "0", "#", "+", ".", "x", "=")
_LEAVES = ("\\|", "|/", "\\|/", "(|", "|)", "~|", "|~", "\\|/")


def _one_flower(r: random.Random, stem: int) -> Sprite:
    head = swap(r.choice(_BLOOMS), C=r.choice(_CENTRES))
    hw = width(head)
    mid = hw // 2
    lines = list(head)
    stem_char = r.choice(["|", "|", "|", "("]) if stem > 1 else "|"
    leaf_rows = {r.randrange(stem) for _ in range(r.randint(0, 2))} if stem > 1 else set()
    for i in range(stem):
        if i in leaf_rows:
            leaf = r.choice(_LEAVES)
            at = mid - leaf.index("|")
            lines.append(" " * max(0, at) + leaf.replace("|", stem_char))
        else:
            lines.append(" " * mid + stem_char)
    return lines


_POTS = sprites(
    r"""
\________/
 \      /
  \____/
~~
 ________
|________|
 \      /
  \____/
~~
  \    /
   )  (
  /    \
 (      )
  `----'
~~
 ________
 \      /
  |    |
  |____|
~~
[__________]
 |        |
 |________|
~~
 .________.
  \      /
   \    /
   _\__/_
"""
)


def _flower(r: random.Random) -> Sprite:
    setting = r.choice(["single", "bunch", "pot", "pot", "garden", "field", "vase"])
    if setting == "single":
        flowers = [_one_flower(r, r.randint(3, 8))]
    elif setting == "field":
        flowers = [_one_flower(r, r.randint(1, 3)) for _ in range(r.randint(4, 9))]
    else:
        count = r.randint(2, 5) if setting != "garden" else r.randint(3, 7)
        flowers = [_one_flower(r, r.randint(2, 6)) for _ in range(count)]
    props = []
    if setting in ("garden", "field") and r.random() < 0.5:
        props.append(r.choice([["  \\|/", "\\\\|//"], ["\\|/"], [" ,", "\\|/"], ["_\\|/_"]]))
    gaps = (0, 2) if setting in ("bunch", "pot", "vase") else (1, 5)
    row = row_of(r, flowers, props, max_w=r.choice([28, 40, 56, 68]), gaps=gaps)
    w = width(row)
    if setting in ("pot", "vase", "bunch"):
        pot = (
            r.choice(_POTS)
            if setting != "bunch"
            else ["\\" + "_" * max(2, w // 2) + "/", " " + "\\" * (max(2, w // 2) // 2)]
        )
        if setting == "pot":
            pot = _stretch(pot, max(0, w - width(pot) + 2))
        scene = above(row, pot) if width(pot) >= w else above(pot, [])
        if width(pot) < w:
            x = (w - width(pot)) // 2
            scene = row + [" " * x + line for line in pot]
        if setting == "bunch":
            scene = row + [" " * max(0, w // 2 - 2) + line for line in [" \\  /", "  \\/", "  /\\", " /__\\"]]
    else:
        scene = row
        if setting == "garden" and r.random() < 0.6:
            scene = scene + [repeat_to(r.choice(["|_", "|-", "#_", "+-"]), w + 4)]
        scene = scene + [repeat_to(r.choice(['"', ",", "_", "^", "~", "\\|/", ".,", "_,"]), w + r.randint(0, 6))]
    if width(scene) < 16:  # a small piece stands on a table, a sill or the grass
        span = r.randint(16, 32)
        at = r.randint(0, span - width(scene))
        under = (
            r.choice(["=", "_", "-", '"', ",", "~"])
            if setting in ("pot", "vase", "bunch")
            else r.choice(['"', ",", "_,"])
        )
        scene = [" " * at + line for line in scene] + [repeat_to(under, span)]
    sky = [r.choice(_SKY_SMALL + [["}{"], [">'<"], ["\\/"], ["(\\/)"]]) for _ in range(r.choice([0, 1, 1, 2]))]
    if sky:
        scene = scatter(r, scene, sky, headroom=r.randint(1, 3))
    return signed(r, scene, ["for you", "spring", "in bloom", "a bouquet", "flowers", "garden"])


# -- mountains -------------------------------------------------------------------


def _ridge(r: random.Random, w: int, top: int, peaks: int) -> list[tuple[int, str]]:
    """A skyline of ``peaks`` mountains: for each column the height of its slope and its char."""
    line = [(0, " ")] * w
    for _ in range(peaks):
        ax, ph = r.randint(1, max(1, w - 3)), r.randint(max(3, top // 2), max(3, top))
        for x in range(w):
            height, char = (ph - (ax - x), "/") if x <= ax else (ph - (x - ax - 1), "\\")
            if height > line[x][0]:
                line[x] = (height, char)
    return line


def _range(r: random.Random, w: int, h: int) -> Canvas:
    """One or two ranges, the nearer one lower and hiding what is behind it, snow on tall peaks."""
    canvas = Canvas(w, h + 1)
    layers = [_ridge(r, w, h, r.randint(1, 4))]
    if r.random() < 0.6:
        layers.append(_ridge(r, w, max(2, h // 2), r.randint(1, 4)))
    snow = r.choice(["\\/", "/\\", "^", "~", "-", "", ""])
    for depth, ridge in enumerate(layers):
        for x, (height, char) in enumerate(ridge):
            if height <= 0:
                continue
            y = h - height
            for below in range(y, h + 1):  # a nearer range hides the farther one below its outline
                canvas.grid[below][x] = " "
            canvas.grid[y][x] = char
        if depth == 0 and snow:
            for x in range(1, w - 2):
                height, char = ridge[x]
                if char == "/" and ridge[x + 1][1] == "\\" and height >= 5 and height == ridge[x + 1][0]:
                    y = h - height + 2
                    run = range(x - 1, x + 3)
                    walls = 2 <= x < w - 3 and canvas.grid[y][x - 2] == "/" and canvas.grid[y][x + 3] == "\\"
                    if walls and all(canvas.grid[y][c] == " " for c in run):
                        for i, c in enumerate(run):
                            canvas.grid[y][c] = snow[i % len(snow)]
    return canvas


_MOUNTAIN_THINGS = sprites(
    r"""
  /\
 /  \
  ||
~~
  ^
 /^\
/^^^\
 | |
~~
 A
/ \
~~
 ^ ^ ^
~~
  __
 /__\
 |[]|
~~
 ,
/|
|\
~~
  /\  /\
 /^^\/^^\
   ||  ||
"""
)


def _mountains(r: random.Random) -> Sprite:
    w = r.randint(22, 60)
    h = r.randint(5, 11)
    canvas = _range(r, w, h)
    lines = canvas.rows()
    lines = [line for line in lines if line.strip()] or lines
    base_w = max(width(lines), w)
    front = r.choice(["ground", "lake", "lake", "trees", "plain"])
    if front == "lake":
        lines.append(repeat_to(r.choice(["~", "-", "=", "_"]), base_w))
        mirror_rows = [row for row in reversed(lines[:-1])][: r.randint(2, 5)]
        for row in mirror_rows:
            lines.append(
                "".join("~" if c in "/\\" else (r.choice(["-", " "]) if c in "_" else " ") for c in row).rstrip()
            )
        lines.append(repeat_to(r.choice(["~ ", " ~", "~~ ", "- "]), base_w))
    elif front == "trees":
        trees = [r.choice(_MOUNTAIN_THINGS) for _ in range(r.randint(2, 6))]
        row = row_of(r, trees, [], max_w=base_w, gaps=(0, 6))
        at = r.randint(0, max(0, base_w - width(row)))
        lines += [" " * at + line for line in row]
        lines.append(repeat_to(r.choice(["_", '"', ",", "_,", "^"]), base_w))
    elif front == "ground":
        lines.append(repeat_to(r.choice(["_", "-", "=", "^", "_.", "~"]), base_w))
    sky = [r.choice(_SKY_SMALL + _SUN_CLOUDS) for _ in range(r.choice([0, 1, 1, 2, 3]))]
    if sky:
        lines = scatter(r, lines, sky, headroom=r.randint(2, 5))
    return signed(r, trim(lines), ["the peaks", "high country", "alpine", "above the clouds", "the range", "summit"])


# -- suns -----------------------------------------------------------------------

_SUN_DISCS = sprites(
    r"""
  .--.
 /    \
|      |
 \    /
  '--'
~~
   .-''-.
  /      \
 |        |
 |        |
  \      /
   '-..-'
~~
    _.--._
  .'      '.
 /          \
|            |
|            |
 \          /
  '.      .'
    '-..-'
~~
      _.---._
    .'       '.
   /           \
  |             |
  |             |
  |             |
   \           /
    '.       .'
      '-...-'
~~
  ,-~~-,
 (      )
(        )
 (      )
  '-~~-'
~~
   ______
  /      \
 |        |
 |        |
 |        |
  \______/
~~
   .-'''-.
  /       \
 |         |
  \       /
   '-...-'
~~
     .-'''-.
   .'       '.
  /           \
 |             |
 |             |
  \           /
   '.       .'
     '-...-'
~~
   _____
  /     \
 /       \
|         |
 \       /
  \_____/
~~
    .--''--.
   /        \
  ;          ;
  |          |
  ;          ;
   \        /
    '--..--'
~~
  .-.-.
 /     \
(       )
 \     /
  '-.-'
"""
)

_SUN_EYES = ("o  o", "^  ^", "-  -", "*  *", "0  0", "@  @", ">  <", "u  u", "'  '", "o  -", "=  =", "O  O")
_SUN_GLASSES = ("[#]-[#]", "(=)-(=)", "[o]-[o]", "(#)_(#)", "-=o=o=-")
_SUN_MOUTHS = ("\\__/", "____", "\\/", " o ", "'--'", "~~~", " v ", "\\_/", "(__)", "---", "\\___/")
_RAY_CHARS = {"up": "|:!'", "side": "-=~"}


def _sun_face(r: random.Random, inner: int) -> Sprite:
    if r.random() < 0.15:
        return []
    if r.random() < 0.15 and inner >= 8:
        eyes = r.choice(_SUN_GLASSES)
    else:
        eyes = r.choice(_SUN_EYES)
        if inner >= 10:
            eyes = eyes.replace("  ", "    ")
    mouth = r.choice(_SUN_MOUTHS)
    face = [eyes.center(inner).rstrip(), mouth.center(inner).rstrip()]
    if inner >= 10 and r.random() < 0.4:
        face.insert(1, ".".center(inner).rstrip() if r.random() < 0.5 else "<".center(inner).rstrip())
    return face


def _sun_body(r: random.Random) -> tuple[Canvas, int, int, int, int]:
    """A sun with its rays on a canvas; returns it and the disc's box (x, y, w, h)."""
    disc = r.choice(_SUN_DISCS)
    dw, dh = width(disc), len(disc)
    long_rays = r.randint(1, 4)
    vertical, side_len, diagonal = r.randint(1, long_rays), r.randint(1, long_rays + 2), r.randint(1, long_rays)
    style = r.choice(["full", "full", "short", "dots", "crown"])
    pad_x, pad_y = 2 * long_rays + 4, long_rays + 2
    canvas = Canvas(dw + 2 * pad_x, dh + 2 * pad_y)
    x, y = pad_x, pad_y
    canvas.put(disc, x, y, solid=True)
    inner = dw - 4
    face = _sun_face(r, inner)
    if face:
        canvas.put(face, x + 2, y + max(1, dh // 2 - len(face) // 2 - (1 if dh > 6 else 0)))
    cx, cy = x + dw // 2, y + dh // 2
    up_c, side_c = r.choice(_RAY_CHARS["up"]), r.choice(_RAY_CHARS["side"])
    if style in ("full", "short"):
        n = vertical if style == "full" else 1
        for k in range(n):
            canvas.put([up_c], cx, y - 1 - k)
            canvas.put([up_c if up_c != "'" else "|"], cx, y + dh + k)
        side = side_c * (side_len + 1 if style == "full" else 2)
        canvas.put([side], x - 1 - len(side), cy)
        canvas.put([side], x + dw + 1, cy)
        d = diagonal if style == "full" else r.randint(1, 2)
        for k in range(d):
            canvas.put(["\\"], x - k, y - k)
            canvas.put(["/"], x + dw - 1 + k, y - k)
            canvas.put(["/"], x - k, y + dh - 1 + k)
            canvas.put(["\\"], x + dw - 1 + k, y + dh - 1 + k)
        if style == "short" and dh >= 6:  # extra short rays between the long ones
            for dy in (-dh // 4, dh // 4):
                canvas.put([side_c * 2], x - 3, cy + dy)
                canvas.put([side_c * 2], x + dw + 1, cy + dy)
    elif style == "dots":
        dot = r.choice([".", "*", "'", "+", "o"])
        ring = min(long_rays, 2)
        for k in range(12):
            a = k * math.pi / 6
            px = int(round(cx + math.cos(a) * (dw / 2 + 2 * ring)))
            py = int(round(cy + math.sin(a) * (dh / 2 + ring)))
            canvas.put([dot], px, py)
    else:  # crown: zigzag rays hugging the disc above and below
        zig = repeat_to(r.choice(["/\\", "\\/", "^", "v^"]), dw + 2)
        canvas.put([zig], x - 1, y - 1)
        canvas.put([repeat_to(r.choice(["\\/", "/\\", "v"]), dw + 2)], x - 1, y + dh)
        canvas.put([side_c * 3], x - 4, cy)
        canvas.put([side_c * 3], x + dw + 1, cy)
    return canvas, x, y, dw, dh


def _sun(r: random.Random) -> Sprite:
    canvas, x, y, dw, dh = _sun_body(r)
    lines = trim(canvas.rows())
    scene = r.choice(["alone", "sunset", "hills", "sea", "clouds", "land", "land"])
    w = width(lines)
    if scene == "sunset":  # the lower part of the sun sinks behind the horizon
        rows = canvas.rows()
        horizon = y + dh // 2 + r.randint(0, dh // 3)
        top = trim(rows[:horizon])
        shift = min(len(line) - len(line.lstrip(" ")) for line in rows[:horizon] if line.strip())
        cx = x + dw // 2 - shift
        span = width(top) + r.randint(4, 16)
        left = max(0, (span - width(top)) // 2)
        top = [" " * left + line for line in top]
        cx += left
        water = [repeat_to(r.choice(["~", "-~", "~~-", "="]), span)]
        glint, wave = r.choice(["-", "=", "~"]), r.choice(["~", "-", "~~", ""])
        for k in range(r.randint(2, 4)):
            half = max(1, dw // 2 - 2 * k - 1)
            line = [" "] * span
            for col in range(max(0, cx - half), min(span, cx + half + 1)):
                line[col] = glint
            for col in range(k * 3 % 5, span, 7):
                if wave and abs(col - cx) > half + 2 and col + len(wave) <= span:
                    line[col : col + len(wave)] = list(wave)
            water.append("".join(line).rstrip())
        lines = top + water
    elif scene == "hills":
        hill_w = w + r.randint(0, 10)
        hills = Canvas(hill_w, 4)
        for _ in range(r.randint(1, 3)):
            h = r.randint(2, 4)
            hx = r.randint(0, max(0, hill_w - 2 * h))
            for k in range(h):
                hills.put(["/" + " " * (2 * k) + "\\"], hx + h - 1 - k, 4 - h + k)
        lines = lines + trim(hills.rows())[-4:] + [repeat_to(r.choice(["_", "^", '"', ".,", "_,"]), hill_w)]
    elif scene == "land":
        props = [r.choice(_SUN_LAND) for _ in range(r.randint(1, 3))]
        land = row_of(r, props, [], max_w=r.choice([30, 44, 60]), gaps=(2, 9))
        span = max(width(land), w) + r.randint(0, 8)
        at = r.randint(0, max(0, span - w))
        lines = [" " * at + line for line in lines]
        land_at = r.randint(0, max(0, span - width(land)))
        lines += [" " * land_at + line for line in land]
        lines.append(repeat_to(r.choice(["_", "~", "_.", ".,", "-", "^"]), span))
    elif scene == "sea":
        lines = lines + [repeat_to(r.choice(["~", "~-", "~^"]), w + r.randint(0, 8)) for _ in range(r.randint(1, 3))]
    elif scene == "clouds":
        cloud = r.choice(_SUN_CLOUDS)
        canvas.put(
            cloud,
            r.choice([x - width(cloud) // 2, x + dw - width(cloud) // 2]),
            y + dh - len(cloud) + r.randint(0, 2),
            solid=True,
        )
        lines = trim(canvas.rows())
    birds = [r.choice([["v"], ["\\/"], ["~v~"], [" v  v"], ["\\/ \\/"]]) for _ in range(r.choice([0, 0, 1, 2]))]
    if birds:
        lines = scatter(r, lines, birds, headroom=r.randint(0, 2))
    return signed(r, lines, ["good morning", "sunny day", "here comes the sun", "summer", "sunrise", "hello, sun"])


_SUN_CLOUDS = sprites(
    r"""
   .--.
.-(    ).
(___.__)__)
~~
    _  _
  _( `   )_
 (    )    `)
(_   (_ .  _)
  `--'`---'
~~
  .-~~~-.
 (       )__
(___________)
"""
)


_SUN_LAND = sprites(
    r"""
 __ _ __
/  | |  \
    )
    (
    )
~~
    _
   | |
 _ | |
| || | _
 \_  || |
   |  _/
   | |
~~
     /\
    /  \
   /    \
  /______\
~~
   ___
  /___\
    |
    |
~~
   /\
  /  \/\
 /    \ \
~~
  ,
 /|
/_|__
 \__/
~~
  ___
 /   \
/_____\
 |[] |
 |___|
~~
 \|/ \|/
~~
  ^  ^
 ^^^^^^
   ||
"""
)


# -- group B: objects & tech --------------------------------------------------

# -- houses ---------------------------------------------------------------------

_WINDOWS = (
    ["[]"],
    ["[+]"],
    ["|#|"],
    ["[_|_]"],
    ["+--+", "|  |", "+--+"],
    [" __ ", "|__|", "|__|"],
    ["[][]", "[][]"],
    ["|_|_|", "|_|_|"],
    [".--.", "|  |", "'--'"],
    ["(  )"],
    ["[ ]"],
    ["_____", "|_|_|", "|_|_|"],
)

_DOORS = sprites(
    r"""
 ___
|   |
|  o|
|   |
~~
 ___
|_|_|
|  .|
|   |
~~
 .-.
|   |
|o  |
|   |
~~
 ____
|    |
|   o|
|    |
|    |
~~
 __
|  |
|  |
~~
  _
 / \
|  o|
|   |
"""
)

_HOUSE_TREES = sprites(
    r"""
   &&&
  &&&&&
 &&&&&&&
  &&|&&
    |
    |
~~
   ###
  #####
 #######
   ||
   ||
~~
   ^
  /^\
 /^^^\
/^^^^^\
  | |
~~
  .-.
 (   )
(     )
 `-|-'
   |
~~
  @@
 @@@@
@@@@@@
  ||
~~
 \|/
--*--
 /|\

"""
)

_FENCE_UNITS = ("|_", "|-", "#_", "|=", "+-")


def _fence(r: random.Random, n: int) -> Sprite:
    unit = r.choice(_FENCE_UNITS)
    post = unit[0]
    top = repeat_to(unit[1] + unit[1] if unit[1] != "_" else "__", n)
    return [top, repeat_to(post + " ", n), repeat_to(post + unit[1], n)]


def _house_body(r: random.Random) -> Sprite:
    body_w = r.randint(10, 22)
    storeys = r.choice([1, 1, 1, 2, 2, 3]) if body_w > 14 else r.choice([1, 1, 2])
    window = r.choice(_WINDOWS)
    wh = len(window)
    storey_h = wh + r.choice([1, 2])
    door = r.choice(_DOORS)
    ground_h = max(len(door), storey_h)
    walls_h = (storeys - 1) * storey_h + ground_h + 1
    roof = r.choice(["gable", "gable", "flat", "hatched", "hip"])
    over = r.choice([0, 1, 1, 2])
    eave = body_w + 2 * over
    if roof == "flat":
        roof_h = 1
    else:
        roof_h = r.randint(2, min(5, max(2, eave // 2)))
    top_pad = 3  # room for a chimney and its smoke
    canvas = Canvas(eave + 2, top_pad + roof_h + 1 + walls_h)
    x0 = over  # the left wall's column
    y_walls = top_pad + roof_h + 1
    # roof
    if roof == "flat":
        canvas.put([" " * x0 + "_" * body_w], 0, y_walls - 2)
        canvas.put(["|" + r.choice(["_", "=", "-"]) * (body_w - 2) + "|"], x0, y_walls - 1)
    else:
        ridge = eave - 2 * roof_h
        fill = {"gable": " ", "hatched": r.choice(["/", "=", "_", "#", ":"]), "hip": r.choice([" ", ".", "-"])}[roof]
        if ridge > 0:
            canvas.put(["_" * ridge], roof_h, top_pad)
        for i in range(roof_h):
            inner = ridge + 2 * i
            fill_i = "_" if i == roof_h - 1 else fill
            canvas.put(["/" + fill_i * inner + "\\"], roof_h - 1 - i, top_pad + 1 + i)
        if ridge <= 0 and roof_h >= 4 and r.random() < 0.6:  # an attic window under the apex
            attic = r.choice(["()", "<>", "[]", "o"])
            canvas.put([attic], eave // 2 - len(attic) // 2, top_pad + roof_h - 1)
        if r.random() < 0.6:  # chimney
            cx = r.choice([roof_h // 2 + 1, eave - roof_h // 2 - 3])
            cy = top_pad + 1 + max(0, min(roof_h - 2, (cx if cx < eave // 2 else eave - cx - 2) - roof_h + 1))
            chimney = ["|_|"] if r.random() < 0.5 else ["[]"]
            smoke = r.choice([[" (", "  )", " ("], ["  ~", " ~"], [" .", "  o", " O"], []])
            col = roof_h - 1 - (cy - top_pad - 1)
            if 0 <= cy - top_pad - 1 < roof_h and cx > col and cx + 2 < eave - col:
                canvas.put(smoke + chimney, cx, cy - len(smoke) - len(chimney) + 1, solid=True)
    # walls, storey by storey from the top
    wall = ["|" + " " * (body_w - 2) + "|"] * walls_h
    canvas.put(wall, x0, y_walls, solid=True)
    ww = width(window)
    slots = max(1, (body_w - 2) // (ww + r.choice([2, 3, 4])))
    spacing = (body_w - 2 - slots * ww) // (slots + 1)
    for s in range(storeys):
        y = y_walls + s * storey_h + 1 - (1 if wh > 2 else 0)
        is_ground = s == storeys - 1
        door_x = None
        if is_ground:
            door_x = r.randint(2, max(2, body_w - width(door) - 2))
            canvas.put(door, x0 + door_x, y_walls + walls_h - len(door), solid=True)
        for k in range(slots):
            wx = 1 + spacing + k * (ww + spacing)
            if door_x is not None and wx < door_x + width(door) + 1 and door_x < wx + ww + 1:
                continue
            canvas.put(window, x0 + wx, y + (ground_h - storey_h if is_ground else 0))
        if s < storeys - 1 and r.random() < 0.4:
            canvas.put(["|" + "-" * (body_w - 2) + "|"], x0, y_walls + (s + 1) * storey_h)
    floor = canvas.grid[y_walls + walls_h - 1]
    for col in range(x0 + 1, x0 + body_w - 1):
        if floor[col] == " ":
            floor[col] = "_"
    return trim(canvas.rows())


def _house(r: random.Random) -> Sprite:
    houses = [_house_body(r) for _ in range(r.choice([1, 1, 1, 1, 2, 2, 3]))]
    props = []
    for _ in range(r.choice([0, 1, 1, 2, 3])):
        kind = r.random()
        if kind < 0.6:
            props.append(r.choice(_HOUSE_TREES))
        else:
            props.append(_fence(r, r.randint(5, 14)))
    scene = row_of(r, houses, props, max_w=r.choice([30, 40, 50, 64]), gaps=(1, 5))
    w = width(scene)
    if r.random() < 0.75:
        scene.append(repeat_to(r.choice(["_", "^", '"', "~", ",", "_.", ".:", "-"]), w + r.randint(0, 6)))
    sky = [r.choice(_SKY_SMALL) for _ in range(r.choice([0, 0, 1, 1, 2]))]
    if sky:
        scene = scatter(r, scene, sky, headroom=r.randint(1, 3))
    return signed(r, scene, ["home sweet home", "no place like home", "~ home ~", "the old house", "for sale"])


# -- boats ----------------------------------------------------------------------

_WAVES = ("~", "~^", "~-", "-~~", "~~'", ".~", "~ ", "^~^", "_~")
_GULLS = sprites(
    r"""
\/
~~
 v
~~
\_/
~~
~v~
~~
 ,_,
"""
)

_SEA_THINGS = sprites(
    r"""
    _
  _( )_
 (_____)
~~
      ,  ,
 __/\/\/\__
~~
   ^
  /_\
  |_|
  | |
 _|_|_
~~
   __
 _|__|_
|______|
~~
 ><>
~~
   _|\_
~~
 \|/
 -O-
 /|\
~~
  _
 | |
 |_|
/___\
"""
)


def _sail_boat(r: random.Random) -> Sprite:
    masts = r.choice([1, 1, 1, 2, 2, 3])
    hull_len = r.randint(12, 20) + 6 * (masts - 1)
    canvas = Canvas(hull_len + 12, 24)
    base = 18  # the deck row
    spacing = hull_len // (masts + 1)
    jib = r.random() < 0.6
    sail_fill = r.choice([" ", " ", " ", ".", ":", "~"])
    banded = r.random() < 0.3
    square = r.random() < 0.25
    tallest = 0
    for m in range(masts):
        x = 4 + spacing * (m + 1) - (spacing // 2 if masts > 1 else 0)
        h = r.randint(4, 10) - (1 if m != masts // 2 and masts == 3 else 0)
        tallest = max(tallest, h)
        for y in range(base - h - 1, base):
            canvas.put(["|"], x, y)
        if r.random() < 0.5:
            canvas.put([r.choice(["|>", "|~", "|>>", "|="])], x, base - h - 2)
        if square:  # square-rigged: rows of yards and sails across the mast
            sw = r.choice([3, 4, 5])
            rows = h - 1
            for i in range(rows):
                line = "+" + "-" * (2 * sw - 1) + "+" if i % 3 == 0 else "(" + " " * (2 * sw - 1) + ")"
                if i % 3 != 0 and banded:
                    line = "(" + "=" * (2 * sw - 1) + ")"
                canvas.put([line[:sw] + "|" + line[sw + 1 :]], x - sw, base - h + i, solid=True)
        else:
            sh = h - 1
            for i in range(sh):
                fill = "=" if banded and i % 3 == 2 else sail_fill
                if i == sh - 1:
                    canvas.put(["|" + "_" * (i + 1) + "\\"], x, base - sh + i)
                else:
                    canvas.put(["|" + fill * i + "\\"], x, base - sh + i)
            if jib and m == 0:
                jh = max(2, sh - r.randint(1, 3))
                for i in range(jh):
                    fill = "_" if i == jh - 1 else sail_fill
                    canvas.put(["/" + fill * i], x - 1 - i, base - jh + i)
    hull = r.choice(["plain", "under", "portholes", "double", "stripe"])
    depth = 1 if hull in ("plain", "under") else 2
    if hull == "plain":
        rows = ["\\" + "_" * (hull_len - 2) + "/"]
    elif hull == "under":
        rows = ["\\" + r.choice(["=", "_", "-", "o"]) * (hull_len - 2) + "/"]
    elif hull == "portholes":
        holes = repeat_to(r.choice(["o  ", "o ", "()  ", "[] "]), hull_len - 4)
        rows = ["\\" + " " + holes + " " + "/", " \\" + "_" * (hull_len - 4) + "/"]
    elif hull == "double":
        rows = ["\\" + "_" * (hull_len - 2) + "/", " \\" + "_" * (hull_len - 4) + "/"]
    else:
        rows = ["\\" + "=" * (hull_len - 2) + "/", " \\" + "_" * (hull_len - 4) + "/"]
    deck = "_" * (hull_len + 2)
    canvas.put([deck], 2, base)
    canvas.put(rows, 3, base + 1, solid=True)
    lines = trim(canvas.rows()[: base + 1 + depth])
    return lines


def _steam_boat(r: random.Random) -> Sprite:
    hull_len = r.randint(16, 30)
    funnels = r.choice([1, 2, 2, 3])
    cabin_w = min(hull_len - 6, r.randint(8, 18))
    canvas = Canvas(hull_len + 8, 14)
    deck = 9
    cx = 3 + r.randint(2, max(2, hull_len - cabin_w - 4))
    windows = repeat_to(r.choice(["o ", "[] ", "# ", "|_", "()"]), cabin_w - 3)
    canvas.put([" " + "_" * (cabin_w - 2), "|" + " " + windows.ljust(cabin_w - 3) + "|"], cx, deck - 2, solid=True)
    for f in range(funnels):
        fx = cx + 1 + f * 4
        if fx + 2 >= cx + cabin_w:
            break
        smoke = r.choice([["  (", "   )", "  ("], [" ~", "  ~"], [" .o", "  O"], [" ,"]])
        tall = r.randint(1, 3)
        canvas.put(smoke + ["|~|" if r.random() < 0.5 else "| |"] * tall, fx, deck - 2 - tall - len(smoke))
    holes = repeat_to(r.choice(["o  ", "o ", "()  ", "[]  ", "0   "]), hull_len - 4)
    rows = ["_" * (hull_len + 2), "\\ " + holes.rstrip().ljust(hull_len - 1) + "/", " \\" + "_" * (hull_len - 2) + "/"]
    if r.random() < 0.5:
        rows[1] = "\\" + r.choice(["=", "-", "_"]) * hull_len + "/"
    canvas.put(rows, 2, deck, solid=True)
    return trim(canvas.rows())


def _small_boat(r: random.Random) -> Sprite:
    kind = r.choice(["row", "canoe", "paper", "dinghy"])
    n = r.randint(8, 16)
    if kind == "row":
        who = r.choice(["o", "O", "@"])
        oar = r.choice(["=", "-", "~"])
        return [" " * (n // 2 + 2) + who, " " * (n // 2 + 1) + "/|\\", oar * 2 + "\\" + "_" * (n - 2) + "/" + oar * 2]
    if kind == "canoe":
        k = n // 3
        return [
            " " * k + "o" + " " * k + "o",
            " " * (k - 1) + "/|\\" + " " * (k - 2) + "/|\\",
            "`-" + "=" * (n - 2) + "-'",
        ]
    if kind == "paper":
        k = n // 2
        return [
            " " * k + "/\\",
            " " * (k - 1) + "/  \\",
            "_" * (k - 2) + "/____\\" + "_" * (k - 2),
            "\\" + " " * (2 * k) + "/",
            " \\" + "_" * (2 * k - 2) + "/",
        ]
    h = r.randint(3, 5)
    lines = [" " * (n // 2) + "|" + " " * i + "\\" for i in range(h)]
    lines += [" " * (n // 2) + "|" + "_" * h + "\\", "\\" + "_" * (n + 2) + "/"]
    return lines


def _boat(r: random.Random) -> Sprite:
    kind = r.choice(["sail", "sail", "sail", "steam", "small"])
    boats = [{"sail": _sail_boat, "steam": _steam_boat, "small": _small_boat}[kind](r)]
    if r.random() < 0.3:
        boats.append(r.choice([_sail_boat, _small_boat])(r))
    boats = [mirror(b) if r.random() < 0.4 else b for b in boats]
    props = [r.choice(_SEA_THINGS) for _ in range(r.choice([0, 0, 1, 1, 2]))]
    scene = row_of(r, boats, props, max_w=r.choice([30, 44, 60]), gaps=(2, 8))
    w = width(scene) + r.randint(0, 8)
    for _ in range(r.choice([1, 1, 2, 3])):
        scene.append(repeat_to(r.choice(_WAVES), w).rstrip())
        w -= r.randint(0, 4)
    sky = [r.choice(_GULLS) for _ in range(r.choice([0, 1, 2, 3]))]
    if r.random() < 0.3:
        sky.append(r.choice(_SKY_SMALL))
    if sky:
        scene = scatter(r, scene, sky, headroom=r.randint(1, 3))
    return signed(r, scene, ["bon voyage", "ahoy!", "set sail", "fair winds", "out at sea", "the harbour"])


# -- rockets ---------------------------------------------------------------------


def _one_rocket(r: random.Random) -> Sprite:
    bw = r.choice([2, 4, 4, 6, 6, 8])  # inner width of the body
    bh = r.randint(3, 9)
    lines: list[str] = []
    fin = r.choice([0, 1, 2, 3])  # fin reach beyond the body
    x = fin + 1  # the body's left wall
    nose = r.choice(["point", "point", "round", "needle"])
    if nose == "needle":
        lines.append(" " * (x + bw // 2) + r.choice(["|", "!", "i"]))
    if nose == "round":
        lines.append(" " * (x + 1) + "_" * bw)
        lines.append(" " * x + "/" + " " * bw + "\\")
    else:
        for i in range(bw // 2 + 1):
            lines.append(" " * (x + bw // 2 - i) + "/" + " " * (2 * i) + "\\")
    window = r.choice(["()", "[]", "<>", "oo", "(o)", "O", "@"])
    stripe = r.choice(["=", "-", "#", "~", "_"])
    windows_at = {r.randrange(bh) for _ in range(r.randint(1, 2))}
    stripes_at = {r.randrange(bh) for _ in range(r.randint(0, 2))} - windows_at
    for i in range(bh):
        if i in windows_at and len(window) <= bw:
            inner = window.center(bw)
        elif i in stripes_at:
            inner = stripe * bw
        else:
            inner = " " * bw
        lines.append(" " * x + "|" + inner + "|")
    for i in range(fin):  # fins along the last rows
        row = len(lines) - fin + i
        left = " " * (x - 1 - i) + "/" + " " * i
        lines[row] = left + lines[row][x:] + " " * i + "\\"
    if fin:
        last = lines[-1]
        lines[-1] = last[: x - fin] + "/" + "_" * (fin - 1) + last[x : x + bw + 2] + "_" * (fin - 1) + "\\"
    lines.append(
        " " * (x + 1) + r.choice(["\\" + "_" * (bw - 2) + "/", "/" + "_" * (bw - 2) + "\\", "|" + "_" * (bw - 2) + "|"])
        if bw > 2
        else " " * (x + 1) + "||"
    )
    flame = r.choice(["\\/", "()", "''", "**", "||", "{}", "^^", "))", "::"])
    for k in range(r.randint(0, 4)):
        width_k = max(1, bw - 2 * k)
        body = repeat_to(flame, width_k) if width_k > 1 else flame[0]
        lines.append(" " * (x + 1 + (bw - width_k) // 2) + body)
    return lines


_SPACE_THINGS = sprites(
    r"""
   _____
  /     \
 |  o   .|
==========
 |   O   |
  \_____/
~~
    .-.
   ( . )
    `-'
~~
  *
~~
 .
~~
  +
~~
    _..._
  .'     '.
 /  o   .  \
|     O     |
 \  .    o /
  '._____.'
~~
 -=*=-
~~
  |\
 =|=>
  |/
~~
  .  *
~~
 *   .
"""
)

_PAD_THINGS = sprites(
    r"""
 |X|
 |X|
 |X|
 |X|
 |X|
_|X|_
~~
 |\|
 |/|
 |\|
 |/|
_|\|_
~~
 ___
|___|
| o |
~~
 [==]
 |  |
~~
   (
  ) )
 (   )
(_____)
"""
)


def _rocket(r: random.Random) -> Sprite:
    setting = r.choice(["space", "space", "pad", "pad", "duo"])
    rockets = [_one_rocket(r)]
    if setting == "duo":
        rockets.append(_one_rocket(r))
    if setting == "pad":
        props = [r.choice(_PAD_THINGS) for _ in range(r.randint(1, 2))]
        scene = row_of(r, rockets, props, max_w=r.choice([30, 44, 60]), gaps=(1, 5))
        w = width(scene) + r.randint(2, 10)
        smoke = r.choice(["  (  )  ( )  (", "(__)(__)", " .oO(  )Oo. ", ""])
        if smoke:
            scene.append(smoke.center(w).rstrip())
        scene.append(repeat_to(r.choice(["_", "=", "#", "-", "_|"]), w))
    else:
        scene = (
            row_of(
                r,
                rockets,
                [],
                max_w=60,
                gaps=(3, 10),
            )
            if len(rockets) > 1
            else rockets[0]
        )
        stars = [r.choice(_SPACE_THINGS) for _ in range(r.randint(2, 7))]
        w = max(width(scene) + r.randint(6, 30), 24)
        at = r.randint(0, w - width(scene))
        scene = [" " * at + line for line in scene]
        scene[0] = scene[0].ljust(w)
        scene = scatter(r, scene, stars, headroom=r.randint(0, 3), tries=20)
    return signed(r, scene, ["3.. 2.. 1..", "liftoff!", "to the moon", "blast off", "ad astra", "houston?"])


# -- swords ----------------------------------------------------------------------

_POMMELS = ("O", "()", "<>", "@", "o", "[]", "{}", "/\\", "(@)", "<o>")
_GRIPS = ("||", "##", "XX", "}{", "][", "::", "88", "/\\", "||")
_GUARDS = (
    "o==[]==o",
    "<==||==>",
    "_\\||/_",
    "]=||=[",
    "{=||=}",
    "(==||==)",
    "\\_||_/",
    "-=||=-",
    "@==||==@",
    "===||===",
)
_BLADES = ("||", "||", "|'|", "| |", "|:|", "|", "||")


def _vertical_sword(r: random.Random) -> Sprite:
    blade = r.choice(_BLADES)
    length = r.randint(3, 5) if r.random() < 0.2 else r.randint(5, 11)  # a dagger now and then
    guard = r.choice(_GUARDS)
    if len(blade) != 2:
        guard = guard.replace("||", blade if len(blade) == 3 else "|")
    mid = len(guard) / 2
    curve = r.choice([0, 0, 0, 1, 2, 3])  # a sabre's blade bends towards its tip

    def centred(text: str, shift: int = 0) -> str:
        return " " * max(0, int(round(mid - len(text) / 2)) + shift) + text

    shifts = [round(curve * ((length - i) / length) ** 2) for i in range(length + 1)]  # row 0 is the tip
    tip = {1: "^", 2: "/\\", 3: "/^\\"}[len(blade)] if r.random() < 0.8 else {1: "'", 2: "\\/", 3: "\\ /"}[len(blade)]
    rows = [centred(tip, shifts[0])]
    for i in range(length):
        bent = shifts[i] != shifts[i + 1]
        rows.append(centred(blade.replace("|", "/") if bent else blade, shifts[i + 1] if bent else shifts[i]))
    grip = (
        r.choice(_GRIPS) if len(blade) == 2 else r.choice(["|", "#", "X", "$"]) * (len(blade) if len(blade) == 3 else 1)
    )
    rows += [guard] + [centred(grip)] * r.randint(1, 3) + [centred(r.choice(_POMMELS))]
    if r.random() < 0.4:  # point down: the sword upside down
        flip = str.maketrans("/\\^v", "\\/v^")
        rows = [row.translate(flip) for row in reversed(rows)]
    return rows


def _horizontal_sword(r: random.Random, longest: int = 34, turn: bool = True) -> Sprite:
    """A sword lying down, pointing right (or, if ``turn``, now and then left)."""
    length = r.randint(8, longest)
    pommel = r.choice(["O", "()", "<>", "@", "o", "{}"])
    grip = r.choice(["===", "###", "xxx", "~~~", "}}}", "---"])[: r.randint(2, 3)]
    wide = r.random() < 0.5
    guard = r.choice([("|", "|"), ("[", "]"), ("#", "#"), ("{", "}"), ("<", ">"), ("%", "%")])
    if wide:
        top = " " * (len(pommel) + len(grip)) + guard[0] + "_" * length
        mid = pommel + grip + guard[0] + r.choice(["_", "=", " ", "-"]) * length + r.choice([">", "\\", "`>"])
        bottom = " " * (len(pommel) + len(grip)) + guard[1]
        lines = [top, mid, bottom]
    else:
        lines = [pommel + grip + guard[0] + r.choice(["=", "-", "~"]) * length + r.choice([">", "-", "->"])]
    return mirror(lines) if turn and r.random() < 0.4 else lines


def _crossed_swords(r: random.Random) -> Sprite:
    """Two swords crossed in an X: blades meet, pass, then guards, grips and pommels."""
    n = r.randint(4, 10)  # blade rows above the crossing
    m = r.randint(2, 4)  # blade rows below it
    guard = r.choice([("_", "_"), ("=", "="), ("o", "o"), ("[", "]"), ("<", ">"), ("-", "-")])
    grip = r.choice(["//", "##", "%%", "XX", "::"])
    pommel = r.choice(["()", "O", "@", "<>", "o"])
    rows = []
    for k in range(n):  # above the crossing: the right-leaning blade on the left
        rows.append(" " * (k + 2) + "\\\\" + " " * (2 * (n - 1 - k)) + "//")
    for k in range(n, n + m):  # below it the two have passed each other
        left, right = 2 * n - 1 - k, k + 1
        rows.append(" " * (left + 2) + "//" + " " * (right - left - 2) + "\\\\")
    k = n + m
    left, right = 2 * n - 1 - k, k + 1
    rows.append(" " * (left + 1) + guard[0] + "//" + guard[1] + " " * (right - left - 4) + guard[0] + "\\\\" + guard[1])
    for _ in range(r.randint(1, 2)):
        k += 1
        left, right = 2 * n - 1 - k, k + 1
        mirror_grip = grip.replace("/", "\\")
        rows.append(" " * (left + 2) + grip + " " * (right - left - 2) + mirror_grip)
    k += 1
    left, right = 2 * n - 1 - k, k + 1
    rows.append(" " * (left + 2) + pommel + " " * (right - left - 1 - len(pommel) + 1) + pommel)
    return trim(rows)


_SWORD_THINGS = sprites(
    r"""
 _______
|   |   |
|---+---|
|   |   |
 \  |  /
  \ | /
   \|/
~~
  ____
 / /\ \
| |  | |
 \ \/ /
  \  /
   \/
~~
   .--.
  / /\ \
 | (  ) |
  \ \/ /
   '--'
~~
   _____
  /     \
 |   O   |
  \_____/
~~
 /\_/\
|  X  |
 \ | /
  \|/
~~
   ____
  /    \
 | [==] |
 |  ||  |
  \_||_/
~~
 |>>>
 |
 |
 |
_|_
~~
  ____
 (____)
 |    |
 | ~~ |
 | ~~ |
 (____)
~~
  (
  )\
 (__)
  ||
  ||
~~
  ___
 (___)
(_____)
(_$$$_)
"""
)


def _sword(r: random.Random) -> Sprite:
    setting = r.choice(["rack", "rack", "single", "stone", "crossed", "horizontal", "shield", "duel"])
    if setting == "duel":  # two blades meet point to point
        left = _horizontal_sword(r, longest=22, turn=False)
        right = mirror(_horizontal_sword(r, longest=22, turn=False))
        spark = r.choice(
            [["\\|/", "-*-", "/|\\"], [" . ", "*X*", " ' "], ["\\ /", " X ", "/ \\"], [" * ", "*+*", " * "]]
        )
        parts = [left, spark, right]
        tallest = max(len(p) for p in parts)
        scene = beside(parts, [0, 0], drop=[(tallest - len(p)) // 2 for p in parts])
        scene.append(repeat_to(r.choice(["_", "~", "=", "-", "_.", "^"]), width(scene) + r.randint(0, 6)))
    elif setting == "crossed":
        scene = _crossed_swords(r)
        if r.random() < 0.45:  # a coat of arms: a shield over the crossing
            shield = r.choice(_SWORD_THINGS[:4])
            canvas = Canvas(width(scene), len(scene))
            canvas.put(scene, 0, 0)
            cross = next(i for i, row in enumerate(scene) if "\\//" in row or "\\/" in row)
            canvas.put(shield, (width(scene) - width(shield)) // 2, max(0, cross - len(shield) // 2), solid=True)
            scene = trim(canvas.rows())
        elif r.random() < 0.4:
            prop = r.choice(_SWORD_THINGS)
            scene = above(scene, prop) if r.random() < 0.5 else beside([scene, prop], [r.randint(2, 6)])
        if r.random() < 0.4:  # a ribbon with a motto
            motto = r.choice(["FOR HONOUR", "NEVER YIELD", "STEEL TRUE", "ONWARD", "FORTUNE FAVOURS", "EN GARDE"])
            ribbon = [" _" + "_" * (len(motto) + 2) + "_", "<_| " + motto + " |_>"]
            scene = scene + [" " * max(0, (width(scene) - width(ribbon)) // 2) + line for line in ribbon]
    elif setting == "horizontal":
        swords = [_horizontal_sword(r) for _ in range(r.randint(1, 4))]
        scene = []
        for s in swords:
            indent = r.randint(0, 8)
            scene += [" " * indent + line for line in s] + [""] * r.randint(0, 1)
        scene = trim(scene)
        if r.random() < 0.7 or len(scene) < 3:  # on the wall, in a frame
            w = width(scene) + 4
            edge = r.choice([("|", "_"), ("#", "#"), ("[", "="), ("|", "=")])
            inner = [""] * r.randint(0, 1) + ["  " + line for line in scene] + [""] * r.randint(0, 1)
            top = " " + edge[1] * w if edge[1] != "#" else "#" * (w + 2)
            close = {"[": "]"}.get(edge[0], edge[0])
            scene = [top] + [edge[0] + line.ljust(w) + close for line in inner]
            scene.append(edge[0] + edge[1] * w + close)
    else:
        count = {"rack": r.randint(2, 5), "single": 1, "stone": 1, "shield": r.randint(1, 2)}[setting]
        swords = [_vertical_sword(r) for _ in range(count)]
        props = [r.choice(_SWORD_THINGS) for _ in range(1 if setting == "shield" else r.choice([0, 0, 1, 2]))]
        scene = row_of(r, swords, props, max_w=r.choice([30, 44, 60]), gaps=(1, 5))
        if setting == "rack":
            w = width(scene) + 4
            scene = [" " * 2 + line for line in scene]
            bar = r.choice(["=", "#", "-", "_"])
            scene.insert(len(scene) // 3, repeat_to(bar, w))
            scene.append(repeat_to(bar, w))
            scene.append(r.choice(["|", "||"]) + " " * (w - 4) + r.choice(["|", "||"]))
        elif setting == "stone":  # point down, sunk in a rock
            if scene[0].strip() in ("^", "/\\", "/^\\", "'", "\\/", "\\ /"):
                flip = str.maketrans("/\\^v", "\\/v^")
                scene = [row.translate(flip) for row in reversed(scene)]
            w = width(scene)
            lift = r.randint(2, 4)
            scene = scene[:-lift] if len(scene) > lift + 4 else scene
            pad = r.randint(6, 10)
            scene = [" " * pad + line for line in scene]
            moss = r.choice(["^", "_", "~", ".", "'"])
            scene += [
                " " * (pad - 2) + "_/" + moss * w + "\\_",
                " " * (pad - 4) + "/" + " " * (w + 6) + "\\",
                " " * (pad - 6) + "/" + "_" * (w + 10) + "\\",
            ]
        elif setting == "single":  # hung on a plaque, or standing on a plinth
            w = width(scene)
            span = r.randint(max(15, w + 6), max(15, w + 6) + 10)
            pad = (span - w) // 2
            scene = [" " * pad + line for line in scene]
            if r.random() < 0.5:
                scene = (
                    [" " + "_" * (span - 2)]
                    + ["|" + line[1:].ljust(span - 2) + "|" for line in scene]
                    + ["|" + "_" * (span - 2) + "|"]
                )
            else:
                scene += [" " * (pad - 2) + "_" * (w + 4), "[" + "_" * (span - 2) + "]"]
    return signed(r, scene, ["en garde!", "excalibur", "the blade", "for honour", "sharp!", "the armoury"])


# -- cars ------------------------------------------------------------------------

_WHEELS = ("(_)", "(O)", "(o)", "(@)", "(0)", "(*)", "(=)")


def _one_car(r: random.Random) -> Sprite:
    kind = r.choice(["sedan", "sedan", "hatch", "pickup", "van", "bus", "racer", "beetle"])
    wheel = r.choice(_WHEELS)
    cab = {"bus": r.randint(18, 30), "van": r.randint(10, 16), "pickup": r.randint(5, 7)}.get(kind, r.randint(7, 13))
    trunk = {"hatch": 1, "van": 1, "bus": 1, "pickup": r.randint(7, 11), "beetle": 2}.get(kind, r.randint(3, 6))
    hood = {"bus": 1, "van": 2, "racer": r.randint(6, 10)}.get(kind, r.randint(3, 7))
    length = trunk + cab + hood + 2
    panes = max(1, cab // r.choice([4, 5, 6]))
    glass = r.choice([" ", " ", "_", "="])
    pane_w = max(1, (cab - (panes - 1)) // panes)
    win = "|".join([glass * pane_w] * panes).ljust(cab, glass)[:cab]
    lines: list[str] = []
    if r.random() < 0.25 and kind in ("sedan", "hatch", "van"):  # something on the roof
        lines.append(" " * (trunk + 1 + cab // 2 - 2) + r.choice(["[___]", "[o]", "[TAXI]", "_/\\_", "/"]))
    if kind in ("van", "bus"):
        lines.append(" " + "_" * (length - 2))
        lines.append("|" + (" " + win).ljust(length - 2) + "|")
        lines.append("|" + " " * (length - 2) + r.choice(["|", ">", ")"]))
    elif kind == "pickup":
        lines.append(" " * (trunk + 2) + "_" * cab)
        lines.append(" " * (trunk + 1) + "|" + win + "\\" + "_" * (hood - 1))
        lines.append("|" + "_" * (trunk - 1) + "|" + " " * (cab + hood) + r.choice(["|", ">", ")"]))
    elif kind == "beetle":
        lines.append(" " * (trunk + 2) + "_" * (cab - 2))
        lines.append(" " * (trunk + 1) + "/" + win[: cab - 2] + "\\")
        lines.append(" " + "/" + " " * (trunk - 1) + "|" + " " * (cab - 2) + "|" + " " * (hood - 1) + "\\")
        lines.append("|" + " " * (length - 2) + "|")
    else:
        rear = "|" if kind == "hatch" else "/"
        lines.append(" " * (trunk + 1) + "_" * cab)
        lines.append(" " + "_" * (trunk - 1) + rear + win + "\\" + "_" * (hood - 1))
        lines.append("|" + " " * (length - 2) + r.choice(["|", ">", ")", "\\"]))
    body = list(lines[-1])
    light = r.choice(["o", "=", "*", "D", "]"])
    body[-2] = light if len(body) > 3 else body[-2]
    if r.random() < 0.6 and len(body) > trunk + cab // 2 + 2:
        body[trunk + cab // 2 + 1] = r.choice(["_", "-", "o", "|"])  # a door handle or seam
    lines[-1] = "".join(body)
    if kind == "racer" or r.random() < 0.15:
        stripe = repeat_to(r.choice(["=", "-", "~"]), length - 4)
        lines.insert(len(lines) - 1, "|" + " " + stripe + " " + "|")
    rear, front = max(0, trunk // 2 - 1), max(0, hood // 2 - 1)
    gap = max(1, length - 10 - rear - front)
    lines.append("'-" + "-" * rear + wheel + "-" * gap + wheel + "-" * front + "-'")
    if r.random() < 0.3:  # headlight beam
        lines[-2] = lines[-2] + " " + r.choice(["=-", "-=", "~"])
    return lines


_ROAD_THINGS = sprites(
    r"""
 ___
|STOP|
 \__/
  ||
  ||
~~
 .-.
 |o|
 |o|
 |o|
 '-'
  |
~~
   _
  / \
 /   \
  | |
~~
  __
 |  |
 |__|
  ||
~~
 _____
|  P  |
|_____|
   |
~~
  ___
 |[ ]|
 |   |
 |___|
  | |
"""
)


def _car(r: random.Random) -> Sprite:
    cars = [_one_car(r) for _ in range(r.choice([1, 1, 1, 2, 2, 3]))]
    if r.random() < 0.4:  # exhaust behind the first car
        cars[0] = beside([[r.choice(["o O", "~ ~", ". o O", "~~", "o0"])], cars[0]], [1])
    facing = r.random() < 0.3
    cars = [mirror(c) if facing else c for c in cars]
    props = [r.choice(_ROAD_THINGS + _HOUSE_TREES) for _ in range(r.choice([0, 0, 1, 1, 2]))]
    scene = row_of(r, cars, props, max_w=r.choice([36, 50, 66]), gaps=(2, 7))
    w = min(72, width(scene) + r.randint(0, 8))
    road = r.choice(["plain", "dashes", "double", "none"])
    if road != "none":
        scene.append(repeat_to(r.choice(["=", "_", "-", "~"]), w) if road != "plain" else "_" * w)
        if road == "dashes":
            scene.append(repeat_to(r.choice(["- ", "--  ", "=  ", " _ "]), w))
        elif road == "double":
            scene.append(repeat_to("=", w))
    sky = [r.choice(_SKY_SMALL) for _ in range(r.choice([0, 0, 1, 2]))]
    if sky:
        scene = scatter(r, scene, sky, headroom=r.randint(1, 3))
    return signed(r, trim(scene), ["vroom!", "road trip", "beep beep", "sunday drive", "traffic", "just washed"])


# -- robots ----------------------------------------------------------------------

_ROBOT_EYES = ("o o", "O O", "0 0", "* *", "- -", "[] []", "@ @", "^ ^", "=  =", "<> <>", "o  O", "x x", "# #")
_ROBOT_MOUTHS = ("___", "===", "---", "vvv", "[=]", "|||", "~~~", "\\_/", "ooo", "[___]", "-=-", "###")


def _one_robot(r: random.Random) -> Sprite:
    hw = r.choice([5, 5, 7, 7, 9])  # inner width of the head
    bw = hw + r.choice([0, 2, 4])  # inner width of the body
    bx = 4  # the body's left wall (room for arms)
    hx = bx + (bw - hw) // 2  # the head's left wall
    lines: list[str] = []
    shape = r.choice(["box", "box", "round", "dome"])
    antenna = r.choice(["|", "o", "Y", "\\|/", "T", "*", "||", ""])
    if antenna:
        top = antenna if len(antenna) > 1 or antenna == "|" else antenna + "\n|"
        for part in top.split("\n") if "\n" in top else [antenna, "|"] if len(antenna) == 1 else [antenna]:
            lines.append(" " * (hx + 1 + hw // 2 - len(part) // 2) + part)
    opening, closing = {"box": ("[", "]"), "round": ("(", ")"), "dome": ("|", "|")}[shape]
    if shape == "dome":
        lines.append(" " * (hx + 1) + "." + "-" * (hw - 2) + ".")
        lines.append(" " * hx + "/" + " " * hw + "\\")
    else:
        lines.append(" " * (hx + 1) + "_" * hw)
    eyes = r.choice(_ROBOT_EYES)
    if r.random() < 0.15:
        eyes = "[" + "=" * (hw - 4) + "]"  # a visor
    face_rows = [eyes.center(hw), r.choice(_ROBOT_MOUTHS).center(hw)]
    if hw >= 9 and r.random() < 0.4:
        face_rows.insert(1, r.choice([".", "^", "<", "|"]).center(hw))
    side = r.choice(["", "", "=", "-", "o"])
    for i, row in enumerate(face_rows):
        ears = (side, side) if i == 0 and side else ("", "")
        lines.append(" " * (hx - len(ears[0])) + ears[0] + opening + row + closing + ears[1])
    lines.append(" " * hx + opening + "_" * hw + closing if shape != "round" else " " * hx + "(" + "_" * hw + ")")
    neck = r.choice(["||", "|=|", "", "][", "II"])
    if neck:
        lines.append(" " * (bx + 1 + bw // 2 - len(neck) // 2) + neck)
    lines.append(" " * (bx + 1) + "_" * bw)
    bh = r.randint(2, 4)
    panel = r.choice(["o o o", "[::]", "(+)", "<3", "[#]", "|||", "o-o", "[ON]", ":::", "(@)", "[==]", ""])
    arms = r.choice(["down", "down", "up", "out", "claws"])
    hand = r.choice(["o", "@", "C", "E", "#", "m", "[]"])
    for i in range(bh):
        inner = panel.center(bw) if i == 1 and panel and len(panel) <= bw else " " * bw
        if i == bh - 1:
            inner = "_" * bw
        left, right = "|", "|"
        if arms == "out" and i == 0:
            left, right = "-=|", "|=-"
        lines.append(" " * (bx + 1 - len(left)) + left + inner + right)
    last = len(lines) - 1
    if arms == "down":  # arms hang beside the body
        for k in range(bh - 1):
            row = last - bh + 1 + k
            lines[row] = " " * (bx - 2) + "| " + lines[row][bx:] + " |"
        lines.insert(last + 1, " " * (bx - 2) + hand.ljust(2) + " " * (bw + 3) + hand)
    elif arms == "up":
        row = last - bh + 1
        lines[row] = " " * (bx - 2) + "\\\\" + lines[row][bx:] + "//"
        lines.insert(row, " " * (bx - 3) + hand + " " * (bw + 5) + hand)
    elif arms == "claws":
        row = last - bh + 2
        lines[row] = " " * (bx - 3) + "<=" + lines[row][bx - 1 :] + "=>"
    legs = r.choice(["legs", "legs", "treads", "wheel", "feet"])
    mid = bx + 1 + bw // 2
    if legs == "legs":
        gap = max(1, bw // 3)
        leg = r.choice(["||", "|", "[]"])
        for _ in range(r.randint(1, 2)):
            lines.append(" " * (mid - gap - len(leg)) + leg + " " * (2 * gap) + leg)
        lines.append(
            " " * (mid - gap - len(leg) - 1)
            + r.choice(["_" + leg + "_", "d" + leg, "/" + leg])
            + " " * (2 * gap - 2)
            + r.choice(["_" + leg + "_", leg + "b", leg + "\\"])
        )
    elif legs == "treads":
        lines.append(" " * (bx) + "(" + repeat_to(r.choice(["oO", "o", "@", "O"]), bw) + ")")
    elif legs == "wheel":
        lines.append(" " * (mid - 1) + "||")
        lines.append(" " * (mid - 2) + r.choice(["(O)", "(@)", "(o)"]) + " ")
    else:
        lines.append(" " * (bx + 1) + r.choice(["/_\\", "| |"]) + " " * max(1, bw - 6) + r.choice(["/_\\", "| |"]))
    return lines


_ROBOT_THINGS = sprites(
    r"""
 _____
|+   -|
|_____|
~~
  __
 {oo}
~~
 .-.
(   )
 `-'
~~
   *
  *+*
   *
~~
 ___
|   |
|___|
 ===
~~
  _
 |=|
 |=|
 |=|
"""
)

_BEEPS = (
    "beep",
    "boop",
    "beep boop",
    "01101",
    "HELLO",
    "bzzt",
    "does not compute",
    "I am ROBOT",
    "*whirr*",
    "10 PRINT",
)


def _speech(text: str, left: bool) -> Sprite:
    w = len(text) + 2
    tail = "  /" if left else "  \\"
    return [" " + "_" * w, "( " + text + " )", " " + "-" * w, tail]


def _robot(r: random.Random) -> Sprite:
    robots = [_one_robot(r) for _ in range(r.choice([1, 1, 1, 1, 2, 2, 3]))]
    props = [r.choice(_ROBOT_THINGS) for _ in range(r.choice([0, 0, 1, 2]))]
    scene = row_of(r, robots, props, max_w=r.choice([30, 40, 52, 64]), gaps=(1, 6))
    if r.random() < 0.45 and len(scene) < 19:
        bubble = _speech(r.choice(_BEEPS), r.random() < 0.5)
        at = r.randint(0, max(0, width(scene) - width(bubble)))
        scene = [" " * at + line for line in bubble] + scene
    if r.random() < 0.6:
        scene.append(repeat_to(r.choice(["_", "=", "-", "#", "_|", "~"]), width(scene) + r.randint(0, 6)))
    return signed(r, scene, ["beep", "model T-1", "the robot", "unit 7", "automaton", "bleep bloop"])


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
    offset = min(offset, max(0, MAX_WIDTH - width(trim(lines))))  # never wider than real art's 78 columns
    return _tidy(lines, offset)


# -- how varied a class is -------------------------------------------------------


def distinct_count(texts: Iterable[str], threshold: float = SAME_DRAWING) -> int:
    """How many visibly different drawings ``texts`` holds: the same count as
    ``studio.model.variety.distinct_drawings``, fast enough for thousands of pieces.

    A text is a new drawing when no earlier new drawing is within ``threshold``. Two
    drawings whose lengths differ by ``threshold`` of the longer one or more cannot be
    that close (the edit distance is at least the length difference), so each text is
    compared only with the earlier drawings in its length window, and rapidfuzz stops
    a comparison as soon as it passes the threshold.
    """
    lengths: list[int] = []  # the drawings found so far, sorted by length
    found: list[str] = []
    for text in texts:
        drawing = drawing_of(text)
        if not drawing:
            continue
        n = len(drawing)
        low = bisect.bisect_right(lengths, n * (1 - threshold))
        high = bisect.bisect_left(lengths, n / (1 - threshold))
        if any(
            Levenshtein.normalized_distance(drawing, found[i], score_cutoff=threshold) < threshold
            for i in range(low, high)
        ):
            continue
        at = bisect.bisect_left(lengths, n)
        lengths.insert(at, n)
        found.insert(at, drawing)
    return len(found)


@dataclass(frozen=True)
class ClassVariety:
    """What ``renders`` draws of a class (seeds 0..renders-1) holds, margin removed."""

    label: str
    renders: int
    exact: int  # different drawings, character for character
    distinct: int  # visibly different drawings (the 0.2 rule)
    median_chars: int
    p95_chars: int
    max_width: int
    max_height: int

    def to_dict(self) -> dict:
        return asdict(self)


def class_variety(label: str, renders: int) -> ClassVariety:
    arts = [render(label, seed) for seed in range(renders)]
    drawings = [drawing_of(art) for art in arts]
    lengths = sorted(len(art) for art in arts)
    return ClassVariety(
        label=label,
        renders=renders,
        exact=len(set(drawings)),
        distinct=distinct_count(drawings),
        median_chars=lengths[len(lengths) // 2],
        p95_chars=lengths[min(len(lengths) - 1, int(0.95 * len(lengths)))],
        max_width=max(len(line) for art in arts for line in art.split("\n")),
        max_height=max(art.count("\n") + 1 for art in arts),
    )

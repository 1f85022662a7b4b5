"""The ``system-art`` corpus: hand-drawn ASCII art from packages installed on this system.

Debian's ``fortunes-mario`` (about 2,300 hand-drawn pieces, many signed: jgs, hjw,
ejm, ...), ``boxes`` (box designs, a picture around a sample text) and ``cowsay`` (the
cows) carry real ASCII art under GPL-2, GPL-3 and the Artistic licence. The studio
is MIT and ships none of it: this module reads the files the user's system has
installed, found through the package manager's own file lists (dpkg, else rpm), never
by guessing paths. A package that is not installed is reported with the line that
installs it.

From every package the readers take candidate pieces, then one pipeline keeps the
art: tabs and non-breaking spaces become spaces, pieces with other non-ASCII
characters are dropped, and so are pieces that are mostly words (text fortunes,
captions, banners made of letters). Duplicates go, exact or near (the same drawing by
the rule of ``studio.model.variety``, so no shifted or retouched copy of a held-out
piece can stay in train). Signatures are kept as they are: they are part of the art.
Each piece records its package, file and licence; a coarse class is given where the
piece or its name says what it shows (``classify``), the rest stays unlabelled.

Reading and deduplicating ~2,300 pieces takes a few seconds, so the result is cached
under the user cache folder, keyed by the installed files' sizes and times.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from rapidfuzz.distance import Levenshtein

from studio.errors import StudioError
from studio.identity import cache_dir
from studio.model.variety import SAME_DRAWING, drawing_of
from studio.model.vocab import SPECIAL_TOKENS
from studio.train.corpus import Piece

NAME = "system-art"
# Bumped whenever a reader, the filters or the classifier change: the cache key holds it.
PIPELINE_VERSION = 1
MIN_PIECES_PROMISED = 2000  # with the three packages below installed (tested where they are)


@dataclass(frozen=True)
class ArtPackage:
    name: str  # the distribution's package name
    reader: str  # which reader understands its files
    about: str


PACKAGES: tuple[ArtPackage, ...] = (
    ArtPackage("fortunes-mario", "fortunes", "Brazilian fortune files, one of them a large hand-drawn art collection"),
    ArtPackage("boxes", "boxes", "box designs for the boxes filter, many of them drawings"),
    ArtPackage("cowsay", "cowsay", "the cows of cowsay"),
)

# The coarse classes, in a fixed order, and the card's two halves over them.
CLASSES: tuple[str, ...] = ("animals", "people", "nature", "buildings", "vehicles", "objects")
CREATURES_AND_NATURE: tuple[str, ...] = ("animals", "people", "nature")
OBJECTS_AND_TECH: tuple[str, ...] = ("buildings", "vehicles", "objects")

# Words that say what a piece shows, matched as whole words in the piece itself or in
# its name (a cow's or a box design's). English, plus the Portuguese and Spanish words
# of the fortunes-mario collection. A piece whose words point nowhere stays unlabelled.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "animals": (
        "cat",
        "cats",
        "kitten",
        "kitty",
        "dog",
        "dogs",
        "puppy",
        "woof",
        "cow",
        "cows",
        "moo",
        "bull",
        "horse",
        "pony",
        "unipony",
        "unicorn",
        "pig",
        "piglet",
        "sheep",
        "lamb",
        "goat",
        "bird",
        "birds",
        "duck",
        "ducks",
        "owl",
        "eagle",
        "parrot",
        "penguin",
        "pinguino",
        "pinguinos",
        "pinguim",
        "tux",
        "chicken",
        "cock",
        "rooster",
        "turkey",
        "fish",
        "shark",
        "whale",
        "dolphin",
        "seal",
        "crab",
        "octopus",
        "frog",
        "frogs",
        "toad",
        "snake",
        "turtle",
        "tortoise",
        "lizard",
        "dragon",
        "dragons",
        "dinosaur",
        "stegosaurus",
        "bear",
        "teddy",
        "koala",
        "kangaroo",
        "moose",
        "elephant",
        "lion",
        "tiger",
        "monkey",
        "ape",
        "gorilla",
        "mouse",
        "mice",
        "rat",
        "rabbit",
        "bunny",
        "hare",
        "fox",
        "wolf",
        "deer",
        "camel",
        "giraffe",
        "zebra",
        "bat",
        "spider",
        "butterfly",
        "bee",
        "ant",
        "snail",
        "squirrel",
        "hedgehog",
        "gnu",
        "garfield",
        "felix",
        "gato",
        "cachorro",
        "vaca",
        "peixe",
        "passaro",
        "cavalo",
        "porco",
    ),
    "people": (
        "man",
        "woman",
        "men",
        "women",
        "boy",
        "girl",
        "capgirl",
        "baby",
        "face",
        "faces",
        "person",
        "people",
        "king",
        "queen",
        "knight",
        "angel",
        "santa",
        "elvis",
        "homer",
        "bart",
        "calvin",
        "kiss",
        "skeleton",
        "skull",
        "vader",
        "darthvader",
        "leia",
        "luke",
        "clown",
        "wizard",
        "witch",
        "pirate",
        "soldier",
        "doctor",
        "police",
        "mailman",
        "mermaid",
        "cyclops",
        "dracula",
        "demon",
        "daemon",
        "devil",
        "ghost",
        "alien",
        "cyborg",
        "snowman",
        "dilbert",
        "dogbert",
        "hagar",
        "scarecrow",
        "valkyrie",
        "zeus",
        "jesus",
        "mona",
        "lisa",
        "head",
        "homem",
        "mulher",
        "menino",
        "menina",
    ),
    "nature": (
        "tree",
        "trees",
        "flower",
        "flowers",
        "rose",
        "roses",
        "sunflower",
        "tulip",
        "plant",
        "leaf",
        "leaves",
        "forest",
        "mountain",
        "mountains",
        "sun",
        "sunset",
        "moon",
        "star",
        "stars",
        "sky",
        "cloud",
        "clouds",
        "rain",
        "snow",
        "sea",
        "ocean",
        "island",
        "beach",
        "river",
        "lake",
        "earth",
        "planet",
        "mushroom",
        "mushrooms",
        "cactus",
        "palm",
        "grass",
        "garden",
        "volcano",
        "arvore",
        "flor",
        "flores",
        "lua",
        "sol",
    ),
    "buildings": (
        "house",
        "houses",
        "home",
        "castle",
        "church",
        "tower",
        "temple",
        "cottage",
        "barn",
        "building",
        "skyscraper",
        "bridge",
        "lighthouse",
        "igloo",
        "pyramid",
        "windmill",
        "city",
        "town",
        "casa",
        "castelo",
        "igreja",
    ),
    "vehicles": (
        "car",
        "cars",
        "truck",
        "bus",
        "van",
        "train",
        "locomotive",
        "bike",
        "bicycle",
        "motorcycle",
        "plane",
        "airplane",
        "aircraft",
        "jet",
        "helicopter",
        "ship",
        "boat",
        "sail",
        "submarine",
        "rocket",
        "shuttle",
        "spaceship",
        "starfighter",
        "enterprise",
        "ufo",
        "tank",
        "tractor",
        "ford",
        "chev",
        "carro",
        "navio",
        "barco",
        "aviao",
        "foguete",
        "transport",
        "wing",
    ),
    "objects": (
        "sword",
        "swords",
        "gun",
        "knife",
        "axe",
        "shield",
        "helmet",
        "blaster",
        "computer",
        "computers",
        "keyboard",
        "monitor",
        "floppy",
        "disk",
        "phone",
        "telephone",
        "television",
        "radio",
        "camera",
        "robot",
        "droid",
        "clock",
        "watch",
        "lamp",
        "candle",
        "book",
        "books",
        "bottle",
        "cup",
        "mug",
        "coffee",
        "tea",
        "beer",
        "wine",
        "glass",
        "pizza",
        "cake",
        "cheese",
        "cookie",
        "chocolate",
        "milk",
        "egg",
        "eggs",
        "apple",
        "banana",
        "guitar",
        "piano",
        "harp",
        "drum",
        "violin",
        "bass",
        "key",
        "chair",
        "table",
        "bed",
        "umbrella",
        "balloon",
        "ball",
        "gift",
        "present",
        "box",
        "bell",
        "hat",
        "shirt",
        "shoe",
        "boot",
        "pipe",
        "tape",
        "bowl",
        "diamond",
        "ring",
        "rings",
        "crown",
        "heart",
        "mailbox",
        "scroll",
        "parchment",
        "espada",
        "computador",
        "livro",
        "garrafa",
    ),
}
_WORD_CLASS = {word: label for label, words in KEYWORDS.items() for word in words}
_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}(?![A-Za-z])")


def classify(art: str, name: str = "") -> str:
    """The coarse class a piece's words (and its name) point to most, or "" for none.

    Words in the name count double: a cow file called ``elephant.cow`` says more
    than a word in a caption. A tie goes to the earlier class of ``CLASSES``.
    """
    votes = {label: 0 for label in CLASSES}
    for word in _WORD.findall(art):
        label = _WORD_CLASS.get(word.lower())
        if label:
            votes[label] += 1
    for word in re.split(r"[^A-Za-z]+", name):
        label = _WORD_CLASS.get(word.lower())
        if label:
            votes[label] += 2
    best = max(CLASSES, key=lambda label: votes[label])
    return best if votes[best] else ""


# -- finding the installed files --------------------------------------------------


@dataclass(frozen=True)
class InstalledPackage:
    name: str
    files: tuple[Path, ...]
    licence: str
    manager: str  # "dpkg" or "rpm"


def _dpkg_list(name: str, info_dir: Path) -> list[Path] | None:
    candidates = [info_dir / f"{name}.list", *sorted(info_dir.glob(f"{name}:*.list"))]
    for listing in candidates:
        try:
            lines = listing.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        return [Path(line) for line in lines if line.startswith("/") and line != "/."]
    return None


def _rpm_list(name: str) -> list[Path] | None:
    rpm = shutil.which("rpm")
    if rpm is None:
        return None
    try:
        done = subprocess.run([rpm, "-ql", name], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return [Path(line) for line in done.stdout.splitlines() if line.startswith("/")]


def _dep5_licence(copyright_file: Path) -> str:
    """The licence of ``Files: *`` in a machine-readable Debian copyright file, else the
    first License field; "" when the file says nothing readable."""
    try:
        text = copyright_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    first = ""
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^(Files|License):[ \t]*(.*)$", stanza, flags=re.MULTILINE))
        licence = fields.get("License", "").strip()
        if licence and not first:
            first = licence
        if fields.get("Files", "").strip() == "*" and licence:
            return licence
    return first


def _rpm_licence(name: str) -> str:
    rpm = shutil.which("rpm")
    if rpm is None:
        return ""
    try:
        done = subprocess.run([rpm, "-q", "--qf", "%{LICENSE}", name], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def find_package(name: str, dpkg_info: Path = Path("/var/lib/dpkg/info")) -> InstalledPackage | None:
    """The installed files and licence of package ``name``, from dpkg's lists or rpm; None
    when the package manager does not know it as installed."""
    files = _dpkg_list(name, dpkg_info)
    if files is not None:
        licence = _dep5_licence(Path("/usr/share/doc") / name / "copyright")
        return InstalledPackage(name, tuple(files), licence or "see /usr/share/doc/" + name, "dpkg")
    files = _rpm_list(name)
    if files is not None:
        return InstalledPackage(name, tuple(files), _rpm_licence(name) or "see the package", "rpm")
    return None


# -- readers: installed files -> candidate pieces ----------------------------------


@dataclass(frozen=True)
class Candidate:
    art: str
    where: str  # file and entry, for the record and for problems
    name: str = ""  # what the piece is called, when the format names it (a cow, a box design)


def _read_text(path: Path) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _regular(path: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink()
    except OSError:
        return False


def read_fortunes(files: Iterable[Path]) -> Iterator[Candidate]:
    """Entries of the fortune files among ``files`` (a fortune file holds entries separated
    by lines that are exactly ``%``; the ``.dat`` indexes are skipped)."""
    for path in sorted(files):
        if path.suffix in (".dat", ".u8") or "fortunes" not in path.parts or not _regular(path):
            continue
        text = _read_text(path)
        if text is None:
            continue
        entry: list[str] = []
        number = 0
        for line in text.replace("\r\n", "\n").split("\n") + ["%"]:
            if line.rstrip() == "%":
                number += 1
                if any(line.strip() for line in entry):
                    yield Candidate("\n".join(entry), f"{path}#{number}")
                entry = []
            else:
                entry.append(line)


_BOX_BLOCK = re.compile(r"^BOX[ \t]+(\S+)[ \t]*$(.*?)^END[ \t]+\1[ \t]*$", re.MULTILINE | re.DOTALL)
_BOX_SAMPLE = re.compile(r"^sample[ \t]*\n(.*?)^[ \t]*ends[ \t]*$", re.MULTILINE | re.DOTALL)
_BOX_TAGS = re.compile(r'^tags[ \t]+"([^"]*)"', re.MULTILINE)


def read_boxes(files: Iterable[Path]) -> Iterator[Candidate]:
    """The sample drawing of every box design tagged as artwork (the plain programming
    comment boxes are frames, not drawings)."""
    for path in sorted(files):
        if not (path.name == "boxes-config" or path.suffix == ".cfg") or not _regular(path):
            continue
        text = _read_text(path)
        if text is None:
            continue
        for match in _BOX_BLOCK.finditer(text):
            name, body = match.group(1), match.group(2)
            tags = {t.strip() for t in (_BOX_TAGS.search(body).group(1) if _BOX_TAGS.search(body) else "").split(",")}
            sample = _BOX_SAMPLE.search(body)
            if sample is None or "artwork" not in tags or "simple" in tags:
                continue
            yield Candidate(sample.group(1), f"{path}:{name}", name=name)


_COW_HEREDOC = re.compile(r"<<\s*\"?EOC\"?\s*;?[ \t]*\n(.*?)^EOC[ \t]*$", re.MULTILINE | re.DOTALL)
# What cowsay puts in a cow's variables by default; the thought bubble's tail is left
# out (the art without the speech bubble it points to).
_COW_VARIABLES = {"thoughts": " ", "eyes": "oo", "eye": "o", "tongue": "  "}


def render_cow(source: str) -> str | None:
    """The drawing of a ``.cow`` file: its Perl here-document with the escapes undone and
    the variables filled as cowsay does by default; None when it holds none."""
    match = _COW_HEREDOC.search(source)
    if match is None:
        return None
    body = match.group(1)
    out = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
        elif char == "$":
            name = re.match(r"[A-Za-z_]\w*", body[i + 1 :])
            if name:
                out.append(_COW_VARIABLES.get(name.group(0), ""))
                i += 1 + len(name.group(0))
            else:
                out.append(char)
                i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def read_cows(files: Iterable[Path]) -> Iterator[Candidate]:
    for path in sorted(files):
        if path.suffix != ".cow" or not _regular(path):
            continue
        text = _read_text(path)
        art = render_cow(text) if text is not None else None
        if art is not None:
            yield Candidate(art, str(path), name=path.stem)


READERS: dict[str, Callable[[Iterable[Path]], Iterator[Candidate]]] = {
    "fortunes": read_fortunes,
    "boxes": read_boxes,
    "cowsay": read_cows,
}


# -- the pipeline: candidates -> pieces ------------------------------------------------


def clean_art(text: str) -> str:
    """Tabs and non-breaking spaces to spaces, CR/LF to LF, trailing spaces and blank edge
    lines removed (the margin is kept: it is part of how the piece was drawn)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").expandtabs(8)
    rows = [row.rstrip() for row in text.split("\n")]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    return "\n".join(rows)


def wordiness(art: str) -> float:
    """The share of a piece's ink that is letters in words of three or more letters.

    Text fortunes and captions score 0.7-0.9; drawings, even signed ones, mostly
    under 0.25. Letters-as-texture art ("MMNNOO") counts as words too, but rarely
    reaches the cut.
    """
    ink = sum(1 for c in art if not c.isspace())
    if not ink:
        return 1.0
    letters = sum(len(w) for w in re.findall(r"[A-Za-z']{3,}", art))
    return letters / ink


MAX_WORDINESS = 0.5
MIN_INK = 12  # fewer visible chars is a dash or a smiley, not a piece
MIN_LINES = 2


def rejection(art: str) -> str | None:
    """Why a cleaned candidate is not kept as a piece, or None to keep it."""
    if not art:
        return "empty"
    if any(not (32 <= ord(c) < 127) and c != "\n" for c in art) or any(c in art for c in SPECIAL_TOKENS):
        return "non-ASCII characters"
    if art.count("\n") + 1 < MIN_LINES or sum(1 for c in art if not c.isspace()) < MIN_INK:
        return "too small to be a drawing"
    if wordiness(art) > MAX_WORDINESS:
        return "text, not a drawing"
    return None


def deduplicate(pieces: Sequence[Piece]) -> tuple[list[Piece], int]:
    """Keep the first of every group of pieces that are the same drawing (the variety
    rule: normalised edit distance under 0.2 with the margin removed). Pairs whose
    lengths alone rule out a distance under 0.2 are never compared."""
    drawings = [drawing_of(p.art) for p in pieces]
    kept: list[int] = []
    exact: set[str] = set()
    by_length: list[tuple[int, int]] = []  # (length, index) of kept pieces, sorted
    for i, drawing in enumerate(drawings):
        if drawing in exact:
            continue
        n = len(drawing)
        low = bisect.bisect_left(by_length, (int(n * (1 - SAME_DRAWING)), -1))
        high = bisect.bisect_right(by_length, (int(n / (1 - SAME_DRAWING)) + 1, len(drawings)))
        near = any(
            Levenshtein.normalized_distance(drawing, drawings[j], score_cutoff=SAME_DRAWING) < SAME_DRAWING
            for _, j in by_length[low:high]
        )
        if near:
            continue
        kept.append(i)
        exact.add(drawing)
        bisect.insort(by_length, (n, i))
    return [pieces[i] for i in kept], len(pieces) - len(kept)


@dataclass
class SystemArt:
    """What ``load_system_art`` found: the pieces, and what a person needs to know about them."""

    pieces: list[Piece]
    installed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> count
    from_cache: bool = False

    @property
    def install_line(self) -> str | None:
        return f"sudo apt-get install -y {' '.join(self.missing)}" if self.missing else None

    def summary(self) -> str:
        kept = len(self.pieces)
        labelled = sum(1 for p in self.pieces if p.label)
        parts = [f"{kept:,} pieces from {', '.join(self.installed) or 'no package'}", f"{labelled:,} labelled"]
        if self.dropped:
            parts.append("dropped " + ", ".join(f"{n:,} {why}" for why, n in sorted(self.dropped.items())))
        return "; ".join(parts)


def _cache_key(found: Sequence[InstalledPackage]) -> str:
    digest = hashlib.sha256(f"{NAME}:{PIPELINE_VERSION}".encode())
    for package in found:
        digest.update(f"\n{package.name}:{package.licence}".encode())
        for path in sorted(package.files):
            try:
                stat = path.stat()
            except OSError:
                continue
            if path.is_file():
                digest.update(f"\n{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:24]


def _build(found: Sequence[InstalledPackage]) -> tuple[list[Piece], dict[str, int]]:
    candidates: list[Piece] = []
    dropped: dict[str, int] = {}
    for package in found:
        reader = READERS[next(p.reader for p in PACKAGES if p.name == package.name)]
        for candidate in reader(package.files):
            art = clean_art(candidate.art)
            why = rejection(art)
            if why:
                dropped[why] = dropped.get(why, 0) + 1
                continue
            label = classify(art, candidate.name)
            candidates.append(Piece(label, art, source=f"{package.name}:{candidate.where}", licence=package.licence))
    pieces, duplicates = deduplicate(candidates)
    if duplicates:
        dropped["duplicates"] = duplicates
    return pieces, dropped


def load_system_art(
    packages: Sequence[ArtPackage] = PACKAGES,
    *,
    use_cache: bool = True,
    find: Callable[[str], InstalledPackage | None] | None = None,
) -> SystemArt:
    """The system-art corpus from the packages installed here (an empty corpus, with the
    missing packages named, when none is). ``find`` asks the package manager (tests
    hand it packages of their own)."""
    find = find or find_package
    found, missing = [], []
    for package in packages:
        installed = find(package.name)
        (found.append(installed) if installed else missing.append(package.name))
    if not found:
        return SystemArt([], [], missing)
    cache = cache_dir() / "corpora" / f"{NAME}-{_cache_key(found)}.json"
    if use_cache and cache.is_file():
        try:
            data = json.loads(cache.read_text(encoding="utf-8"))
            pieces = [Piece(r["label"], r["art"], source=r["source"], licence=r["licence"]) for r in data["pieces"]]
            return SystemArt(pieces, [p.name for p in found], missing, dict(data["dropped"]), from_cache=True)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged cache is rebuilt
    pieces, dropped = _build(found)
    if use_cache:
        from studio.fsutil import atomic_write_text

        payload = {
            "pieces": [{"label": p.label, "art": p.art, "source": p.source, "licence": p.licence} for p in pieces],
            "dropped": dropped,
        }
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache, json.dumps(payload))
        except (OSError, StudioError):
            pass  # a read-only cache folder only costs the rebuild next time
    return SystemArt(pieces, [p.name for p in found], missing, dropped)

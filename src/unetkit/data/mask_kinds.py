"""What a dataset's masks are, from the raw values found in them: the settings that read them right.

The mask doctor (masks.py) checks one file against the settings; this looks at the values of many
files at once and chooses the settings: binary ({0, k}, or anti-aliased 0/255), class ids (grey or
palette), or RGB colours (through the dataset's colour table, else one class per colour found), which
value is void, and how many classes there are. Ambiguous cases become suggestions, written out by
`unetkit inspect`.

RGB colours that all come from VOC's palette are not read as VOC's 21 classes unless they are VOC's
data: the classes are the colours that occur, in the palette's order (many tools colour their classes
with the first entries of that palette, e.g. LabelMeFacade's 9 classes are VOC colours 0..18).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..labels import IGNORE_INDEX
from ..viz.palette import VOC_IGNORE_COLOUR, voc_palette
from .colour_table import ColourTable
from .masks import SMALL_CLASS_IDS

EXTREME_SHARE = 0.9    # many grey levels, but this share of pixels near 0 or 255: an anti-aliased binary mask


@dataclass
class MaskFindings:
    kind: str                       # binary | index | palette | rgb | none (no masks)
    mode: str                       # the data.mask that reads them: binary | index
    num_classes: int
    ignore_value: int | None        # the files' void value (data.ignore_index), None when there is none
    colors: list[list[int]]         # rgb: the class colours in order (empty: VOC's palette)
    values: dict[str, float]        # raw value (or "r,g,b") -> share of the masks' pixels
    class_fractions: list[float]    # share of each class among the labelled (not void) pixels
    reason: str
    suggestions: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)   # from the colour table (empty: unnamed)
    table: str = ""                 # the colour table file the colours and names came from

    @property
    def foreground_fraction(self) -> float:
        return 1.0 - self.class_fractions[0] if self.class_fractions else 0.0


def _colour(code: int) -> list[int]:
    return [code >> 16, code >> 8 & 255, code & 255]


def _fractions(counts: dict[int, int]) -> dict[str, float]:
    total = sum(counts.values()) or 1
    return {str(value): round(count / total, 6) for value, count in sorted(counts.items())}


def _class_fractions(counts: dict[int, int], num_classes: int) -> list[float]:
    labelled = sum(count for value, count in counts.items() if value < num_classes) or 1
    return [round(counts.get(value, 0) / labelled, 6) for value in range(num_classes)]


def _code(colour) -> int:
    return int(colour[0]) << 16 | int(colour[1]) << 8 | int(colour[2])


def _rgb(counts: Counter, table: ColourTable | None = None) -> MaskFindings:
    """Colour masks: through `table` (the dataset's colour table, or data.colors) when there is one;
    else VOC colours compacted to those that occur, in the palette's order; else one class per colour,
    black first, then by area. VOC's cream border colour is void unless a class has it."""
    codes = sorted(counts)
    shares = {",".join(map(str, _colour(c))): share for c, share in zip(codes, _fractions(counts).values(), strict=True)}
    void_code = _code(VOC_IGNORE_COLOUR)
    if table is not None:
        index = {_code(colour): i for i, colour in enumerate(table.colours)}
        index.setdefault(void_code, IGNORE_INDEX)
        unknown = [c for c in codes if c not in index]
        ids = Counter({index[c]: n for c, n in counts.items() if c in index and index[c] != IGNORE_INDEX})
        suggestions = [f"colours {', '.join('(' + ','.join(map(str, _colour(c))) + ')' for c in unknown[:4])} are "
                       f"in the masks but not in {table.path}: add them to it"] if unknown else []
        named = f"{len(table.colours)} classes named by {Path(table.path).name}" if table.path else \
            f"{len(table.colours)} classes of data.colors"
        return MaskFindings("rgb", "index", len(table.colours), None, [list(c) for c in table.colours], shares,
                            _class_fractions(ids, len(table.colours)), f"RGB masks: {named}", suggestions,
                            list(table.names), table.path)
    palette = {tuple(colour): index for index, colour in enumerate(voc_palette().tolist()[:IGNORE_INDEX])}
    found = [c for c in codes if c != void_code]
    if found and all(tuple(_colour(c)) in palette for c in found):
        ordered = sorted(found, key=lambda c: palette[tuple(_colour(c))])
        reason = (f"RGB masks in {len(ordered)} of VOC's palette colours: one class per colour that occurs, in the "
                  f"palette's order (a colour table, classes.yaml or labelmap.txt in data.root, names them)")
    else:
        ordered = sorted(codes, key=lambda c: (c != 0, -counts[c]))   # black first, then by area
        reason = (f"RGB masks with {len(ordered)} colours: one class per colour (black first, then by area), "
                  f"listed in data.colors")
    num_classes = max(len(ordered), 2)
    ids = Counter({ordered.index(c): n for c, n in counts.items() if c in ordered})
    return MaskFindings("rgb", "index", num_classes, None, [_colour(c) for c in ordered], shares,
                        _class_fractions(ids, num_classes), reason)


def _isolated_void(values: list[int]) -> int | None:
    """A value far above the other class ids (VOC's 255 borders, a 99 'unlabelled'): a void value."""
    if len(values) < 3:
        return None
    top, rest = values[-1], values[:-1]
    if top == IGNORE_INDEX or (top >= SMALL_CLASS_IDS and top > 2 * (rest[-1] + 1)):
        return top
    return None


def describe_masks(kinds: set[str], counts: Counter, user_num_classes: int | None = None,
                   user_ignore_index: int | None = None, table: ColourTable | None = None) -> MaskFindings:
    """The reading of masks whose raw values occur `counts` times (kinds of files: grey, palette,
    colour); `user_*`: what the user set, which wins and is checked; `table`: the dataset's colour
    table (or the user's data.colors), which names the classes of colour masks, and of index masks
    with as many classes."""
    if not counts:
        return MaskFindings("none", "binary", user_num_classes or 2, None, [], {}, [], "no masks found")
    if "colour" in kinds:
        return _rgb(counts, table)
    findings = _grey_or_palette(kinds, counts, user_num_classes, user_ignore_index)
    if table is not None and table.names and len(table.names) == findings.num_classes:
        findings.class_names, findings.table = list(table.names), table.path
    return findings


def _grey_or_palette(kinds: set[str], counts: Counter, user_num_classes: int | None,
                     user_ignore_index: int | None) -> MaskFindings:
    values = sorted(counts)
    shares = _fractions(counts)
    suggestions: list[str] = []
    if "palette" not in kinds and user_num_classes in (None, 2) and user_ignore_index is None:
        binary = _binary_reading(values, counts, shares)
        if binary is not None:
            return binary
    void = user_ignore_index if user_ignore_index is not None else _isolated_void(values)
    ids = [v for v in values if v != void]
    if "palette" not in kinds and user_num_classes is None and len(ids) > 2 * SMALL_CLASS_IDS:
        return MaskFindings("binary", "binary", 2, None, [], shares, [], f"{len(ids)} grey levels spread over the range",
                            [(f"the masks hold {len(ids)} grey levels, most between 10 and 245: they look like images, "
                              f"not label masks (read as binary, thresholded at 128); check data.root")])
    num_classes = user_num_classes or max(max(ids, default=0) + 1, 2)
    outside = [v for v in ids if v >= num_classes]
    if outside and user_ignore_index is None:
        suggestions.append(f"label values {', '.join(map(str, outside[:5]))} are outside classes 0..{num_classes - 1}"
                           + (f"; if {outside[0]} marks void pixels (CamVid: 11), set data.ignore_index={outside[0]}"
                              if len(outside) == 1 else "; set data.num_classes or data.ignore_index"))
    gaps = sorted(set(range(num_classes)) - set(ids))
    if gaps and len(ids) <= SMALL_CLASS_IDS and len(gaps) > len(ids):
        suggestions.append(f"class ids {', '.join(map(str, ids[:8]))} are not consecutive (grey-scaled class masks?): "
                           f"rewrite the masks as ids 0..{len(ids) - 1}")
    kind = "palette" if "palette" in kinds else "index"
    why = (f"{'palette PNG indices' if kind == 'palette' else 'grey values'} {', '.join(map(str, ids[:8]))}"
           f"{' ...' if len(ids) > 8 else ''}: class ids, {num_classes} classes"
           + (f"; {void} marks void pixels (ignored)" if void is not None else ""))
    return MaskFindings(kind, "index", num_classes, void, [], shares,
                        _class_fractions(Counter({v: counts[v] for v in ids}), num_classes), why, suggestions)


def _binary_reading(values: list[int], counts: Counter, shares: dict[str, float]) -> MaskFindings | None:
    """{0, k} (or one value) is binary; many levels mostly at the two ends are an anti-aliased or
    JPEG-compressed 0/255 mask; anything else is not binary (None)."""
    total = sum(counts.values())
    if len(values) <= 2 and (values[0] == 0 or len(values) == 1):
        foreground = sum(n for v, n in counts.items() if v > 0) / total
        return MaskFindings("binary", "binary", 2, None, [], shares, [round(1 - foreground, 6), round(foreground, 6)],
                            f"values {', '.join(map(str, values))}: a binary mask (0 = background)")
    if len(values) >= SMALL_CLASS_IDS:
        extremes = sum(n for v, n in counts.items() if v <= 10 or v >= 245) / total
        if extremes >= EXTREME_SHARE:
            foreground = sum(n for v, n in counts.items() if v > 127) / total
            return MaskFindings("binary", "binary", 2, None, [], shares,
                                [round(1 - foreground, 6), round(foreground, 6)],
                                f"{len(values)} grey levels, {extremes:.0%} of pixels near 0 or 255: an anti-aliased "
                                f"or JPEG-compressed binary mask, thresholded at 128")
    return None

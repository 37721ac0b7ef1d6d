"""Self-contained HTML pages (report.html, review.html): one file, images embedded, nothing fetched."""
from __future__ import annotations

import base64
import html
import math
from datetime import datetime, timezone
from pathlib import Path

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
td, th { padding: .2em .8em; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; image-rendering: pixelated; } figure { margin: 1em 0; } figcaption { font-size: .9em; color: #555; }
.swatch { display: inline-block; width: .9em; height: .9em; border: 1px solid #999; vertical-align: middle; }
"""


def page(title: str, subject: str, sections: list[tuple[str, str]]) -> str:
    """The page: a heading naming `subject`, a contents line, then each (heading, body HTML) section."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}: {html.escape(Path(subject).name)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(title)}: {html.escape(subject)}</h1><p>written {stamp}</p>
<nav>{" | ".join(f'<a href="#{anchor(name)}">{name}</a>' for name, _ in sections)}</nav>
{"".join(section(name, body) for name, body in sections)}
</body></html>
"""


def anchor(name: str) -> str:
    return name.lower().replace(" ", "-")


def section(name: str, body: str) -> str:
    return f'<section id="{anchor(name)}"><h2>{name}</h2>{body}</section>\n'


def embedded_image(path: Path) -> str:
    """The PNG embedded (data URI), so the page is one file that can be mailed or attached."""
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def number(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.4f}"


def safe_file_name(name: str) -> str:
    """An image name as a file name for the page's PNGs (letters, digits, -_. kept; 80 characters)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]

"""The home-screen icons of the web app manifest, drawn like ``static/favicon.svg``.

``python -m sas.icons`` (``make icons``) writes ``static/icons/icon-<size>.png``; the PNGs are
committed. The green fills the whole square and "SAS" stays well inside the central 80% circle,
so one file serves as both an "any" and a "maskable" icon.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = "#0b6e4f"  # --brand of static/app.css
SIZES = (192, 512)
FOLDER = Path(__file__).resolve().parent.parent / "static" / "icons"


def draw(size: int) -> Image.Image:
    """A square icon: "SAS" in white bold on the brand green, 60% of the width."""
    image = Image.new("RGB", (size, size), BRAND)
    pen = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size * 0.3)
    stroke = max(1, size // 100)  # Pillow's built-in font has no bold face: thicken the strokes
    centre = (size / 2, size / 2)
    pen.text(
        centre,
        "SAS",
        fill="white",
        font=font,
        anchor="mm",
        stroke_width=stroke,
        stroke_fill="white",
    )
    return image


def write(folder: Path = FOLDER) -> list[Path]:
    """Write every size as ``icon-<size>.png``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for size in SIZES:
        path = folder / f"icon-{size}.png"
        draw(size).save(path, optimize=True)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write():
        print(written)

"""Small image data sets for the vision lesson: handwritten digits and Tifinagh letters.

``digits`` is scikit-learn's bundled copy of the UCI handwritten digits (read
offline from the installed package). ``tifinagh_letters`` renders the 33 letters
of the IRCAM neo-Tifinagh alphabet with the Noto Sans Tifinagh font shipped in
``datasets/fonts/``, with seeded augmentation, and caches the result as a
compressed ``.npz`` under :func:`jisr.paths.cache_dir`.

>>> digits = load_digits()
>>> digits.images.shape, digits.data.shape
((1797, 8, 8), (1797, 64))
>>> len(TIFINAGH_LETTERS), TIFINAGH_LETTERS[3]
(33, ('ⴳⵯ', 'yagw'))
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..datasets import register
from ..paths import cache_dir, datasets_dir

if TYPE_CHECKING:  # scikit-learn is imported only when a data set is loaded
    from sklearn.utils import Bunch

# ---------------------------------------------------------------------------
# Handwritten digits (scikit-learn)
# ---------------------------------------------------------------------------


@register("digits", licence="CC-BY-4.0", kind="package",
          summary="1,797 handwritten digits, 8x8 grey levels 0-16 (UCI, via scikit-learn)")
def load_digits() -> Bunch:
    """scikit-learn's handwritten digits: ``images`` (1797, 8, 8), ``data`` (1797, 64), ``target``.

    Pixel values are whole numbers 0..16 stored as floats, exactly as
    :func:`sklearn.datasets.load_digits` returns them; see ``datasets/digits.md``.
    """
    from sklearn.datasets import load_digits as sklearn_load_digits

    bunch = sklearn_load_digits()
    bunch.images = np.asarray(bunch.images, dtype=np.float64)
    bunch.data = np.asarray(bunch.data, dtype=np.float64)
    bunch.target = np.asarray(bunch.target, dtype=np.int64)
    return bunch


# ---------------------------------------------------------------------------
# Tifinagh letters (rendered)
# ---------------------------------------------------------------------------

#: The 33 letters of the IRCAM alphabet (Royal Institute of Amazigh Culture), in
#: IRCAM order, with their Unicode names in lower case. ``yagw`` and ``yakw`` are
#: written with U+2D6F TIFINAGH MODIFIER LETTER LABIALIZATION MARK.
TIFINAGH_LETTERS: tuple[tuple[str, str], ...] = (
    ("\u2d30", "ya"),
    ("\u2d31", "yab"),
    ("\u2d33", "yag"),
    ("\u2d33\u2d6f", "yagw"),
    ("\u2d37", "yad"),
    ("\u2d39", "yadd"),
    ("\u2d3b", "yey"),
    ("\u2d3c", "yaf"),
    ("\u2d3d", "yak"),
    ("\u2d3d\u2d6f", "yakw"),
    ("\u2d40", "yah"),
    ("\u2d43", "yahh"),
    ("\u2d44", "yaa"),
    ("\u2d45", "yakh"),
    ("\u2d47", "yaq"),
    ("\u2d49", "yi"),
    ("\u2d4a", "yazh"),
    ("\u2d4d", "yal"),
    ("\u2d4e", "yam"),
    ("\u2d4f", "yan"),
    ("\u2d53", "yu"),
    ("\u2d54", "yar"),
    ("\u2d55", "yarr"),
    ("\u2d56", "yagh"),
    ("\u2d59", "yas"),
    ("\u2d5a", "yass"),
    ("\u2d5b", "yash"),
    ("\u2d5c", "yat"),
    ("\u2d5f", "yatt"),
    ("\u2d61", "yaw"),
    ("\u2d62", "yay"),
    ("\u2d63", "yaz"),
    ("\u2d65", "yazz"),
)

#: Bump when the rendering or augmentation changes: old cache files are then ignored.
TIFINAGH_VERSION = "1"

FONT_FILE = "NotoSansTifinagh-Regular.ttf"

_OVERSAMPLE = 4          # render at 4x the output size, then average 4x4 blocks
_LETTER_HEIGHT = 0.62    # height of a full-height letter, as a fraction of the image side

# Augmentation parameters (documented in datasets/tifinagh_letters.md).
AUGMENTATION = {
    "rotation_degrees": 10.0,       # uniform in [-10, 10]
    "scale": (0.9, 1.1),            # uniform
    "shift_fraction": 0.06,         # uniform in [-0.06, 0.06] of the side, kept inside the frame
    "stroke_levels": (-1, 0, 1, 2, 3),  # pixels at 4x resolution: thinner (erode) .. bolder
    "blur_radius": (0.0, 0.7),      # Gaussian blur radius, in output pixels
    "ink": (0.75, 1.0),             # brightness of the strokes
    "noise_sd": (0.0, 0.06),        # Gaussian pixel noise, then clipped to [0, 1]
}


def font_path() -> Path:
    """The OFL font the letters are drawn with (licence: ``datasets/fonts/OFL.txt``)."""
    return datasets_dir() / "fonts" / FONT_FILE


def _renderer_fingerprint() -> str:
    """Font bytes, Pillow and FreeType versions: what the pixels depend on besides the seed."""
    import PIL
    from PIL import features

    if not font_path().is_file():
        raise FileNotFoundError(f"the Tifinagh font is missing: {font_path()} (see datasets/fonts/)")
    digest = hashlib.sha256(font_path().read_bytes())
    digest.update(f"{PIL.__version__}|{features.version('freetype2')}".encode())
    return digest.hexdigest()[:12]


def _cache_file(n_per_letter: int, size: int, seed: int) -> Path | None:
    """Where these parameters are cached; None when no cache folder can be made (read-only home)."""
    name = (f"tifinagh_letters-v{TIFINAGH_VERSION}-n{n_per_letter}-s{size}-seed{seed}"
            f"-{_renderer_fingerprint()}.npz")
    try:
        return cache_dir() / name
    except OSError:
        return None


def _masters(size: int) -> dict:
    """Each letter drawn once at 4x resolution, for every stroke level.

    Returns {(letter index, level): (image, ink centre, ink half extent)}.
    """
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    big = size * _OVERSAMPLE
    probe = ImageFont.truetype(str(font_path()), 100, layout_engine=ImageFont.Layout.BASIC)
    # Scale so that a full-height letter (yaz) is _LETTER_HEIGHT of the image side.
    left, top, right, bottom = probe.getmask("\u2d63").getbbox()
    font_size = max(4, round(100 * _LETTER_HEIGHT * big / (bottom - top)))
    font = ImageFont.truetype(str(font_path()), font_size, layout_engine=ImageFont.Layout.BASIC)
    pad = 4 * _OVERSAMPLE
    masters = {}
    for index, (letter, _) in enumerate(TIFINAGH_LETTERS):
        for level in AUGMENTATION["stroke_levels"]:
            stroke = max(level, 0)
            left, top, right, bottom = font.getbbox(letter, stroke_width=stroke)
            image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
            ImageDraw.Draw(image).text((pad - left, pad - top), letter, font=font, fill=255,
                                       stroke_width=stroke, stroke_fill=255)
            if level < 0:
                image = image.filter(ImageFilter.MinFilter(2 * -level + 1))
            box = image.getbbox()
            if box is None:  # pragma: no cover - the font covers every letter (tested)
                raise RuntimeError(f"{FONT_FILE} draws nothing for {letter!r}")
            centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
            extent = ((box[2] - box[0]) / 2, (box[3] - box[1]) / 2)
            masters[index, level] = (image, centre, extent)
    return masters


def generate_tifinagh_letters(n_per_letter: int = 60, size: int = 28, seed: int = 0) -> dict[str, np.ndarray]:
    """Render ``n_per_letter`` augmented images of each of the 33 letters (no cache).

    Sample ``i`` shows letter ``i % 33``: the first 33 images are the alphabet in order.
    Returns ``pixels`` (n, size, size) uint8, 0..255 (white ink on black), and ``target``.
    """
    from PIL import Image, ImageFilter

    n_letters = len(TIFINAGH_LETTERS)
    n = n_letters * n_per_letter
    big = size * _OVERSAMPLE
    masters = _masters(size)
    rng = np.random.default_rng(seed)
    aug = AUGMENTATION
    target = np.tile(np.arange(n_letters, dtype=np.int64), n_per_letter)
    angle = np.deg2rad(rng.uniform(-aug["rotation_degrees"], aug["rotation_degrees"], n))
    scale = rng.uniform(*aug["scale"], n)
    shift = rng.uniform(-aug["shift_fraction"], aug["shift_fraction"], (n, 2)) * big
    level = rng.choice(np.asarray(aug["stroke_levels"]), n)
    blur = rng.uniform(*aug["blur_radius"], n)
    ink = rng.uniform(*aug["ink"], n)
    noise_sd = rng.uniform(*aug["noise_sd"], n)
    noise = rng.standard_normal((n, size, size))

    images = np.empty((n, size, size), dtype=np.float32)
    for i in range(n):
        image, (cx, cy), (ex, ey) = masters[int(target[i]), int(level[i])]
        cos, sin = math.cos(angle[i]), math.sin(angle[i])
        # Half extent of the rotated letter; shrink (wide letters only) and shift within the frame.
        hx = abs(cos) * ex + abs(sin) * ey
        hy = abs(sin) * ex + abs(cos) * ey
        s = min(float(scale[i]), (big / 2 - _OVERSAMPLE) / max(hx, hy))
        hx, hy = s * hx, s * hy
        room_x = max(0.0, big / 2 - hx - _OVERSAMPLE)
        room_y = max(0.0, big / 2 - hy - _OVERSAMPLE)
        dx = float(np.clip(shift[i, 0], -room_x, room_x))
        dy = float(np.clip(shift[i, 1], -room_y, room_y))
        # Output pixel (x, y) reads the master at centre + R(-angle) (p - middle - shift) / scale.
        ox, oy = big / 2 + dx, big / 2 + dy
        a, b = cos / s, sin / s
        d, e = -sin / s, cos / s
        coeffs = (a, b, cx - a * ox - b * oy, d, e, cy - d * ox - e * oy)
        warped = image.transform((big, big), Image.Transform.AFFINE, coeffs,
                                 resample=Image.Resampling.BILINEAR, fillcolor=0)
        small = warped.reduce(_OVERSAMPLE)
        if blur[i] > 0.05:
            small = small.filter(ImageFilter.GaussianBlur(float(blur[i])))
        pixels = np.asarray(small, dtype=np.float32) * np.float32(ink[i] / 255.0)
        images[i] = pixels + np.float32(noise_sd[i]) * noise[i].astype(np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    # Quantize to 1/255 steps: the cache stores uint8 and gives back exactly these values.
    pixels = np.round(images * 255).astype(np.uint8)
    return {"pixels": pixels, "target": target}


def _read_cache(path: Path | None, n: int, size: int) -> dict[str, np.ndarray] | None:
    """The cached arrays, or None when the file is missing, corrupt or not what we expect."""
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            pixels = archive["pixels"]
            target = archive["target"]
            version = str(archive["version"])
    except Exception:  # truncated or foreign file: zipfile, zlib, numpy and OS errors alike
        return None
    if (version != TIFINAGH_VERSION or pixels.dtype != np.uint8 or pixels.shape != (n, size, size)
            or target.shape != (n,) or target.dtype.kind not in "iu"):
        return None
    return {"pixels": pixels, "target": target.astype(np.int64)}


def _write_cache(path: Path | None, arrays: dict[str, np.ndarray]) -> None:
    """Write atomically (temporary file, then rename) so a reader never sees half a file."""
    if path is None:
        return
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as fh:
            np.savez_compressed(fh, pixels=arrays["pixels"], target=arrays["target"],
                                version=np.asarray(TIFINAGH_VERSION))
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a cache is ordinary data
        os.replace(temporary, path)
    except OSError:
        # A read-only or full cache folder must not stop the lesson: the data was made anyway.
        Path(temporary).unlink(missing_ok=True)


@register("tifinagh_letters", licence="CC-BY-SA-4.0 (images); font SIL OFL 1.1", kind="generated",
          summary="The 33 IRCAM Tifinagh letters rendered with Noto Sans Tifinagh, augmented, 28x28 grey")
def load_tifinagh_letters(n_per_letter: int = 60, size: int = 28, seed: int = 0) -> Bunch:
    """The 33 IRCAM Tifinagh letters as small grey images; see ``datasets/tifinagh_letters.md``.

    ``images`` (n, size, size) float32 in [0, 1] (white ink on black), ``data`` (n, size*size),
    ``target`` (0..32), ``target_names`` (Latin names such as ``yaz``), ``letters`` (the
    Tifinagh characters). ``n = 33 * n_per_letter``; sample ``i`` shows letter ``i % 33``.
    Same parameters, same arrays; made once, then read from the cache.
    """
    for name, value, lowest in (("n_per_letter", n_per_letter, 1), ("size", size, 8), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lowest:
            raise ValueError(f"{name} must be a whole number >= {lowest}, not {value!r}")
    from sklearn.utils import Bunch

    n_per_letter, size, seed = int(n_per_letter), int(size), int(seed)
    n = len(TIFINAGH_LETTERS) * n_per_letter
    path = _cache_file(n_per_letter, size, seed)
    arrays = _read_cache(path, n, size)
    if arrays is None:
        arrays = generate_tifinagh_letters(n_per_letter, size, seed)
        _write_cache(path, arrays)
    images = arrays["pixels"].astype(np.float32) / np.float32(255)
    return Bunch(
        images=images,
        data=images.reshape(n, size * size),
        target=arrays["target"],
        target_names=np.array([name for _, name in TIFINAGH_LETTERS]),
        letters=np.array([letter for letter, _ in TIFINAGH_LETTERS]),
        frame=None,
        DESCR=("The 33 IRCAM neo-Tifinagh letters rendered with Noto Sans Tifinagh (SIL OFL 1.1), "
               f"augmented; n_per_letter={n_per_letter}, size={size}, seed={seed}. "
               "Datasheet: datasets/tifinagh_letters.md (jisr.datasets.describe('tifinagh_letters'))."),
    )

"""Image data sets of the vision lesson: handwritten digits and rendered Tifinagh letters."""

from __future__ import annotations

import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from jisr import datasets
from jisr.data import images

N_LETTERS = 33


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty cache folder (never the learner's home)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("JISR_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory):
    """The default data set (60 per letter, 28x28, seed 0), made once for this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JISR_CACHE", str(tmp_path_factory.mktemp("cache")))
        return datasets.load("tifinagh_letters")


def test_both_are_registered_with_kind_and_licence() -> None:
    digits, tifinagh = datasets.info("digits"), datasets.info("tifinagh_letters")
    assert (digits.kind, digits.licence) == ("package", "CC-BY-4.0")
    assert tifinagh.kind == "generated"
    assert tifinagh.licence == "CC-BY-SA-4.0 (images); font SIL OFL 1.1"


def test_digits_come_from_scikit_learn_offline() -> None:
    digits = datasets.load("digits")
    assert digits.images.shape == (1797, 8, 8) and digits.data.shape == (1797, 64)
    assert digits.images.dtype.kind == "f" and digits.data.dtype.kind == "f"
    assert digits.images.min() == 0 and digits.images.max() == 16
    np.testing.assert_array_equal(digits.images.reshape(1797, 64), digits.data)
    assert list(digits.target_names) == list(range(10))
    assert set(digits.target) == set(range(10))


def test_the_alphabet_is_the_ircam_one_and_the_font_covers_it() -> None:
    assert len(images.TIFINAGH_LETTERS) == N_LETTERS
    assert len({letter for letter, _ in images.TIFINAGH_LETTERS}) == N_LETTERS
    for letter, name in images.TIFINAGH_LETTERS:
        assert all("\u2d30" <= ch <= "\u2d7f" for ch in letter)
        base = name[:-1] if letter.endswith("\u2d6f") else name
        assert unicodedata.name(letter[0]) == f"TIFINAGH LETTER {base.upper()}", letter
        if len(letter) == 2:
            assert name in ("yagw", "yakw") and letter[1] == "\u2d6f"
    ttlib = pytest.importorskip("fontTools.ttLib")
    cmap = ttlib.TTFont(images.font_path()).getBestCmap()
    assert all(ord(ch) in cmap for letter, _ in images.TIFINAGH_LETTERS for ch in letter)


def test_no_letter_is_drawn_as_a_missing_glyph_box() -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(images.font_path()), 40, layout_engine=ImageFont.Layout.BASIC)

    def draw(text: str) -> np.ndarray:
        canvas = Image.new("L", (120, 80), 0)
        ImageDraw.Draw(canvas).text((10, 10), text, font=font, fill=255)
        return np.asarray(canvas)

    tofu = draw("\ue000")  # a private-use code point the font lacks
    drawn = [draw(letter) for letter, _ in images.TIFINAGH_LETTERS]
    for (letter, name), pixels in zip(images.TIFINAGH_LETTERS, drawn):
        assert pixels.any(), f"{name} is blank"
        assert not np.array_equal(pixels, tofu), f"{name} is drawn as a missing glyph"
    assert len({pixels.tobytes() for pixels in drawn}) == N_LETTERS


def test_shapes_types_and_values(letters) -> None:
    n = N_LETTERS * 60
    assert letters.images.shape == (n, 28, 28) and letters.images.dtype == np.float32
    assert letters.data.shape == (n, 28 * 28) and letters.data.dtype == np.float32
    np.testing.assert_array_equal(letters.images.reshape(n, -1), letters.data)
    assert 0.0 <= letters.images.min() and letters.images.max() <= 1.0
    assert letters.target.shape == (n,) and letters.target.dtype.kind == "i"
    assert list(letters.target_names) == [name for _, name in images.TIFINAGH_LETTERS]
    assert list(letters.letters) == [letter for letter, _ in images.TIFINAGH_LETTERS]
    assert len(set(letters.target_names)) == N_LETTERS
    counts = np.bincount(letters.target, minlength=N_LETTERS)
    assert len(counts) == N_LETTERS and (counts == 60).all()
    assert list(letters.target[:N_LETTERS]) == list(range(N_LETTERS))  # the alphabet comes first


def test_every_letter_has_ink_and_its_own_shape(letters) -> None:
    means = np.stack([letters.data[letters.target == k].mean(axis=0) for k in range(N_LETTERS)])
    assert (means.max(axis=1) > 0.3).all(), "a letter is blank"
    # Ink (pixels brighter than half) covers a few percent of every image, never most of it.
    ink = (letters.data > 0.5).mean(axis=1)
    assert ink.min() > 0.01 and ink.max() < 0.5
    distances = np.linalg.norm(means[:, None, :] - means[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    assert distances.min() > 1.0, "two letters look the same on average (missing glyphs?)"


def test_same_seed_same_images_other_seed_other_images(cache: Path, tmp_path: Path, monkeypatch) -> None:
    first = images.generate_tifinagh_letters(n_per_letter=3, size=20, seed=7)
    again = images.generate_tifinagh_letters(n_per_letter=3, size=20, seed=7)
    other = images.generate_tifinagh_letters(n_per_letter=3, size=20, seed=8)
    np.testing.assert_array_equal(first["pixels"], again["pixels"])
    np.testing.assert_array_equal(first["target"], other["target"])
    assert not np.array_equal(first["pixels"], other["pixels"])
    loaded = datasets.load("tifinagh_letters", n_per_letter=3, size=20, seed=7)
    monkeypatch.setenv("JISR_CACHE", str(tmp_path / "another cache"))
    elsewhere = datasets.load("tifinagh_letters", n_per_letter=3, size=20, seed=7)
    np.testing.assert_array_equal(loaded.images, elsewhere.images)
    np.testing.assert_array_equal(loaded.images, first["pixels"] / np.float32(255))


def test_the_cache_is_reused(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = time.perf_counter()
    made = images.load_tifinagh_letters(n_per_letter=20)
    making = time.perf_counter() - start
    files = list(cache.glob("tifinagh_letters-*.npz"))
    assert len(files) == 1 and "-n20-s28-seed0-" in files[0].name
    with np.load(files[0], allow_pickle=False) as archive:  # plain arrays, no pickle
        assert archive["pixels"].dtype == np.uint8

    def no_generation(*args, **kwargs):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(images, "generate_tifinagh_letters", no_generation)
    start = time.perf_counter()
    cached = images.load_tifinagh_letters(n_per_letter=20)
    reading = time.perf_counter() - start
    assert reading < making
    np.testing.assert_array_equal(made.images, cached.images)
    np.testing.assert_array_equal(made.target, cached.target)


@pytest.mark.parametrize("damage", ["truncated", "scrambled", "garbage", "empty", "wrong arrays"])
def test_a_damaged_cache_file_is_made_again(cache: Path, damage: str) -> None:
    made = images.load_tifinagh_letters(n_per_letter=2, size=16, seed=3)
    (path,) = cache.glob("tifinagh_letters-*.npz")
    content = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    elif damage == "scrambled":  # the zip directory is intact, the compressed pixels are not
        middle = len(content) // 3
        path.write_bytes(content[:middle] + bytes(b ^ 0x5A for b in content[middle:middle + 200]) + content[middle + 200:])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file" * 100)
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with path.open("wb") as fh:
            np.savez_compressed(fh, pixels=np.zeros((5, 16, 16), np.uint8), target=np.zeros(5, np.int64),
                                version=np.asarray(images.TIFINAGH_VERSION))
    again = images.load_tifinagh_letters(n_per_letter=2, size=16, seed=3)
    np.testing.assert_array_equal(made.images, again.images)
    with np.load(path, allow_pickle=False) as archive:  # the file was written again, whole
        assert archive["pixels"].shape == (66, 16, 16)


def test_no_usable_cache_folder_still_gives_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    monkeypatch.setenv("JISR_CACHE", str(not_a_folder))
    letters = images.load_tifinagh_letters(n_per_letter=1, size=12)
    assert letters.images.shape == (N_LETTERS, 12, 12)


@pytest.mark.parametrize("options", [{"n_per_letter": 0}, {"size": 4}, {"seed": -1}, {"size": 28.5}, {"seed": True}])
def test_bad_options_are_refused(cache: Path, options: dict) -> None:
    with pytest.raises(ValueError):
        images.load_tifinagh_letters(**options)


def test_a_simple_classifier_learns_the_letters(letters) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    train = np.arange(len(letters.target)) < N_LETTERS * 40  # 40 of each letter to learn, 20 to test
    model = KNeighborsClassifier(n_neighbors=1).fit(letters.data[train], letters.target[train])
    accuracy = model.score(letters.data[~train], letters.target[~train])
    assert accuracy > 0.8, f"1-nearest-neighbour accuracy {accuracy:.2f} (chance: {1 / N_LETTERS:.2f})"

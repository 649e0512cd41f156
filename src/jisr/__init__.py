"""Jisr (جسر): a free trilingual AI course, its book, its exercises and its grader."""

from __future__ import annotations

from . import datasets
from .lesson import Lesson, start_lesson

__all__ = ["Lesson", "datasets", "start_lesson"]
__version__ = "0.1.0"

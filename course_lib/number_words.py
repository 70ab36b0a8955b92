"""Numbers written in words, in English and in Chinese: chapter 12's transduction task, generated offline.

``to_words(342506)`` gives ``"three hundred forty-two thousand five hundred six"`` and ``to_words(342506, "zh")``
gives ``"三十四万二千五百零六"``; ``number_pairs`` draws a seeded set of (words, digits) pairs whose inputs get
longer as the numbers grow, so that accuracy can be read by input length.
"""

from __future__ import annotations

import numpy as np

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10**9, "billion"), (10**6, "million"), (10**3, "thousand")]
_ZH_DIGITS = "零一二三四五六七八九"
_ZH_UNITS = ["", "十", "百", "千"]
LIMIT = 10**12


def _english_below_1000(n: int) -> list[str]:
    words = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else ""))
    elif n or not words:
        words.append(_ONES[n])
    return words


def _english(n: int) -> str:
    if n == 0:
        return "zero"
    words = []
    for value, name in _SCALES:
        if n >= value:
            words += _english_below_1000(n // value) + [name]
            n %= value
    if n:
        words += _english_below_1000(n)
    return " ".join(words)


def _chinese_group(n: int) -> str:
    """0 < n < 10,000 in Chinese, with 零 for each run of zeros between two non-zero digits."""
    digits = f"{n:04d}"
    out, zero_pending = [], False
    for position, digit in enumerate(digits):
        d = int(digit)
        if d == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_ZH_DIGITS[d] + _ZH_UNITS[3 - position])
    return "".join(out)


def _chinese(n: int) -> str:
    if n == 0:
        return "零"
    groups = []                     # 4-digit groups, most significant first, with their unit
    for value, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
        groups.append((n // value, unit))
        n %= value
    out, started, gap = [], False, False
    for group, unit in groups:
        if group == 0:
            gap = gap or started
            continue
        if started and (gap or group < 1000):
            out.append("零")        # a zero between this group and the last one written
        out.append(_chinese_group(group) + unit)
        started, gap = True, False
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text   # 10-19 at the start: 十五, not 一十五


def to_words(n: int, language: str = "en") -> str:
    """The integer ``0 <= n < 10**12`` in words: ``language`` ``"en"`` (American English, hyphenated tens, no
    "and") or ``"zh"`` (Chinese numerals with 十 百 千 万 亿)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n < LIMIT:
        raise ValueError(f"n must be an integer in [0, 10**12), got {n!r}")
    if language == "en":
        return _english(int(n))
    if language == "zh":
        return _chinese(int(n))
    raise ValueError(f"language must be 'en' or 'zh', got {language!r}")


def number_pairs(count: int, max_digits: int = 9, language: str = "en", seed: int = 0):
    """``count`` (words, digits) string pairs. The number of digits is drawn uniformly from 1 to ``max_digits``,
    then the number uniformly among numbers of that many digits, so short and long inputs are equally common.

    Returns two lists of ``count`` strings: the numbers in words, and in digits (``"342506"``).
    """
    if not 1 <= max_digits <= 12:
        raise ValueError(f"max_digits must be between 1 and 12, got {max_digits!r}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_digits + 1, size=count)
    numbers = [int(rng.integers(10 ** (k - 1) if k > 1 else 0, 10**k)) for k in lengths]
    return [to_words(n, language) for n in numbers], [str(n) for n in numbers]

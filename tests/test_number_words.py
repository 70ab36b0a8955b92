"""course_lib.number_words: numbers in English and Chinese words, and the seeded pairs chapter 12 trains on."""

import numpy as np
import pytest

from course_lib.number_words import number_pairs, to_words

ENGLISH = {
    0: "zero", 7: "seven", 13: "thirteen", 40: "forty", 42: "forty-two", 100: "one hundred",
    101: "one hundred one", 999: "nine hundred ninety-nine", 1000: "one thousand", 1010: "one thousand ten",
    20_000_001: "twenty million one", 342_506: "three hundred forty-two thousand five hundred six",
    10**9: "one billion", 999_999_999_999: "nine hundred ninety-nine billion nine hundred ninety-nine million "
                                        "nine hundred ninety-nine thousand nine hundred ninety-nine",
}
# Chinese: 零 once for each run of zeros between non-zero digits, also across 万 and 亿; 十 alone for 10-19
CHINESE = {
    0: "零", 10: "十", 15: "十五", 20: "二十", 101: "一百零一", 110: "一百一十", 1001: "一千零一",
    1010: "一千零一十", 10_000: "一万", 10_050: "一万零五十", 12_000: "一万二千", 100_000: "十万",
    100_500: "十万零五百", 342_506: "三十四万二千五百零六", 1_000_500: "一百万零五百", 100_010_000: "一亿零一万",
    105_000_000: "一亿零五百万", 123_456_789: "一亿二千三百四十五万六千七百八十九", 10**9: "十亿",
    200_000_003: "二亿零三",
}


@pytest.mark.parametrize("number, words", ENGLISH.items())
def test_english(number, words):
    assert to_words(number) == words


@pytest.mark.parametrize("number, words", CHINESE.items())
def test_chinese(number, words):
    assert to_words(number, "zh") == words


def _english_to_int(text):
    small = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                         "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                                         "sixteen", "seventeen", "eighteen", "nineteen"])}
    small.update({w: 10 * i for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy",
                                                   "eighty", "ninety"], start=2)})
    scales = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
    total = group = 0
    for word in text.split():
        if word == "hundred":
            group *= 100
        elif word in scales:
            total, group = total + group * scales[word], 0
        else:
            group += sum(small[part] for part in word.split("-"))
    return total + group


def test_english_words_read_back_to_the_number():
    numbers = np.random.default_rng(0).integers(0, 10**12, size=2000)
    for n in numbers:
        assert _english_to_int(to_words(int(n))) == n


def test_pairs_are_seeded_and_cover_every_length():
    words, digits = number_pairs(600, max_digits=9, seed=3)
    assert (words, digits) == number_pairs(600, max_digits=9, seed=3)
    assert words != number_pairs(600, max_digits=9, seed=4)[0]
    assert {len(d) for d in digits} == set(range(1, 10))
    assert all(to_words(int(d)) == w for w, d in zip(words, digits, strict=True))
    zh, zh_digits = number_pairs(600, language="zh", seed=3)    # the same numbers, in Chinese
    assert zh_digits == digits and zh[0] == to_words(int(digits[0]), "zh")


def test_errors():
    for bad in (-1, 10**12, 2.5, True, "12"):
        with pytest.raises(ValueError, match=r"n must be an integer in \[0, 10\*\*12\)"):
            to_words(bad)
    with pytest.raises(ValueError, match="language must be 'en' or 'zh'"):
        to_words(5, "fr")
    with pytest.raises(ValueError, match="max_digits must be between 1 and 12"):
        number_pairs(5, max_digits=13)

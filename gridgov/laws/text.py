"""Chinese text helpers of the law library: numerals, jieba segmentation, highlighting.

The token text stored with every article is the article's words separated by single spaces, with
punctuation and whitespace dropped, so that SQLite FTS5 (``unicode61``), PostgreSQL's ``simple``
configuration and the Python BM25 index all see the same words.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata

_jieba_lock = threading.Lock()
_jieba = None

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def chinese_number(text: str) -> int:
    """``一千零八十四`` → 1084; ``十二`` → 12; Arabic digits pass through.  Raises ValueError."""
    text = text.strip()
    if not text:
        raise ValueError("empty number")
    if text.isdigit():
        return int(text)
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch in UNITS:
            unit = UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + section + (digit or 0)


NUMERAL = "零〇一二两三四五六七八九十百千万0-9"
ARTICLE_LABEL = re.compile(rf"^第([{NUMERAL}]+)条(之[{NUMERAL}]+)?")


def article_number(label: str) -> int | None:
    """The integer of an article label: ``第一千零八十四条`` → 1084, ``第一百二十条之一`` → 120."""
    m = ARTICLE_LABEL.match(label.strip())
    return chinese_number(m.group(1)) if m else None


def _get_jieba():
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def get_jieba():
    """jieba, initialised once per process."""
    return _get_jieba()


def normalize(text: str) -> str:
    """Full-width letters and digits as ASCII, lower case (ＫＴＶ → ktv): how the lexicon's keys are written."""
    return unicodedata.normalize("NFKC", text).lower()


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with … when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_word(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def _clean(token: str) -> str:
    # keep letters and digits only: FTS5's unicode61 and PostgreSQL's parser would split on the rest
    return "".join(ch for ch in token if unicodedata.category(ch)[0] in "LN").lower()


def index_tokens(text: str) -> list[str]:
    """Words of a stored text, in jieba's search mode (``中华人民共和国`` also yields ``中华``, ``人民``…)."""
    jieba = _get_jieba()
    out = []
    for token in jieba.cut_for_search(text):
        if _is_word(token):
            out.append(_clean(token))
    return out


def index_text(text: str) -> str:
    return " ".join(index_tokens(text))


# Words that carry no meaning for finding a law (function words and everyday fillers).
STOPWORDS = frozenset(
    """的 了 是 在 我 我们 你 他 她 它 他们 她们 这 那 这个 那个 就 都 也 和 与 及 或 被 把 让 给 对 从 到 吗 呢 吧 啊 呀 么
    有 没 没有 不 很 太 又 还 再 才 会 能 要 想 去 来 说 着 过 个 一 一个 些 一些 什么 怎么 怎么办 怎样 如何 为什么 可以 应该
    现在 已经 因为 所以 但是 可是 而且 然后 如果 之后 以后 时候 天天 每天 一直 总是 经常 非常 特别 真 真的 自己 人家 别人
    请问 请 问 帮 帮忙 一下 这样 那样 这么 那么 里 上 下 中 内 后 前 啥 咋 咋办 办 多 少 还是 或者 并 且 等 之 其
    有人 东西 我家 他家 不肯 不想 不让 突然 马上 好几 几个 好几个 一分 找 谁 跟 说好 不是 还要 我该 人 大 新 出 干 事""".split()
)


def query_terms(text: str, *, search_mode: bool = False) -> list[str]:
    """The distinct words of a query, stopwords dropped, order kept.

    jieba's precise mode by default; ``search_mode`` also yields the shorter words inside long ones
    (``月工资`` → ``工资``, ``月工资``), as the stored token text does.
    """
    jieba = _get_jieba()
    seen: dict[str, None] = {}
    for token in (jieba.cut_for_search(text) if search_mode else jieba.cut(text)):
        word = _clean(token)
        if word and word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def highlight(text: str, terms: list[str], *, context: int | None = None) -> str:
    """``text`` as HTML with every occurrence of ``terms`` wrapped in ``<mark>``; everything escaped.

    With ``context``, only a window of about that many characters around the first match is kept
    (… marks what was cut).
    """
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    start, end = 0, len(text)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None
    if context is not None and len(text) > context:
        first = pattern.search(text) if pattern else None
        at = first.start() if first else 0
        start = max(0, at - context // 4)
        end = min(len(text), start + context)
    piece = text[start:end]
    spans: list[list[int]] = []
    for m in pattern.finditer(piece) if pattern else ():
        if spans and spans[-1][1] == m.start():  # adjacent words become one mark
            spans[-1][1] = m.end()
        else:
            spans.append([m.start(), m.end()])
    parts = []
    pos = 0
    for a, b in spans:
        parts.append(html.escape(piece[pos:a]))
        parts.append(f"<mark>{html.escape(piece[a:b])}</mark>")
        pos = b
    parts.append(html.escape(piece[pos:]))
    out = "".join(parts)
    if start > 0:
        out = "…" + out
    if end < len(text):
        out += "…"
    return out

"""BM25 ranking for legal consultation, in Python so that every database gives the same answer.

The index covers the articles of laws in force (amendment documents — 修正案, 修改决定 — are left out:
their text is "replace article N with …", not a rule a person can rely on).  A document is the
article's tokens plus, once, the words of its law's short title and its chapter path, so "离婚" finds
the articles of 婚姻家庭编 第四章 离婚 even when the article itself says 男女双方.

The index is a cache: each process builds its own on first use and rebuilds it when the database
stamp (article count and largest id, law count and latest ``updated_at``) changes, so several
processes stay correct after an import.

Scoring: Okapi BM25 (k1 = 1.2, b = 0.75) over the query's words (jieba search mode), each weighted
1.0, a one-character word ``SHORT_WEIGHT``; words added by ``EXPANSIONS`` weigh ``EXPANSION_WEIGHT``.
The sum is multiplied by ``COMMON_LAW_BOOST`` for the laws of ``COMMON_LAWS`` (the laws grassroots
mediation cites).  A hit's explanation lists each matched word's share of the score (boost
included), so the shares add up to the score.  Ties are broken by law title and article position.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max

from gridgov.laws import text as lawtext
from gridgov.laws.models import Article, Law

K1 = 1.2
B = 0.75
EXPANSION_WEIGHT = 0.6
SHORT_WEIGHT = 0.3  # a one-character word of the description (打, 退, 拖): rare as a token, so over-weighted by idf
COMMON_LAW_BOOST = 1.25
# The laws grassroots mediators cite most (人民调解 practice): a mild prior, not a filter.
COMMON_LAWS = frozenset({
    "中华人民共和国民法典", "中华人民共和国劳动合同法", "中华人民共和国劳动法", "中华人民共和国社会保险法",
    "中华人民共和国劳动争议调解仲裁法", "中华人民共和国治安管理处罚法", "中华人民共和国人民调解法",
    "中华人民共和国消费者权益保护法", "中华人民共和国老年人权益保障法", "中华人民共和国妇女权益保障法",
    "中华人民共和国未成年人保护法", "中华人民共和国反家庭暴力法", "中华人民共和国道路交通安全法",
    "中华人民共和国土地管理法", "中华人民共和国农村土地承包经营纠纷调解仲裁法", "中华人民共和国生态环境法典",
    "中华人民共和国个人信息保护法", "中华人民共和国电子商务法",
})
EXCLUDED_KINDS = ("修正案", "修改决定")

# Everyday words → the legal terms the statutes use.  Small and reviewed by hand: each entry is a
# word people say when they ask for help and the words the relevant articles are written in.
EXPANSIONS: dict[str, tuple[str, ...]] = {
    # work
    "欠薪": ("拖欠", "工资", "劳动报酬"),
    "工资": ("劳动报酬",),
    "老板": ("用人单位",),
    "公司": ("用人单位",),
    "厂里": ("用人单位",),
    "开除": ("解除劳动合同",),
    "辞退": ("解除劳动合同",),
    "炒鱿鱼": ("解除劳动合同",),
    "合同": ("劳动合同",),
    "加班": ("延长工作时间", "加班费"),
    "工伤": ("工伤保险", "工伤"),
    "五险": ("社会保险",),
    "社保": ("社会保险",),
    "试用期": ("试用期", "解除劳动合同"),
    "签": ("订立",),
    "摔": ("工伤", "事故伤害"),
    "工地": ("工伤", "事故伤害"),
    "干活": ("工作原因",),
    "交社保": ("缴纳", "社会保险费"),
    "赔偿金": ("经济补偿",),
    "补偿": ("经济补偿",),
    # family
    "离婚": ("离婚", "婚姻"),
    "结婚": ("结婚", "婚姻"),
    "老公": ("夫妻", "配偶"),
    "老婆": ("夫妻", "配偶"),
    "丈夫": ("夫妻", "配偶"),
    "妻子": ("夫妻", "配偶"),
    "孩子": ("子女",),
    "小孩": ("子女",),
    "抚养费": ("抚养费", "子女"),
    "带孩子": ("抚养", "子女"),
    "打人": ("殴打", "伤害"),
    "打老婆": ("家庭暴力",),
    "家暴": ("家庭暴力",),
    "爸妈": ("父母", "赡养"),
    "老人": ("老年人", "赡养"),
    "养老": ("赡养", "老年人"),
    "生活费": ("赡养费", "赡养"),
    "爸": ("父母",),
    "妈": ("父母", "老年人"),
    "占了": ("侵占",),
    "遗产": ("继承", "遗产"),
    "遗嘱": ("遗嘱", "继承"),
    "彩礼": ("彩礼", "借婚姻索取财物"),
    # housing and neighbours
    "房东": ("出租人", "租赁"),
    "租客": ("承租人", "租赁"),
    "房租": ("租金", "租赁"),
    "租房": ("租赁", "承租人"),
    "押金": ("押金", "租赁"),
    "物业": ("物业服务人", "物业服务"),
    "物业费": ("物业费",),
    "邻居": ("相邻", "相邻关系"),
    "噪音": ("噪声", "噪声污染"),
    "吵": ("噪声",),
    "装修": ("装修", "噪声"),
    "漏水": ("相邻", "排水", "损害"),
    "挡光": ("通风", "采光", "日照"),
    "违建": ("违法建设", "建筑物"),
    "狗": ("饲养动物", "动物"),
    "宠物": ("饲养动物",),
    "咬": ("饲养动物", "损害"),
    "高空": ("抛掷物品", "坠落"),
    "扔东西": ("抛掷物品",),
    "宅基地": ("宅基地",),
    "拆迁": ("征收", "补偿"),
    "地": ("土地",),
    # money, shopping, traffic
    "借钱": ("借款", "借款合同"),
    "欠钱": ("借款", "债务"),
    "不还": ("返还", "借款"),
    "利息": ("利息", "借款"),
    "假货": ("欺诈", "消费者"),
    "不给退": ("退货",),
    "不合适": ("退货",),
    "买到": ("消费者", "商品"),
    "退货": ("退货", "消费者"),
    "商家": ("经营者",),
    "网购": ("网络交易", "电子商务"),
    "快递": ("快递", "邮件"),
    "撞": ("交通事故",),
    "车祸": ("交通事故",),
    "酒驾": ("饮酒", "醉酒", "机动车"),
    "骗": ("诈骗", "欺诈"),
    "偷": ("盗窃",),
    "被人偷": ("盗窃",),
    "打架": ("殴打", "斗殴"),
    "骂": ("侮辱", "辱骂"),
    "造谣": ("诽谤", "捏造", "名誉权"),
    "偷拍": ("隐私", "隐私权"),
    "摄像头": ("隐私", "隐私权"),
    "交警": ("公安机关交通管理部门", "交通事故"),
    "叫": ("饲养动物", "干扰他人正常生活"),
    "卖了": ("出卖", "所有权变动"),
    "不交": ("支付", "迟延支付"),
    "反悔": ("调解协议", "履行"),
    "签了字": ("调解协议", "达成"),
    "名字": ("共同财产", "夫妻"),
    "手术": ("诊疗", "医疗机构", "患者"),
    "投资": ("诈骗", "欺诈"),
    "个人信息": ("个人信息",),
    "调解": ("人民调解", "调解"),
    "学校": ("学校", "未成年人", "学生欺凌"),
    "同学": ("学生欺凌", "学生"),
    "医院": ("医疗", "医疗机构"),
    "看病": ("医疗", "患者"),
}


@dataclass
class Explanation:
    term: str
    weight: float  # 1.0 for the description's own word, EXPANSION_WEIGHT for an added legal term
    tf: int
    score: float


@dataclass
class Query:
    weights: dict[str, float]
    own_terms: list[str]
    expanded_terms: list[str]


@dataclass
class Ranked:
    article_id: int
    score: float
    explanation: list[Explanation]


def expand(description: str) -> Query:
    own = lawtext.query_terms(description, search_mode=True)
    weights = {t: (SHORT_WEIGHT if len(t) == 1 else 1.0) for t in own}
    added: list[str] = []
    for word, legal in EXPANSIONS.items():
        if word in description:
            for phrase in legal:
                for term in lawtext.query_terms(phrase, search_mode=True):
                    if term not in weights:
                        added.append(term)
                    if weights.get(term, 0) < EXPANSION_WEIGHT:
                        weights[term] = EXPANSION_WEIGHT
    return Query(weights=weights, own_terms=own, expanded_terms=added)


class ConsultIndex:
    def __init__(self, stamp):
        self.stamp = stamp
        laws = {
            law.pk: law
            for law in Law.objects.filter(status=Law.Status.IN_FORCE).exclude(kind__in=EXCLUDED_KINDS)
        }
        title_words = {pk: lawtext.index_tokens(law.short_title) for pk, law in laws.items()}
        chapter_words: dict[str, list[str]] = {}
        ids, doc_laws, sort_keys, lengths = [], [], [], []
        postings: dict[str, tuple[list[int], list[int]]] = {}
        rows = (Article.objects.filter(law_id__in=list(laws)).order_by("law_id", "position")
                .values_list("id", "law_id", "position", "chapter", "tokens"))
        for doc, (pk, law_id, position, chapter, tokens) in enumerate(rows.iterator(chunk_size=5000)):
            if chapter not in chapter_words:
                chapter_words[chapter] = lawtext.index_tokens(chapter) if chapter else []
            words = tokens.split()
            counts = Counter(words)
            extra = set(title_words[law_id]) | set(chapter_words[chapter])
            for w in extra:
                counts[w] += 1
            ids.append(pk)
            doc_laws.append(law_id)
            sort_keys.append((laws[law_id].title, laws[law_id].key, position))
            lengths.append(len(words) + len(extra))
            for w, n in counts.items():
                p = postings.get(w)
                if p is None:
                    postings[w] = ([doc], [n])
                else:
                    p[0].append(doc)
                    p[1].append(n)
        self.ids = np.array(ids, dtype=np.int64)
        self.prior = np.array([COMMON_LAW_BOOST if laws[law_id].title in COMMON_LAWS else 1.0
                               for law_id in doc_laws])
        order = sorted(range(len(ids)), key=sort_keys.__getitem__)
        self.tiebreak = np.empty(len(ids), dtype=np.int64)  # rank of (law title, key, position)
        self.tiebreak[order] = np.arange(len(ids))
        self.lengths = np.array(lengths, dtype=np.float64)
        self.n = len(ids)
        self.avgdl = float(self.lengths.mean()) if self.n else 1.0
        self.postings = {w: (np.array(d, dtype=np.int64), np.array(n, dtype=np.float64)) for w, (d, n) in
                         postings.items()}

    def idf(self, term: str) -> float:
        df = len(self.postings[term][0]) if term in self.postings else 0
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def query(self, description: str) -> Query:
        return expand(description)

    def _term_scores(self, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        docs, tf = self.postings[term]
        norm = K1 * (1 - B + B * self.lengths[docs] / self.avgdl)
        return docs, tf, self.idf(term) * tf * (K1 + 1) / (tf + norm)

    def rank(self, query: Query, k: int) -> list[Ranked]:
        if not self.n:
            return []
        scores = np.zeros(self.n)
        parts: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for term, weight in query.weights.items():
            if term not in self.postings:
                continue
            docs, tf, s = self._term_scores(term)
            scores[docs] += weight * s
            parts[term] = (docs, tf, s)
        scores *= self.prior
        hit = np.flatnonzero(scores > 0)
        if not len(hit):
            return []
        # highest score first; equal scores (rounded, so float noise cannot reorder) by law and position
        order = np.lexsort((self.tiebreak[hit], -np.round(scores[hit], 9)))[:k]
        out = []
        for doc in hit[order]:
            explanation = []
            for term, (docs, tf, s) in parts.items():
                i = np.searchsorted(docs, doc)
                if i < len(docs) and docs[i] == doc:
                    w = query.weights[term]
                    explanation.append(Explanation(term=term, weight=w, tf=int(tf[i]), score=round(float(w * s[i] * self.prior[doc]), 4)))
            explanation.sort(key=lambda e: -e.score)
            out.append(Ranked(article_id=int(self.ids[doc]), score=round(float(scores[doc]), 4),
                              explanation=explanation))
        return out


_lock = threading.Lock()
_index: ConsultIndex | None = None


def stamp():
    a = Article.objects.aggregate(n=Count("id"), last=Max("id"))
    law = Law.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (a["n"], a["last"], law["n"], law["last"])


def get_index() -> ConsultIndex:
    """The process's index, rebuilt when the database has changed since it was built."""
    global _index
    current = stamp()
    index = _index
    if index is not None and index.stamp == current:
        return index
    with _lock:
        if _index is None or _index.stamp != current:
            _index = ConsultIndex(current)
        return _index

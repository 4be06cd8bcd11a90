"""Risk grading of a dispute (一般 / 较大 / 重大): documented rules, thresholds in settings.

Every rule looks at the dispute as it is now and either fires — giving a grade and a reason in
Chinese, both stored on the dispute and shown on its page — or not.  The grade is the highest
grade of the rules that fired; ``COMBINE_TO_MAJOR`` or more 较大 factors together make it 重大.
No rule fires: 一般.  Thresholds live in ``settings.GRIDGOV["DISPUTE_RISK"]``
(environment ``GRIDGOV_DISPUTE_*``).

=============  ========================================================================  =========
rule           fires when                                                                grade
=============  ========================================================================  =========
group          涉及人数 ≥ GROUP_PEOPLE (5) — 群体性纠纷; ≥ GROUP_MAJOR_PEOPLE (30): 重大      较大/重大
amount         涉及金额 ≥ AMOUNT_SERIOUS (10万元); ≥ AMOUNT_MAJOR (100万元): 重大             较大/重大
key_person     a party is a registry resident with an active KeyPerson listing;            较大/重大
               a high-risk listing: 重大
threat         the description, segmented with jieba, contains a threat or self-harm       重大
               word (THREAT_WORDS: 杀 砍 同归于尽 跳楼 喝农药 自杀 报复 炸 …) as a token
               — so 杀猪, 砍价, 油炸 do not fire
repeat         a party (same resident, or same phone) is a party of another dispute          较大
               registered within REPEAT_DAYS (90) days before or after this one
reopened       the dispute was reopened after closing                                    较大
=============  ========================================================================  =========

A center operator may override the grade with a reason (workflow action ``regrade``, logged);
the computed grade and its reasons stay visible next to the override.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.disputes.models import GRADE_ORDER, Dispute, RiskGrade

G, S, M = RiskGrade.GENERAL, RiskGrade.SERIOUS, RiskGrade.MAJOR


@dataclass(frozen=True)
class Factor:
    rule: str
    grade: str
    reason: str


def config() -> dict:
    return settings.GRIDGOV["DISPUTE_RISK"]


@lru_cache(maxsize=4)
def _tokenizer(words: tuple[str, ...]):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    for w in words:
        if len(w) > 1:
            tk.add_word(w, freq=20000)
    return tk


def threat_words_in(text: str, words=None) -> list[str]:
    """The threat words that occur as whole jieba tokens of ``text`` (in order, no repeats)."""
    words = tuple(words if words is not None else config()["THREAT_WORDS"])
    wanted = set(words)
    found = []
    for token in _tokenizer(words).lcut(text or ""):
        if token in wanted and token not in found:
            found.append(token)
    return found


def _group(d: Dispute, cfg) -> Factor | None:
    if d.people_count >= cfg["GROUP_MAJOR_PEOPLE"]:
        return Factor("group", M, _("涉及 %(people)s 人，属大规模群体性纠纷（≥%(threshold)s人）")
                      % {"people": d.people_count, "threshold": cfg["GROUP_MAJOR_PEOPLE"]})
    if d.people_count >= cfg["GROUP_PEOPLE"]:
        return Factor("group", S, _("涉及 %(people)s 人，属群体性纠纷（≥%(threshold)s人）")
                      % {"people": d.people_count, "threshold": cfg["GROUP_PEOPLE"]})
    return None


def _amount(d: Dispute, cfg) -> Factor | None:
    amount = Decimal(d.amount or 0)
    if amount >= cfg["AMOUNT_MAJOR"]:
        return Factor("amount", M, _("涉及金额 %(amount)s 元（≥%(threshold)s 元）")
                      % {"amount": f"{amount:,.0f}", "threshold": f"{cfg['AMOUNT_MAJOR']:,}"})
    if amount >= cfg["AMOUNT_SERIOUS"]:
        return Factor("amount", S, _("涉及金额 %(amount)s 元（≥%(threshold)s 元）")
                      % {"amount": f"{amount:,.0f}", "threshold": f"{cfg['AMOUNT_SERIOUS']:,}"})
    return None


def _key_person(d: Dispute, cfg, now) -> Factor | None:
    from gridgov.registry.models import KeyPerson

    resident_ids = [p.resident_id for p in d.parties.all() if p.resident_id]
    if not resident_ids:
        return None
    listings = list(KeyPerson.objects.active(timezone.localdate(now)).filter(resident_id__in=resident_ids)
                    .select_related("resident", "category"))
    if not listings:
        return None
    # the reason is read by everyone who sees the case (mediators, leaders), who may not see key-person
    # details (registry.scope): it says that a party is listed, never who or in which category
    if any(k.risk_level == "high" for k in listings):
        return Factor("key_person", M, _("有当事人为在册高风险重点人员"))
    return Factor("key_person", S, _("有当事人为在册重点人员"))


def _threat(d: Dispute, cfg) -> Factor | None:
    found = threat_words_in(d.description)
    if found:
        return Factor("threat", M, _("描述中含有过激、威胁或自伤言辞：%(words)s，需防止民转刑")
                      % {"words": "、".join(f"“{w}”" for w in found)})
    return None


def _repeat(d: Dispute, cfg, now) -> Factor | None:
    from gridgov.disputes.models import Party

    parties = list(d.parties.all())
    residents = {p.resident_id for p in parties if p.resident_id}
    phones = {p.phone_hash for p in parties if p.phone_hash}  # the keyed hashes: no decryption needed
    if not residents and not phones:
        return None
    days = cfg["REPEAT_DAYS"]
    at = d.created_at or now
    match = Q(resident_id__in=residents) | Q(phone_hash__in=phones)
    others = (Party.objects.filter(match)
              .filter(dispute__created_at__gte=at - timedelta(days=days), dispute__created_at__lte=at + timedelta(days=days))
              .exclude(dispute_id=d.pk).select_related("dispute"))
    numbers = sorted({p.dispute.number for p in others})
    if numbers:
        return Factor("repeat", S, _("同一当事人 %(days)s 日内另有纠纷：%(numbers)s")
                      % {"days": days, "numbers": "、".join(numbers[:5])})
    return None


def _reopened(d: Dispute, cfg) -> Factor | None:
    if d.reopen_count:
        return Factor("reopened", S, _("纠纷结案后重启（第 %(count)s 次），矛盾反复") % {"count": d.reopen_count})
    return None


def assess(dispute: Dispute, now=None) -> tuple[str, list[Factor]]:
    """(grade, the factors that fired)."""
    now = now or timezone.now()
    cfg = config()
    factors = [f for f in (
        _group(dispute, cfg), _amount(dispute, cfg), _key_person(dispute, cfg, now), _threat(dispute, cfg),
        _repeat(dispute, cfg, now), _reopened(dispute, cfg),
    ) if f is not None]
    grade = G
    for f in factors:
        if GRADE_ORDER[f.grade] > GRADE_ORDER[grade]:
            grade = f.grade
    serious = sum(1 for f in factors if f.grade == S)
    if grade == S and serious >= cfg["COMBINE_TO_MAJOR"]:
        grade = M
        factors.append(Factor("combined", M, _("%(count)s 项较大风险因素叠加") % {"count": serious}))
    return grade, factors


def apply(dispute: Dispute, now=None) -> tuple[str, str]:
    """Assess and store the result on ``dispute`` (not saved).  Returns (previous, new) effective grade."""
    before = dispute.risk_grade
    grade, factors = assess(dispute, now)
    dispute.risk_computed = grade
    dispute.risk_reasons = [asdict(f) for f in factors]
    dispute.risk_assessed_at = now or timezone.now()
    return before, dispute.risk_grade

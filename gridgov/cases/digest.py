"""The sweep's notifications: one digest per audience and action, per sweep — not one message per case.

A lifecycle's notification hook still says who is to be told about a system action
(:meth:`gridgov.cases.engine.Lifecycle.batch_messages`): the operators of these centers, the liaisons of
these departments, the leaders over these regions, these users. The sweep does not send those messages;
:func:`stage` turns a batch's messages into per-audience counts and the first case numbers (:func:`stage_set`:
for an action that declares which case columns decide its audiences, ``Transition.digest_by``, the messages of
one case per distinct tuple of them, counted by group in SQL — no Python per case), written as
:class:`~gridgov.cases.models.SweepDigest` rows in the batch's own transaction (one insert a batch), and
:func:`flush`, at the end of the sweep, sums a lifecycle's rows into one notification per audience and
action — "12 件事件已超期，已升级督办" with the first :data:`NUMBERS` case numbers and a link to the worklist
filtered to what the digest is about — and deletes them, in one transaction.

Exactly once: a batch's rows commit with its escalations or not at all; a sweep that dies between batches
leaves its rows for the next sweep's flush; two flushes at once take disjoint rows (``SKIP LOCKED`` on
PostgreSQL; on SQLite writers are serialised, and a flush that finds its rows gone rolls back).
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from gridgov.cases import notify
from gridgov.cases.models import SweepDigest
from gridgov.core.oneof import one_of

NUMBERS = 20  # case numbers a digest lists; the link to the worklist shows the rest
log = logging.getLogger("gridgov.sweep")


def audiences(m: notify.Message) -> set[tuple[str, str]]:
    """The audience keys of a message (its phone, an SMS to a citizen, is not an audience)."""
    keys = {("operator", str(r)) for r in m.operators_of if r}
    keys |= {("liaison", str(d)) for d in m.liaisons_of if d}
    keys |= {("leader", str(c)) for c in m.leaders_over if c}
    keys |= {("user", str(u.pk)) for u in m.users if u is not None}
    return keys


def stage(lc, cases: list, entries: list, per_case: list[list[notify.Message]]) -> list[SweepDigest]:
    """Write a batch's share of the digests (call inside the batch's transaction)."""
    counts: dict = defaultdict(int)
    numbers: dict = defaultdict(list)
    sms = []
    for case, entry, messages in zip(cases, entries, per_case, strict=True):
        keys = set()
        for m in messages:
            keys |= audiences(m)
            if m.phone:
                sms.append(notify.Message(m.kind, m.subject, m.body, m.link, phone=m.phone))
        for key in keys:
            k = (entry.action, *key)
            counts[k] += 1
            if len(numbers[k]) < NUMBERS:
                numbers[k].append(case.number)
    notify.send(sms)  # none of today's sweep actions texts a citizen; if one does, it stays one SMS a case
    return _write(lc, counts, numbers)


def _write(lc, counts: dict, numbers: dict) -> list[SweepDigest]:
    rows = [SweepDigest(kind=lc.kind, action=action, audience=audience, target=target, count=n,
                        numbers=numbers[(action, audience, target)])
            for (action, audience, target), n in counts.items()]
    return SweepDigest.objects.bulk_create(rows) if rows else []


def _order(order: tuple[str, ...]) -> list:
    return [F(o[1:]).desc() if o.startswith("-") else F(o).asc() for o in order]


def stage_set(lc, t, ids: list, order: tuple[str, ...]) -> list[SweepDigest]:
    """:func:`stage` for a batch swept in SQL (call after its writes, in its transaction): the cases grouped by
    ``t.digest_by`` in one query — each group's size and its first :data:`NUMBERS` numbers in ``order`` — and the
    lifecycle's messages asked for the first case of each group (with its new log row): who they tell is who the
    group's every case would tell."""
    key = list(t.digest_by)
    by = _order(order)
    part = [F(k) for k in key]
    rows = (lc.model._base_manager.filter(one_of("pk", ids))
            .annotate(gg_rn=Window(RowNumber(), partition_by=part, order_by=by),
                      gg_ord=Window(RowNumber(), order_by=by),
                      gg_n=Window(Count("pk"), partition_by=part))
            .filter(gg_rn__lte=NUMBERS).values_list("pk", "number", "gg_ord", "gg_rn", "gg_n", *key))
    groups: dict = {}
    for pk, number, ordinal, rn, n, *values in rows:
        g = groups.setdefault(tuple(values), {"n": n, "first": None, "numbers": []})
        g["numbers"].append((ordinal, number))
        if rn == 1:
            g["first"] = pk
    firsts = [g["first"] for g in groups.values()]
    cases = lc.model._base_manager.select_related(*lc.select_related).in_bulk(firsts)
    entries = {}
    for entry in lc.log_model._base_manager.filter(**{f"{lc.case_field}__in": firsts}, action=t.action).order_by("pk"):
        entries[getattr(entry, lc.log_model._meta.get_field(lc.case_field).attname)] = entry  # its latest
    counts: dict = defaultdict(int)
    ranked: dict = defaultdict(list)
    for g in groups.values():
        keys = set()
        for m in lc.messages(cases[g["first"]], entries[g["first"]], {}):
            if m.phone:
                raise ValueError(f"{lc.kind} {t.action} declares digest_by but texts a phone: an SMS is one a case")
            keys |= audiences(m)
        for audience in keys:
            k = (t.action, *audience)
            counts[k] += g["n"]
            ranked[k].extend(g["numbers"])
    numbers = {k: [number for _o, number in sorted(v)[:NUMBERS]] for k, v in ranked.items()}
    return _write(lc, counts, numbers)


def _plans(lc) -> dict:
    return {p.action: p for p in lc.sweeps}


def worklist_link(lc, plan) -> str:
    """The lifecycle's worklist, filtered to the SLA state the plan acts on when it acts on the case's own
    deadline (a second clock — a letter's reply, a 协办 department's 报到 — has no filter of its own)."""
    try:
        url = reverse(lc.worklist_url) if lc.worklist_url else ""
    except NoReverseMatch:
        return ""
    own_clock = plan is not None and plan.candidates is None and plan.deadline == "deadline"
    return f"{url}?sla_state={plan.state}" if url and own_clock else url


def message(lc, plan, action: str, audience: str, target: str, count: int, numbers: list[str], users: dict
            ) -> notify.Message:
    title = plan.digest if plan is not None and plan.digest else _("系统提醒：%(count)d件")
    shown = "、".join(numbers[:NUMBERS])
    body = (_("编号：%(numbers)s") if count <= len(numbers[:NUMBERS]) else _("编号：%(numbers)s 等，共%(count)d件")) % {
        "numbers": shown, "count": count}
    m = notify.Message(action, (str(title) % {"count": count})[:200], body, worklist_link(lc, plan))
    if audience == "operator":
        m.operators_of = (int(target),)
    elif audience == "liaison":
        m.liaisons_of = (int(target),)
    elif audience == "leader":
        m.leaders_over = (target,)
    elif int(target) in users:
        m.users = [users[int(target)]]
    return m


def flush(lc) -> int:
    """Send ``lc``'s staged digests — one notification per audience and action — and delete their rows;
    returns the number of digests (messages) sent."""
    from gridgov.accounts.models import User

    if not SweepDigest.objects.filter(kind=lc.kind).exists():  # nothing staged: one query, no transaction
        return 0
    with transaction.atomic():
        rows = list(SweepDigest.objects.filter(kind=lc.kind).order_by("pk").select_for_update(skip_locked=True))
        if not rows:
            return 0
        counts: dict = defaultdict(int)
        numbers: dict = defaultdict(list)
        for r in rows:
            k = (r.action, r.audience, r.target)
            counts[k] += r.count
            numbers[k].extend(r.numbers[:NUMBERS - len(numbers[k])])
        user_ids = {int(t) for (_a, audience, t) in counts if audience == "user"}
        users = User.objects.in_bulk(user_ids) if user_ids else {}
        plans = _plans(lc)
        messages = [message(lc, plans.get(action), action, audience, target, n, numbers[(action, audience, target)],
                            users)
                    for (action, audience, target), n in sorted(counts.items())]
        ids = [r.pk for r in rows]
        deleted = sum(SweepDigest.objects.filter(pk__in=ids[i:i + 5000]).delete()[0] for i in range(0, len(ids), 5000))
        if deleted != len(rows):  # another flush took some of them first (SQLite: no row locks): leave it to it
            transaction.set_rollback(True)
            return 0
        notify.send(messages)
    return len(messages)

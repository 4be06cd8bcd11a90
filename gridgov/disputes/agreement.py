"""人民调解协议书 as a DOCX document (python-docx), generated from the case."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from gridgov.core.text import xml_safe
from gridgov.disputes.models import Dispute, Party

SIGNATURE_LINES = [gettext_lazy("当事人签名（按指印）："), gettext_lazy("调解员签名："), gettext_lazy("人民调解委员会（印章）"),
                   gettext_lazy("日期：    年    月    日")]


def _font(doc):
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")


def _date(value) -> str:
    return value.strftime(_("%Y年%m月%d日"))


def build_docx(d: Dispute, full_phones: bool = False) -> bytes:
    """``full_phones``: the copy the parties sign carries their numbers; any other copy is masked."""
    ag = d.agreement
    doc = Document()
    _font(doc)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(_("人民调解协议书"))
    run.bold = True
    run.font.size = Pt(20)
    # stored text is written through xml_safe: one control character must not make the document fail
    org = xml_safe(d.mediator.org_name if d.mediator_id else d.center.center_name)
    no = doc.add_paragraph(_("编号：%(number)s") % {"number": d.number})
    no.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(_("调解组织：%(org)s    调解渠道：%(channel)s") % {"org": org, "channel": d.get_channel_display()})

    doc.add_heading(_("当事人"), level=2)
    for p in d.parties.all():
        role = Party.Role(p.role).label
        line = f"{role}：{p.name}"
        if p.phone:
            line += _("，联系电话：%(phone)s") % {"phone": p.phone if full_phones else p.masked_phone}
        if p.address:
            line += _("，住址：%(address)s") % {"address": p.address}
        doc.add_paragraph(xml_safe(line))

    doc.add_heading(_("纠纷主要事实、争议事项"), level=2)
    doc.add_paragraph(xml_safe(ag.facts))
    doc.add_heading(_("经调解，自愿达成如下协议"), level=2)
    for i, line in enumerate([t for t in ag.terms.splitlines() if t.strip()], start=1):
        doc.add_paragraph(xml_safe(f"{i}. {line.strip()}"))
    doc.add_heading(_("履行方式、时限"), level=2)
    doc.add_paragraph(_("履行期限：%(date)s前") % {"date": _date(ag.performance_deadline)} if ag.performance_deadline
                      else _("履行期限：本协议签订后即时履行"))
    doc.add_paragraph(_(
        "本协议一式三份，当事人、人民调解委员会各持一份。本协议经双方当事人签名（盖章或按指印）、"
        "调解员签名并加盖人民调解委员会印章后生效。双方当事人可以自本协议生效之日起三十日内共同向人民法院申请"
        "司法确认（最后一日：%(date)s）。") % {"date": _date(ag.confirmation_last_day)})
    doc.add_paragraph("")
    table = doc.add_table(rows=len(SIGNATURE_LINES), cols=1)
    for row, text in zip(table.rows, SIGNATURE_LINES, strict=True):
        row.cells[0].text = str(text)
    mediator = xml_safe(d.mediator.name) if d.mediator_id else ""
    doc.add_paragraph(_("调解员：%(mediator)s    协议签订日期：%(date)s") % {"mediator": mediator, "date": _date(ag.signed_on)})
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()

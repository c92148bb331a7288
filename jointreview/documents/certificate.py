"""审查合格书 / 联合验收意见书: data dict -> PDF bytes.

Data (``IssuedDocument.content`` built by ``certificate_issue``)::

    {centre, title, number, date, verification_code, verify_url,
     application: {number, workflow}, project: {name, code, owner, location},
     statement,
     agencies: [{agency, outcome_label, signed_by, signed_on, round, conditions: [str]}],
     history: [{round, agency, no, text, standard, clause, state_label, response_label, response_text}]}
"""
from __future__ import annotations

from reportlab.platypus import Flowable, Spacer

from .base import SUMMARY_CAP, TEXT_CAP, esc, page_info, para, render


def story(data: dict) -> list[Flowable]:
    project = data.get("project", {})
    application = data.get("application", {})
    out: list[Flowable] = [
        para(esc(data.get("title") or "审查合格书"), "title"),
        Spacer(1, 10),
        para(f"项目名称: {esc(project.get('name'))}"),
        para(f"投资项目代码: {esc(project.get('code'))}"),
        para(f"建设单位: {esc(project.get('owner'))}"),
        para(f"建设地点: {esc(project.get('location'))}"),
        para(f"申请编号: {esc(application.get('number'))}  {esc(application.get('workflow'))}"),
        Spacer(1, 6),
        para(esc(data.get("statement", ""), TEXT_CAP)),
        para("各审查单位意见", "h1"),
    ]
    for a in data.get("agencies", []):
        out.append(
            para(
                f"{esc(a.get('agency'))}: {esc(a.get('outcome_label'))} · 第 {esc(a.get('round'))} 轮 ·"
                f" {esc(a.get('signed_by'))} {esc(a.get('signed_on'))}"
            )
        )
        for c in a.get("conditions", []):
            out.append(para(f"条件: {esc(c, SUMMARY_CAP)}", "meta"))
    history = data.get("history", [])
    if history:
        out.append(para("附: 审查意见处理情况", "h1"))
        for h in history:
            line = (
                f"第 {esc(h.get('round'))} 轮 · {esc(h.get('agency'))} · {esc(h.get('no'))}. {esc(h.get('text'), TEXT_CAP)}"
                f" [{esc(h.get('state_label'))}]"
            )
            out.append(para(line, "finding"))
            meta = []
            if h.get("standard") or h.get("clause"):
                meta.append(f"依据 {esc(h.get('standard'))} {esc(h.get('clause'))}")
            if h.get("response_label"):
                meta.append(f"答复 {esc(h.get('response_label'))}: {esc(h.get('response_text'), TEXT_CAP)}")
            if meta:
                out.append(para(" · ".join(meta), "meta"))
    return out


def build(data: dict) -> bytes:
    pdf, _ = render(story(data), page_info(data))
    return pdf

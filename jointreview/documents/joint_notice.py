"""综合审查意见书 (the consolidated joint notice of one review round): data dict -> PDF bytes.

The data is the notice's content snapshot (``IssuedDocument.content``, built by
``jointreview.review.services.round_consolidate``)::

    {centre, title, number, date, verification_code, verify_url, draft,
     application: {number, workflow}, project: {name, code, owner, location}, round,
     conclusion,
     agencies: [{agency, outcome_label, signed_by, signed_on, version, correction_reason, summary,
                 attachments: [{name, size, sha256}],
                 groups: [{speciality, findings: [{no, text, standard, clause, mandatory, sheet,
                                                   document, state, state_label, carried,
                                                   response_label, response_text}]}]}],
     carried_over: [{agency, outcome_label, round}],
     pauses: [{agency, reason_label, reason_text, expected_days, decided_on, status_label}]}
"""
from __future__ import annotations

from reportlab.platypus import Flowable, Spacer

from .base import SUMMARY_CAP, TEXT_CAP, esc, page_info, para, render


def story(data: dict) -> list[Flowable]:
    out = _heading(data)
    for agency in data.get("agencies", []):
        out.extend(_agency(agency))
    out.extend(_carried_over(data.get("carried_over", [])))
    out.extend(_pauses(data.get("pauses", [])))
    return out


def _heading(data: dict) -> list[Flowable]:
    project = data.get("project", {})
    application = data.get("application", {})
    out: list[Flowable] = [
        para(esc(data.get("title") or "综合审查意见书"), "title"),
        para(f"第 {esc(data.get('round'))} 轮", "subtitle"),
        Spacer(1, 8),
        para(f"项目名称: {esc(project.get('name'))}"),
        para(f"投资项目代码: {esc(project.get('code'))}"),
        para(f"建设单位: {esc(project.get('owner'))}"),
        para(f"申请编号: {esc(application.get('number'))}  {esc(application.get('workflow'))}"),
    ]
    if data.get("conclusion"):
        out.append(para(f"结论: {esc(data['conclusion'])}", "h2"))
    return out


def _agency(agency: dict) -> list[Flowable]:
    """One agency's signed opinion: outcome, signature (and correction), summary, attachments, findings."""
    out = [para(f"{esc(agency.get('agency'))} · {esc(agency.get('outcome_label'))}", "h1")]
    signed = f"签发人 {esc(agency.get('signed_by'))} {esc(agency.get('signed_on'))}"
    if agency.get("version", 1) and int(agency.get("version", 1)) > 1:
        signed += f" · 更正版本 v{esc(agency.get('version'))}: {esc(agency.get('correction_reason'))}"
    out.append(para(signed, "small"))
    if agency.get("summary"):
        out.append(para(esc(agency["summary"], SUMMARY_CAP)))
    attachments = agency.get("attachments") or []
    if attachments:
        names = "; ".join(esc(att.get("name")) for att in attachments)
        out.append(para(f"附件 ({len(attachments)}): {names}", "small"))
    groups = agency.get("groups", [])
    if not groups:
        out.append(para("无审查意见条目。", "small"))
    for group in groups:
        out.append(para(f"专业: {esc(group.get('speciality') or '—')}", "h2"))
        for f in group.get("findings", []):
            out.extend(_finding(f))
    return out


def _carried_over(carried: list[dict]) -> list[Flowable]:
    if not carried:
        return []
    out = [para("以前轮次已通过", "h1")]
    for c in carried:
        out.append(para(f"{esc(c.get('agency'))}: {esc(c.get('outcome_label'))} (第 {esc(c.get('round'))} 轮)"))
    return out


def _pauses(pauses: list[dict]) -> list[Flowable]:
    if not pauses:
        return []
    out = [para("特别程序 (暂停计时) 告知", "h1")]
    for p in pauses:
        out.append(
            para(
                f"{esc(p.get('agency'))}: {esc(p.get('reason_label'))} — {esc(p.get('reason_text'))};"
                f" 预计 {esc(p.get('expected_days'))} 个工作日;"
                f" 批准 {esc(p.get('decided_on'))}; {esc(p.get('status_label'))}"
            )
        )
    return out


def _finding(f: dict) -> list[Flowable]:
    tag = "【强制】" if f.get("mandatory") else ""
    state = esc(f.get("state_label") or f.get("state"))
    text = f"{esc(f.get('no'))}. {tag}{esc(f.get('text'), TEXT_CAP)}  [{state}]"
    ref = []
    if f.get("standard") or f.get("clause"):
        ref.append(f"依据 {esc(f.get('standard'))} {esc(f.get('clause'))}")
    if f.get("document"):
        ref.append(f"图纸 {esc(f.get('document'))}")
    if f.get("sheet"):
        ref.append(f"图号 {esc(f.get('sheet'))}")
    if f.get("carried"):
        ref.append("上轮遗留")
    if f.get("response_label"):
        ref.append(f"答复 {esc(f.get('response_label'))}: {esc(f.get('response_text'), TEXT_CAP)}")
    out: list[Flowable] = [para(text, "finding")]
    if ref:
        out.append(para(" · ".join(ref), "meta"))
    return out


def build(data: dict) -> bytes:
    pdf, _ = render(story(data), page_info(data))
    return pdf


def build_with_pages(data: dict) -> tuple[bytes, int]:
    return render(story(data), page_info(data))

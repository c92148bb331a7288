"""一次性告知书 (the one-time completeness notice): data dict -> PDF bytes.

The data is the notice's content snapshot (``IssuedDocument.content``, built by
``jointreview.intake.services.application_return``) plus number / verification code::

    {centre, title, number, date, verification_code, verify_url, application: {number, workflow},
     submitted_at, project: {name, code, owner, location}, officer,
     defects: [{item, material, problem, problem_label, note}]}
"""
from __future__ import annotations

from reportlab.lib import colors
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from .base import CELL_CAP, cjk_font, esc, page_info, para, render

LEGAL_NOTE = (
    "依据《中华人民共和国行政许可法》第三十二条, 申请材料不齐全或者不符合法定形式的, 一次告知申请人需要补正的全部内容。"
    "本告知书所列为全部需补正事项; 补正齐全后重新提交, 受理后方开始计算办理时限。"
)


def story(data: dict) -> list[Flowable]:
    project = data.get("project", {})
    application = data.get("application")
    if isinstance(application, dict):  # the common header (documents.services.document_header)
        number, workflow = application.get("number"), application.get("workflow")
    else:  # notices issued before the common header: the number, and the workflow beside it
        number, workflow = application, data.get("workflow")
    out: list[Flowable] = [
        para(esc(data.get("title_cn") or "一次性告知书"), "title"),
        Spacer(1, 8),
        para(f"建设单位: {esc(project.get('owner'))}"),
        para(f"项目名称: {esc(project.get('name'))}  ({esc(project.get('code'))})"),
        para(f"申请编号: {esc(number)}  {esc(workflow)}"),
        para(f"收件日期: {esc(data.get('submitted_at'))}   告知日期: {esc(data.get('date'))}"),
        Spacer(1, 6),
        para(f"经审查, 您提交的申请材料有以下 {len(data.get('defects', []))} 项需要补正:", "h2"),
    ]
    rows = [[para("序号", "small"), para("事项", "small"), para("材料", "small"),
             para("问题", "small"), para("说明", "small")]]
    for i, d in enumerate(data.get("defects", []), start=1):
        rows.append([
            para(str(i), "small"), para(esc(d.get("item"), CELL_CAP), "small"),
            para(esc(d.get("material"), CELL_CAP), "small"),
            para(esc(d.get("problem_label") or d.get("problem"), CELL_CAP), "small"),
            para(esc(d.get("note"), CELL_CAP), "small"),
        ])
    # each cell is capped (CELL_CAP) so that a row fits on a page; splitInRow splits one that does not
    table = Table(rows, colWidths=[36, 110, 120, 80, 124], repeatRows=1, splitInRow=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), cjk_font().name),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    out += [table, Spacer(1, 10), para(esc(LEGAL_NOTE), "small"), Spacer(1, 14),
            para(f"{esc(data.get('centre'))} 综合受理窗口 · 经办人: {esc(data.get('officer'))}")]
    return out


def build_completeness_notice(data: dict) -> bytes:
    """Pure builder: the notice's data -> PDF bytes."""
    info = page_info({**data, "title": "一次性告知书"})
    pdf, _pages = render(story(data), info)
    return pdf

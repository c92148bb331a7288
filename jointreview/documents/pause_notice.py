"""特别程序告知书: the owner is told in writing that an agency's clock is paused (行政许可法 §45)."""
from __future__ import annotations

from reportlab.platypus import Flowable, Spacer

from .base import esc, page_info, para, render


def story(data: dict) -> list[Flowable]:
    project = data.get("project", {})
    application = data.get("application", {})
    return [
        para(esc(data.get("title") or "特别程序告知书"), "title"),
        Spacer(1, 8),
        para(f"{esc(project.get('owner'))}:"),
        para(
            f"你单位项目「{esc(project.get('name'))}」({esc(project.get('code'))}) 的申请"
            f" {esc(application.get('number'))} ({esc(application.get('workflow'))}),"
            f" {esc(data.get('agency'))} 因{esc(data.get('reason_label'))}({esc(data.get('reason_text'))})"
            f"自 {esc(data.get('decided_on'))} 起暂停计时, 预计 {esc(data.get('expected_days'))} 个工作日。"
            "根据《中华人民共和国行政许可法》第四十五条, 所需时间不计入审查期限。"
        ),
    ]


def build(data: dict) -> bytes:
    pdf, _ = render(story(data), page_info(data))
    return pdf

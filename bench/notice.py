"""Render a joint notice (综合审查意见书) of 500 findings from 12 agencies with the pure builder.

No database: `python bench/notice.py`. Prints the median of 5 runs; target under 2 s.
Last line: BENCH notice findings=500 pages=<n> render_s=<s>
"""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from jointreview.documents import joint_notice  # noqa: E402
from jointreview.documents.base import cjk_font  # noqa: E402

AGENCIES = 12
FINDINGS = 500
SPECIALITIES = ["消防 fire", "人防 civil air defence", "结构 structure", "建筑节能 energy", "规划 planning"]


def sample_data() -> dict:
    agencies = []
    n = numbered = 0
    per_agency = [FINDINGS // AGENCIES + (1 if i < FINDINGS % AGENCIES else 0) for i in range(AGENCIES)]
    for a, count in enumerate(per_agency):
        groups: dict[str, list[dict]] = {}
        for k in range(count):
            n += 1
            spec = SPECIALITIES[(a + k) % len(SPECIALITIES)]
            groups.setdefault(spec, []).append(
                {
                    "no": n,
                    "text": f"第{n}条: 疏散楼梯间的设置不符合规范要求, 地下室防火分区面积超过限值, 请补充说明 & 修改 <图纸> #{n}",
                    "standard": "GB 50016-2014",
                    "clause": f"5.{k % 9 + 1}.{k % 7 + 1}",
                    "mandatory": k % 3 == 0,
                    "sheet": f"建施-{k % 40 + 1:02d}",
                    "document": "建筑施工图 v2",
                    "state": "open" if k % 4 else "closed",
                    "state_label": "未关闭 open" if k % 4 else "已关闭 closed",
                    "carried": k % 5 == 0,
                    "response_label": "已修改 fixed" if k % 4 == 0 else "",
                    "response_text": "已按意见修改" if k % 4 == 0 else "",
                }
            )
        for group in groups.values():  # numbered continuously in the order printed
            for f in group:
                numbered += 1
                f["no"] = numbered
        agencies.append(
            {
                "agency": f"示范市审查机构{a + 1}",
                "outcome_label": "修改后复审 revise and resubmit",
                "signed_by": f"审查员{a + 1}",
                "signed_on": "2026-03-02",
                "version": 1,
                "summary": "经审查, 该项目施工图设计基本符合要求, 以下问题请修改后复审。",
                "groups": [{"speciality": s, "findings": f} for s, f in groups.items()],
            }
        )
    return {
        "centre": "示范市政务服务中心",
        "title": "综合审查意见书",
        "number": "ZS-2026-000123-R1",
        "date": "2026-03-05",
        "verification_code": "ABCD2345EFGH",
        "verify_url": "https://jointreview.example/verify/ABCD2345EFGH",
        "application": {"number": "JR-2026-000123", "workflow": "多图联审"},
        "project": {"name": "示范大厦1号楼", "code": "2025-320500-47-01-000001", "owner": "示范建设有限公司"},
        "round": 1,
        "conclusion": "请修改后复审",
        "agencies": agencies,
        "carried_over": [],
        "pauses": [{"agency": "示范市审查机构3", "reason_label": "专家评审", "reason_text": "超限高层专家论证",
                    "expected_days": 5, "decided_on": "2026-02-20", "status_label": "已结束"}],
    }


def main() -> None:
    font = cjk_font()
    data = sample_data()
    times = []
    pages = 0
    for _ in range(5):
        t0 = time.perf_counter()
        _pdf, pages = joint_notice.build_with_pages(data)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(f"font: {font.source} (embedded={font.embedded})")
    print("runs: " + ", ".join(f"{t:.3f}s" for t in times))
    print(f"median {med:.3f}s for {FINDINGS} findings from {AGENCIES} agencies, {pages} pages (target < 2 s)")
    print(f"BENCH notice findings={FINDINGS} pages={pages} render_s={med:.3f}")


if __name__ == "__main__":
    main()

"""Portal labels for verifying a credit report: (zh, en)."""

from __future__ import annotations

REPORT_MESSAGES: dict[str, tuple[str, str]] = {
    "nav_reports": ("报告核验", "Verify a report"),
    "report_title": ("信用报告核验", "Verify a credit report"),
    "report_number_label": ("报告编号", "Report number"),
    "report_number_hint": (
        "输入报告上的编号（形如 CR-20261202-…），或上传报告 PDF 文件。",
        "Enter the number printed on the report (like CR-20261202-…), or upload the report's PDF.",
    ),
    "report_check": ("核验", "Verify"),
    "report_upload_label": ("上传报告 PDF", "Upload the report PDF"),
    "report_upload": ("上传核验", "Upload and verify"),
    "report_genuine_valid": ("报告真实有效", "Genuine and valid"),
    "report_genuine_expired": ("报告真实，但已超过有效期", "Genuine, but past its validity"),
    "report_not_genuine": ("未能验证为本系统出具的报告", "Not verified as a report of this registry"),
    "report_file_unknown": (
        "上传的文件不是本系统出具的文件（内容与任何已出具的报告均不一致）。",
        "The uploaded file is not a file this registry issued (it matches no issued report byte for byte).",
    ),
    "report_file_claims": (
        "该文件自称报告 {number}；请以编号核验并与原件比对。",
        "The file claims to be report {number}; verify by number and compare with the original.",
    ),
    "report_file_matches": (
        "上传的文件与已出具的报告 {number} 完全一致。",
        "The file is report {number}, byte for byte.",
    ),
    "report_changed": (
        "出具后该企业的信用记录已发生变化（record changed since issue），请重新出具报告。",
        "The enterprise's record has changed since issue; ask for a new report.",
    ),
    "report_unchanged": ("出具后该企业的信用记录未发生变化。", "The record has not changed since issue."),
    "report_issued_at": ("出具时间", "Issued at"),
    "report_valid_until": ("有效期至", "Valid until"),
    "report_enterprise": ("企业", "Enterprise"),
    "report_hash": ("内容哈希（SHA-256）", "Content hash (SHA-256)"),
    "report_key": ("签名密钥", "Signing key"),
    "report_reason": ("原因", "Reason"),
    "report_empty_file": ("请选择要上传的 PDF 文件。", "Please choose the PDF file to upload."),
}

"""The template's sheets and columns, with their headers in the three languages.

Headers are fixed: the importer accepts each column's header in any of the languages
(in any order), ignores read-only export columns, and rejects anything else.
"""

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("vi", "zh-hant", "en")


@dataclass(frozen=True, eq=False)
class Column:
    key: str  # field name in crm.validation / the API
    headers: dict  # language -> header text
    width: float = 18
    read_only: bool = False  # written by the export, ignored by the import
    required: bool = False

    def header(self, lang: str) -> str:
        return self.headers.get(lang) or self.headers["en"]


def _col(key, en, vi, zh, **kwargs) -> Column:
    return Column(key, {"en": en, "vi": vi, "zh-hant": zh}, **kwargs)


CUSTOMER_COLUMNS = [
    _col("code", "Code", "Mã khách hàng", "客戶編號", width=12),
    _col("name", "Name", "Tên khách hàng", "客戶名稱", width=32, required=True),
    _col("phone", "Phone", "Số điện thoại", "電話", width=16, required=True),
    _col("email", "Email", "Email", "電子郵件", width=24),
    _col("address", "Address", "Địa chỉ", "地址", width=32),
    _col("group", "Customer group", "Nhóm khách hàng", "客戶分組"),
    _col("owner", "Salesperson", "Nhân viên sale", "負責人", width=22),
    _col("referrer_phone", "Referrer phone", "SĐT người giới thiệu", "介紹人電話", width=16),
    _col("role", "Role", "Vai trò", "角色", width=14),
    _col("settlement_method", "Settlement method", "Phương thức thanh toán", "結賬方式"),
    _col("prepaid_allowed", "Prepaid allowed", "Cho phép trả trước", "可預存", width=10),
    _col("credit_limit", "Credit limit", "Hạn mức công nợ", "信用額度", width=14),
    _col("credit_limit_enforced", "Enforce credit limit", "Áp dụng hạn mức", "啟用信用額度",
         width=10),
    _col("home_branch", "Home branch", "Chi nhánh", "所屬門店", width=12),
    _col("shared", "Shared across branches", "Dùng chung các chi nhánh", "可跨店消費",
         width=10),
    _col("parent_code", "Parent company code", "Mã công ty mẹ", "上級客戶編號", width=12),
    _col("status", "Status", "Trạng thái", "狀態", width=12),
    _col("tax_code", "Tax code", "Mã số thuế", "稅號", width=14),
    _col("note", "Note", "Ghi chú", "備註", width=30),
    _col("opening_receivable", "Opening receivable", "Công nợ đầu kỳ", "期初應收", width=14),
    # Read-only columns of an export; the importer ignores them.
    _col("receivable", "Receivable (read-only)", "Công nợ (chỉ đọc)", "應收餘額(唯讀)",
         width=14, read_only=True),
    _col("prepaid_balance", "Prepaid balance (read-only)", "Số dư trả trước (chỉ đọc)",
         "預存餘額(唯讀)", width=14, read_only=True),
    _col("coins", "Coins (read-only)", "Xu (chỉ đọc)", "積分(唯讀)", width=10, read_only=True),
    _col("total_purchased", "Total purchased (read-only)", "Tổng mua (chỉ đọc)",
         "累計消費(唯讀)", width=14, read_only=True),
    _col("referral_count", "Referrals (read-only)", "Giới thiệu (chỉ đọc)", "介紹人數(唯讀)",
         width=10, read_only=True),
]

# The error workbook's extra column: ignored on re-upload, so a fixed file goes back as is.
REASON = _col("reason", "Reason", "Lý do", "原因", width=60, read_only=True)
CUSTOMER_COLUMNS.append(REASON)

CONTACT_COLUMNS = [
    _col("customer_code", "Customer code", "Mã khách hàng", "客戶編號", width=12,
         required=True),
    _col("name", "Contact name", "Tên liên hệ", "聯系人姓名", width=24, required=True),
    _col("phone", "Phone", "Số điện thoại", "電話", width=16),
    _col("email", "Email", "Email", "電子郵件", width=24),
    _col("position", "Position", "Chức vụ", "職務", width=16),
    _col("primary", "Primary", "Liên hệ chính", "主要聯系人", width=10),
    _col("note", "Note", "Ghi chú", "備註", width=30),
    REASON,
]

# Importable (template) columns: everything but the read-only ones.
CUSTOMER_TEMPLATE_COLUMNS = [c for c in CUSTOMER_COLUMNS if not c.read_only]
CONTACT_TEMPLATE_COLUMNS = [c for c in CONTACT_COLUMNS if not c.read_only]
CUSTOMER_EXPORT_COLUMNS = [c for c in CUSTOMER_COLUMNS if c is not REASON]


@dataclass(frozen=True, eq=False)
class Sheet:
    key: str
    names: dict
    columns: list

    def name(self, lang: str) -> str:
        return self.names["en"]  # sheet names stay fixed in every language (the template's)

    def accepts(self, title: str) -> bool:
        return title.strip().casefold() in {n.casefold() for n in self.names.values()}


CUSTOMERS = Sheet("customers", {"en": "Customers", "vi": "Khách hàng", "zh-hant": "客戶"},
                  CUSTOMER_COLUMNS)
CONTACTS = Sheet("contacts", {"en": "Contacts", "vi": "Liên hệ", "zh-hant": "聯系人"},
                 CONTACT_COLUMNS)
INSTRUCTIONS_TITLE = {"en": "Instructions", "vi": "Hướng dẫn", "zh-hant": "說明"}
LISTS_TITLE = "Lists"


def header_lookup(columns: list) -> dict[str, Column]:
    """Folded header text in any language -> column."""
    return {" ".join(h.casefold().split()): c for c in columns for h in c.headers.values()}


def fold_header(text) -> str:
    return " ".join(str(text or "").casefold().split())


def lang_or_default(lang: str | None) -> str:
    lang = (lang or "").lower()
    if lang in LANGUAGES:
        return lang
    current = translation.get_language() or "en"
    return current if current in LANGUAGES else "en"


YES_NO = {"en": ("yes", "no"), "vi": ("có", "không"), "zh-hant": ("是", "否")}
SHEET_LABELS = {"customers": _("Customers"), "contacts": _("Contacts")}

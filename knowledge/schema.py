"""Typed schema of one administrative procedure record.

Field names follow the national procedure database (CSDL quốc gia về TTHC) so that an
export from it maps onto the corpus with little translation. Every figure a citizen
could act on (a fee, a deadline, a document) lives in a field, never in free prose, so
that answers are assembled from recorded facts and nothing is invented. Where a figure
could not be confirmed, the record says so (`can_xac_minh`, `ghi_chu_xac_minh`) and the
answers repeat that caveat instead of presenting a guess as fact.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

PROCEDURE_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _nfc(value: object) -> object:
    """Normalise every string to Unicode NFC so that lookups never miss on composition."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


NonEmptyText = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class SubmissionMode(StrEnum):
    """How a dossier can reach the agency (the "cách thức thực hiện" rows)."""

    TRUC_TIEP = "truc_tiep"  # in person at the one-stop desk / public administrative service centre
    TRUC_TUYEN_TOAN_TRINH = "truc_tuyen_toan_trinh"  # fully online
    TRUC_TUYEN_MOT_PHAN = "truc_tuyen_mot_phan"  # partly online (online submission, some steps in person)
    BUU_CHINH = "buu_chinh"  # through the public postal service (bưu chính công ích)

    @property
    def label(self) -> str:
        """Vietnamese label used in answers."""
        return _MODE_LABELS[self]

    @property
    def is_online(self) -> bool:
        return self in (SubmissionMode.TRUC_TUYEN_TOAN_TRINH, SubmissionMode.TRUC_TUYEN_MOT_PHAN)


_MODE_LABELS = {
    SubmissionMode.TRUC_TIEP: "Nộp trực tiếp",
    SubmissionMode.TRUC_TUYEN_TOAN_TRINH: "Nộp trực tuyến toàn trình",
    SubmissionMode.TRUC_TUYEN_MOT_PHAN: "Nộp trực tuyến một phần",
    SubmissionMode.BUU_CHINH: "Nộp qua bưu chính công ích",
}


class DocumentForm(StrEnum):
    """Whether a document is handed in as an original, a copy, or only shown."""

    BAN_CHINH = "ban_chinh"
    BAN_SAO = (
        "ban_sao"  # copy (certified copy, copy issued from the master register, or copy with original for comparison)
    )
    BAN_CHINH_HOAC_BAN_SAO = "ban_chinh_hoac_ban_sao"
    XUAT_TRINH = "xuat_trinh"  # shown to the officer, not kept in the dossier
    BAN_DIEN_TU = "ban_dien_tu"  # electronic copy / data already in a national database

    @property
    def label(self) -> str:
        return _FORM_LABELS[self]


_FORM_LABELS = {
    DocumentForm.BAN_CHINH: "bản chính",
    DocumentForm.BAN_SAO: "bản sao",
    DocumentForm.BAN_CHINH_HOAC_BAN_SAO: "bản chính hoặc bản sao",
    DocumentForm.XUAT_TRINH: "xuất trình",
    DocumentForm.BAN_DIEN_TU: "bản điện tử",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _normalise_text(cls, value: object) -> object:
        if isinstance(value, list):
            return [_nfc(item) for item in value]
        return _nfc(value)


class SubmissionChannel(_Model):
    """One way of submitting, with its own processing time and fee (a "cách thức" row)."""

    hinh_thuc: SubmissionMode
    mo_ta: NonEmptyText = Field(
        description="Where/how: the desk, the portal (Cổng DVC quốc gia, hệ thống của thành phố, VNeID), the post."
    )
    thoi_han: NonEmptyText = Field(description="Thời hạn giải quyết for this channel, as the regulation states it.")
    phi_le_phi: NonEmptyText = Field(description="Phí, lệ phí for this channel; 'Không' or 'Miễn lệ phí' when free.")
    can_xac_minh: bool = Field(
        default=False,
        description="True when the time or fee above could not be confirmed against current regulation.",
    )


class DossierDocument(_Model):
    """One component of the dossier (thành phần hồ sơ)."""

    ten: NonEmptyText
    loai: DocumentForm
    so_luong: int = Field(default=1, ge=0, le=20)
    mau_don: str = Field(default="", description="Template form name, e.g. 'Tờ khai đăng ký khai sinh'.")
    ghi_chu: str = ""
    bat_buoc: bool = Field(default=True, description="False for documents needed only in some cases.")


class Procedure(_Model):
    """A procedure record: everything the assistant may say about it comes from here."""

    id: Annotated[str, StringConstraints(pattern=PROCEDURE_ID_PATTERN)]
    ma_thu_tuc: str = Field(default="", description="Official code in the national database, empty when not known.")
    ten: NonEmptyText
    linh_vuc: NonEmptyText
    cap_thuc_hien: list[NonEmptyText] = Field(min_length=1)
    co_quan_thuc_hien: list[NonEmptyText] = Field(min_length=1)
    doi_tuong: list[NonEmptyText] = Field(min_length=1)
    trinh_tu: list[NonEmptyText] = Field(min_length=1)
    cach_thuc: list[SubmissionChannel] = Field(min_length=1)
    thanh_phan_ho_so: list[DossierDocument] = Field(min_length=1)
    yeu_cau_dieu_kien: list[NonEmptyText] = Field(default_factory=list)
    ket_qua: list[NonEmptyText] = Field(min_length=1)
    nhan_ket_qua: list[NonEmptyText] = Field(
        default_factory=list,
        description="Ways to receive the result: at the desk, by public post, electronic copy on VNeID / the portal.",
    )
    can_cu_phap_ly: list[NonEmptyText] = Field(min_length=1)
    aliases: list[NonEmptyText] = Field(default_factory=list)
    ghi_chu_xac_minh: str = Field(default="", description="What in this record is uncertain and why.")
    source: NonEmptyText
    last_reviewed: dt.date

    @field_validator("ma_thu_tuc")
    @classmethod
    def _official_code_shape(cls, value: str) -> str:
        if value and not re.fullmatch(r"[0-9A-Za-z.\-]{3,20}", value):
            raise ValueError(f"mã thủ tục không hợp lệ: {value!r}")
        return value

    @model_validator(mode="after")
    def _unique_modes(self) -> Procedure:
        modes = [row.hinh_thuc for row in self.cach_thuc]
        if len(modes) != len(set(modes)):
            raise ValueError("mỗi hình thức nộp (cach_thuc.hinh_thuc) chỉ được xuất hiện một lần")
        return self

    @property
    def online_channels(self) -> list[SubmissionChannel]:
        return [row for row in self.cach_thuc if row.hinh_thuc.is_online]

    @property
    def has_unverified_figures(self) -> bool:
        return any(row.can_xac_minh for row in self.cach_thuc)


class UncoveredProcedure(_Model):
    """A procedure that exists but is outside the catalogue: recognised only to decline it honestly."""

    name: NonEmptyText
    aliases: list[NonEmptyText] = Field(default_factory=list)

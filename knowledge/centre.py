"""Centre-wide facts (opening hours, payment methods) from knowledge/corpus/centre.yaml."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

CENTRE_FILE = Path(__file__).resolve().parent / "corpus" / "centre.yaml"


class OpeningHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    noi: str
    gio: str
    can_xac_minh: bool = False


class CentreInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ten: str
    tong_dai: dict[str, str]
    gio_lam_viec: list[OpeningHours] = Field(min_length=1)
    ghi_chu_gio_lam_viec: str = ""
    thanh_toan: list[str] = Field(min_length=1)
    ghi_chu_thanh_toan: str = ""
    ho_tro_nop_truc_tuyen: str = ""  # where a citizen gets help to submit online (the agents)
    source: str
    last_reviewed: dt.date


@lru_cache(maxsize=1)
def load_centre(path: Path = CENTRE_FILE) -> CentreInfo:
    return CentreInfo.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def opening_hours_text() -> str:
    """Answer to "mấy giờ mở cửa": every kind of service point, and the caveat when unconfirmed."""
    centre = load_centre()
    lines = ["Dạ, giờ làm việc như sau ạ:"]
    lines += [f"- {row.noi}: {row.gio}" for row in centre.gio_lam_viec]
    lines.append(f"Tổng đài: {centre.tong_dai['mo_ta']}")
    if any(row.can_xac_minh for row in centre.gio_lam_viec) and centre.ghi_chu_gio_lam_viec:
        lines.append(f"Lưu ý: {centre.ghi_chu_gio_lam_viec}")
    return "\n".join(lines)

"""Import procedure records exported from the national procedure database (CSDL quốc gia về TTHC).

Input: a JSON array of records, or JSON Lines (one record per line), with the national
database's keys (`ma_thu_tuc`, `ten_thu_tuc`, `cap_thuc_hien`, `linh_vuc`,
`trinh_tu_thuc_hien`, `cach_thuc_thuc_hien`, `thanh_phan_ho_so`, `thoi_han_giai_quyet`,
`phi_le_phi`, `co_quan_thuc_hien`, `doi_tuong_thuc_hien`, `yeu_cau_dieu_kien`,
`ket_qua_xu_ly`, `can_cu_phap_ly`). Each bad record is reported with its line and reason
and skipped; the good ones are merged into the corpus.

The corpus is never left half-written: the merged corpus is assembled and validated in a
temporary directory next to it, and only then swapped in. Curated fields the national
database does not carry (aliases, result delivery, caveats) are kept when a record with
the same id or official code is updated.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.vietnamese import fold
from knowledge.corpus import CorpusError, load_corpus
from knowledge.schema import DocumentForm, Procedure, SubmissionMode

SOURCE = "Cơ sở dữ liệu quốc gia về thủ tục hành chính (nhập từ tệp xuất dữ liệu)"


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def ok(self) -> bool:
        return not self.errors


class RecordError(ValueError):
    """A record that cannot become a Procedure; the message is the reason shown to the user."""


# ------------------------------------------------------------------ reading


def read_records(text: str) -> Iterator[tuple[int, Any]]:
    """(line, parsed JSON value) for each record of a JSON array or JSON Lines text.

    A record that is not valid JSON is yielded as a RecordError instead of stopping the
    whole import.
    """
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from _read_array(text)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RecordError(f"JSON không hợp lệ: {exc.msg} (cột {exc.colno})")


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _read_array(text: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text):
            yield _line_of(text, position), RecordError("tệp kết thúc khi mảng JSON chưa đóng (thiếu ']')")
            return
        if text[position] == "]":
            return
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            yield _line_of(text, position), RecordError(f"JSON không hợp lệ: {exc.msg}")
            return  # the rest of the array cannot be located reliably
        yield _line_of(text, position), value
        position = end


# ------------------------------------------------------------------ mapping


def _as_list(value: Any) -> list[str]:
    """National exports use either lists or newline/semicolon-separated text."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    if isinstance(value, str):
        parts = re.split(r"\n+|;\s*(?=[A-ZĐÀ-Ỹ0-9-])", value)
        return [
            re.sub(r"^\s*(?:[-•+*]|\d+[.)]|Bước\s*\d+\s*[:.])\s*", "", part).strip() for part in parts if part.strip()
        ]
    raise RecordError(f"giá trị phải là chuỗi hoặc danh sách, nhận được {type(value).__name__}")


def _mode(label: str) -> SubmissionMode:
    folded = fold(label)
    if "buu" in folded:
        return SubmissionMode.BUU_CHINH
    if "truc tuyen" in folded or "online" in folded:
        return SubmissionMode.TRUC_TUYEN_TOAN_TRINH if "toan trinh" in folded else SubmissionMode.TRUC_TUYEN_MOT_PHAN
    if "truc tiep" in folded:
        return SubmissionMode.TRUC_TIEP
    raise RecordError(f"không nhận ra hình thức nộp: {label!r}")


def _channels(record: dict[str, Any]) -> list[dict[str, Any]]:
    default_time = str(record.get("thoi_han_giai_quyet") or "").strip()
    default_fee = str(record.get("phi_le_phi") or "").strip()
    rows = record.get("cach_thuc_thuc_hien")
    if isinstance(rows, str):
        rows = [{"hinh_thuc": part} for part in _as_list(rows)]
    if not isinstance(rows, list) or not rows:
        raise RecordError("thiếu cach_thuc_thuc_hien (cách thức thực hiện)")
    channels: dict[SubmissionMode, dict[str, Any]] = {}
    for row in rows:
        if not isinstance(row, dict):
            raise RecordError("mỗi dòng cach_thuc_thuc_hien phải là một đối tượng")
        label = str(row.get("hinh_thuc") or row.get("hinh_thuc_nop") or "")
        mode = _mode(label)
        time = str(row.get("thoi_han") or row.get("thoi_han_giai_quyet") or default_time).strip()
        fee = str(row.get("phi_le_phi") or row.get("le_phi") or default_fee).strip()
        if not time:
            raise RecordError(f"thiếu thời hạn giải quyết cho hình thức {label!r}")
        if not fee:
            raise RecordError(f"thiếu phí, lệ phí cho hình thức {label!r}")
        channels.setdefault(
            mode,
            {"hinh_thuc": mode, "mo_ta": str(row.get("mo_ta") or label).strip(), "thoi_han": time, "phi_le_phi": fee},
        )
    return list(channels.values())


def _documents(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = record.get("thanh_phan_ho_so")
    if isinstance(rows, str):
        rows = [{"ten_giay_to": name} for name in _as_list(rows)]
    if not isinstance(rows, list) or not rows:
        raise RecordError("thiếu thanh_phan_ho_so (thành phần hồ sơ)")
    documents = []
    for item in rows:
        row = {"ten_giay_to": item} if isinstance(item, str) else item
        if not isinstance(row, dict):
            raise RecordError("mỗi thành phần hồ sơ phải là chuỗi hoặc đối tượng")
        name = str(row.get("ten_giay_to") or row.get("ten") or "").strip()
        originals = int(row.get("ban_chinh") or 0)
        copies = int(row.get("ban_sao") or 0)
        form = DocumentForm.BAN_CHINH
        if copies and not originals:
            form = DocumentForm.BAN_SAO
        elif copies and originals:
            form = DocumentForm.BAN_CHINH_HOAC_BAN_SAO
        documents.append(
            {
                "ten": name,
                "loai": form,
                "so_luong": max(originals, copies, int(row.get("so_luong") or 0), 1),
                "mau_don": str(row.get("mau_don") or row.get("mau_don_to_khai") or "").strip(),
                "ghi_chu": str(row.get("ghi_chu") or "").strip(),
            }
        )
    return documents


def slug(name: str) -> str:
    """A catalogue-style id from a Vietnamese name: "Đăng ký khai tử" -> "dang-ky-khai-tu"."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:80] or "thu-tuc"


def to_procedure(record: Any, existing: dict[str, Procedure], today: dt.date) -> Procedure:
    """Map one national-database record onto the corpus schema, keeping curated fields."""
    if not isinstance(record, dict):
        raise RecordError("bản ghi phải là một đối tượng JSON")
    name = str(record.get("ten_thu_tuc") or "").strip()
    if not name:
        raise RecordError("thiếu ten_thu_tuc (tên thủ tục)")
    code = str(record.get("ma_thu_tuc") or "").strip()
    by_code = {p.ma_thu_tuc: p for p in existing.values() if p.ma_thu_tuc}
    previous = existing.get(str(record.get("id") or "")) or (by_code.get(code) if code else None)
    procedure_id = previous.id if previous else str(record.get("id") or slug(name))
    data = {
        "id": procedure_id,
        "ma_thu_tuc": code,
        "ten": name,
        "linh_vuc": str(record.get("linh_vuc") or "").strip(),
        "cap_thuc_hien": _as_list(record.get("cap_thuc_hien")),
        "co_quan_thuc_hien": _as_list(record.get("co_quan_thuc_hien")),
        "doi_tuong": _as_list(record.get("doi_tuong_thuc_hien")),
        "trinh_tu": _as_list(record.get("trinh_tu_thuc_hien")),
        "cach_thuc": _channels(record),
        "thanh_phan_ho_so": _documents(record),
        "yeu_cau_dieu_kien": _as_list(record.get("yeu_cau_dieu_kien")),
        "ket_qua": _as_list(record.get("ket_qua_xu_ly")),
        "can_cu_phap_ly": _as_list(record.get("can_cu_phap_ly")),
        "aliases": list(previous.aliases) if previous else [],
        "nhan_ket_qua": list(previous.nhan_ket_qua) if previous else [],
        "ghi_chu_xac_minh": previous.ghi_chu_xac_minh if previous else "",
        "source": SOURCE,
        "last_reviewed": today,
    }
    try:
        return Procedure.model_validate(data)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise RecordError(reasons) from exc


# ------------------------------------------------------------------ writing


def _dump(procedure: Procedure) -> str:
    data = procedure.model_dump(mode="json")
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def import_file(path: Path, corpus_dir: Path, today: dt.date | None = None) -> ImportReport:
    """Import every good record of `path` into `corpus_dir`; report the bad ones by line."""
    today = today or dt.date.today()
    report = ImportReport()
    existing = {procedure.id: procedure for procedure in load_corpus(corpus_dir)}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.errors.append((0, f"không đọc được tệp: {exc}"))
        return report
    accepted: dict[str, Procedure] = {}
    for line, record in read_records(text):
        try:
            if isinstance(record, RecordError):
                raise record
            procedure = to_procedure(record, existing, today)
        except (RecordError, ValueError, TypeError) as exc:
            report.errors.append((line, str(exc)))
            continue
        accepted[procedure.id] = procedure
        report.imported.append(procedure.id)
    if accepted:
        _swap_in(corpus_dir, accepted)
    return report


def _swap_in(corpus_dir: Path, accepted: dict[str, Procedure]) -> None:
    """Write the merged corpus beside the current one, validate it, then swap directories."""
    parent = corpus_dir.parent
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=parent))
    backup = parent / f".backup-{corpus_dir.name}-{os.getpid()}"
    try:
        for source in corpus_dir.glob("*.yaml"):
            if source.stem not in accepted:
                shutil.copy2(source, staging / source.name)
        for procedure_id, procedure in accepted.items():
            (staging / f"{procedure_id}.yaml").write_text(_dump(procedure), encoding="utf-8")
        load_corpus(staging)  # the whole new corpus must validate before it replaces the old one
        corpus_dir.rename(backup)
        staging.rename(corpus_dir)
    except (OSError, CorpusError):
        if backup.exists() and not corpus_dir.exists():
            backup.rename(corpus_dir)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)

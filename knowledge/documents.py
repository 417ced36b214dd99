"""The texts of a procedure that retrieval sees.

Retrieval ranks on what names a procedure (official name, aliases, field, result) rather
than on its whole record: dossier lists mention other procedures' papers ("bản sao Giấy
khai sinh" is in a dozen records) and would pull unrelated procedures up.
"""

from __future__ import annotations

from knowledge.schema import Procedure


def identity_text(procedure: Procedure) -> str:
    """Name and aliases: the words that say which procedure this is."""
    return ". ".join([procedure.ten, *procedure.aliases])


def ranking_text(procedure: Procedure) -> str:
    """Name (twice, as the strongest evidence), aliases, field and results."""
    return ". ".join([procedure.ten, procedure.ten, *procedure.aliases, procedure.linh_vuc, *procedure.ket_qua])


def dense_text(procedure: Procedure) -> str:
    """What the sentence encoder embeds: name, field and aliases, short enough for small models."""
    return f"{procedure.ten} ({procedure.linh_vuc}). " + "; ".join(procedure.aliases)


def full_text(procedure: Procedure) -> str:
    """Every text field of the record: the background against which word weights are measured."""
    parts = [procedure.ten, procedure.linh_vuc, *procedure.aliases, *procedure.doi_tuong, *procedure.trinh_tu]
    parts += [f"{row.mo_ta} {row.thoi_han} {row.phi_le_phi}" for row in procedure.cach_thuc]
    parts += [f"{doc.ten} {doc.mau_don} {doc.ghi_chu}" for doc in procedure.thanh_phan_ho_so]
    parts += [*procedure.yeu_cau_dieu_kien, *procedure.ket_qua, *procedure.nhan_ket_qua, *procedure.co_quan_thuc_hien]
    return " ".join(parts)

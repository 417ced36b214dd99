import unicodedata

import pytest

from bot.vietnamese import fold
from knowledge.corpus import CATALOGUE_FILE, SHARED_CATALOGUE_FILE, load_catalogue, load_uncovered
from knowledge.schema import SubmissionMode


def test_the_catalogue_copy_matches_the_shared_contract():
    if not SHARED_CATALOGUE_FILE.exists():
        pytest.skip(f"{SHARED_CATALOGUE_FILE} is not beside this checkout (a fresh clone elsewhere)")
    assert CATALOGUE_FILE.read_bytes() == SHARED_CATALOGUE_FILE.read_bytes(), (
        f"copy {SHARED_CATALOGUE_FILE} to {CATALOGUE_FILE}: the shared catalogue changed"
    )


def test_every_catalogue_procedure_has_a_record_with_the_same_id(procedures):
    assert {p.id for p in procedures} == {entry.id for entry in load_catalogue()}


def test_records_use_the_catalogue_names(procedures):
    names = {entry.id: entry.name for entry in load_catalogue()}
    for procedure in procedures:
        assert fold(procedure.ten) == fold(names[procedure.id]), procedure.id


def test_all_text_is_nfc(procedures):
    for procedure in procedures:
        dumped = procedure.model_dump_json()
        assert unicodedata.is_normalized("NFC", dumped), procedure.id


def test_every_record_cites_law_and_says_how_to_submit(procedures):
    for procedure in procedures:
        assert procedure.can_cu_phap_ly and procedure.cach_thuc and procedure.thanh_phan_ho_so
        assert any(row.hinh_thuc in SubmissionMode for row in procedure.cach_thuc)


def test_unconfirmed_figures_are_explained(procedures):
    for procedure in procedures:
        if procedure.has_unverified_figures:
            assert procedure.ghi_chu_xac_minh, f"{procedure.id} flags a figure but does not say why"


def test_uncovered_list_does_not_shadow_catalogue_names(procedures):
    catalogue_phrases = {fold(phrase) for p in procedures for phrase in [p.ten, *p.aliases]}
    for entry in load_uncovered():
        assert fold(entry.name) not in catalogue_phrases

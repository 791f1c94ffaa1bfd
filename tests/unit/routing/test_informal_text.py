"""Informal Indonesian the classifier must understand: colloquial Jakarta affixes, chat
spellings, one-letter typos, words that say what a problem covers rather than what is broken;
and the labelled sets the accuracy benchmark reads."""

from __future__ import annotations

import pytest

from sigap_routing.domain import decide, default_taxonomy
from sigap_routing.geography import Geography
from sigap_routing.taxonomy import load_default_document
from sigap_routing.text import normalise, stem, stems
from sigap_shared.events import TRIAGE_DESK


@pytest.fixture(scope="module")
def beji():
    return Geography.depok().locate(lat=-6.3731, lon=106.819)  # Kukusan, Beji


@pytest.mark.parametrize(
    ("colloquial", "root"),
    [
        ("nutupin", "tutup"),  # nasal n- for t-, suffix -in
        ("ditutupin", "tutup"),
        ("nyumbat", "sumbat"),  # ny- for s-
        ("nyolong", "colong"),  # ny- for c-
        ("ngerusak", "rusak"),  # nge-
        ("ngangkut", "angkut"),  # ng- before a vowel
        ("nimpa", "timpa"),
        ("mukul", "pukul"),  # m- for p-
        ("dibenerin", "benar"),  # di- … -in around a slang root
        ("diangkutin", "angkut"),
    ],
)
def test_colloquial_affixes_are_undone_to_the_dictionary_root(colloquial, root):
    assert stem(colloquial) == root


@pytest.mark.parametrize("word", ["mati", "minta", "makan", "nanti", "nenek", "masuk", "macet", "naik"])
def test_standard_words_that_only_look_prefixed_stay_as_they_are(word):
    assert stem(word) == word


@pytest.mark.parametrize(
    ("informal", "standard"),
    [("gabisa", "tidak bisa"), ("gada", "tidak ada"), ("ujan", "hujan"), ("gede", "besar"), ("pake", "pakai"),
     ("dateng", "datang"), ("ilang", "hilang"), ("satpolpp", "satpol"), ("ngasih", "kasih"), ("nyebrang", "seberang")],
)
def test_more_chat_spellings_become_standard_indonesian(informal, standard):
    assert normalise(informal) == standard.split()


def test_a_one_letter_typo_in_a_long_keyword_is_corrected():
    taxonomy = default_taxonomy()
    assert taxonomy.correct_typo("puskesms") == "puskesmas"
    assert taxonomy.correct_typo("jembtan") == "jembatan"
    decision = decide(category=None, description="puskesms di kampung kami tutup terus, warga ga bisa berobat")
    assert (decision.department, decision.needs_triage) == ("DINKES", False), decision.reasons
    assert "ejaan 'puskesms' dibaca 'puskesmas'" in decision.reasons
    assert "the spelling 'puskesms' read as 'puskesmas'" in decision.reasons_en


@pytest.mark.parametrize("word", ["juanda", "ribet", "macem", "cepet", "sampha"])
def test_place_names_slang_and_short_words_are_not_mistaken_for_typos(word):
    # "juanda" is one edit from "janda", "ribet" from "ribut": too short to correct safely
    assert default_taxonomy().correct_typo(word) == word


def test_what_a_problem_covers_is_not_the_problem(beji):
    decision = decide(
        category="pemangkasan_pohon", description="ranting pohon nutupin lampu PJU jadi jalan gelap", area=beji
    )
    assert (decision.department, decision.needs_triage) == ("DLHK", False), decision.reasons
    assert any("'lampu jalan' (penanda lokasi)" in reason for reason in decision.reasons)
    blocked = decide(category=None, description="selokan ketutup sampah, airnya ga ngalir", area=beji)
    assert blocked.department == "DPUPR", blocked.reasons


# One typical informal complaint per department and area office, written with the slang,
# abbreviations and colloquial verbs citizens use (none of them from the labelled sets).
INFORMAL = {
    "DPUPR": "jln di gg kami ancur, aspalnya ngelupas semua gan",
    "DLHK": "tolong dong sampah di pinggir kali udah numpuk, ga diangkutin2",
    "DISHUB": "lampu merah di perempatan mati dr pagi, mobil pada nyerobot",
    "SATPOLPP": "pkl mangkal di trotoar tiap sore, jalan jadi sempit",
    "DAMKAR": "ada pohon tumbang nimpa motor di jln raya, tolong cepet",
    "DISDUKCAPIL": "udh 2 bln ngurus kk baru ga kelar2, bolak balik ke capil",
    "DINKES": "anak sy kena dbd, di gang kami blm pernah di fogging",
    "DISDIK": "skolah anak sy minta uang study tour wajib, klo ga bayar rapor ditahan",
    "DINSOS": "nenek sebatang kara di rt kami ga dapet bansos sama sekali",
    "DPMPTSP": "ngurus pbg udah 4 bln ga kelar, statusnya verifikasi mulu",
    "DISNAKER": "gaji sy dibayar di bawah umk, lembur ga dibayar",
    "DISKOMINFO": "aplikasi layanan pemkot error mulu, gabisa login",
    "DKPPP": "ayam2 warga pada mati mendadak, takut flu burung",
    "DISPERDAGIN": "harga minyak goreng di pasar naik terus, stok langka",
    "DISRUMKIM": "developer kabur, psu perumahan kami blm diserahin ke pemkot",
    "INSPEKTORAT": "oknum pns minta duit pelicin biar berkas cepet kelar",
    "PDAM": "air pdam ga ngalir udh 3 hr, kran kering",
    "KEL-32.76.06.1002": "lurah ga pernah ada di kantor kelurahan, surat pengantar ga ditandatangan2",
    "KEC-32.76.06": "pelayanan paten di kantor kecamatan lelet bgt",
}


def test_the_informal_examples_cover_every_department():
    codes = {d.code for d in load_default_document().departments if not d.code.startswith(("KEC-", "KEL-"))}
    assert codes <= set(INFORMAL)


@pytest.mark.parametrize(("department", "text"), INFORMAL.items())
def test_each_department_is_reachable_by_an_informal_complaint(department, text, beji):
    decision = decide(category=None, description=text, area=beji)
    assert (decision.department, decision.needs_triage) == (department, False), decision.reasons


def test_a_complaint_about_two_departments_problems_goes_to_triage(beji):
    decision = decide(
        category=None,
        description="got depan rumah mampet, pas ujan airnya luber ke jalan dan ada sampah numpuk ga diangkut",
        area=beji,
    )
    assert decision.needs_triage and decision.department == TRIAGE_DESK
    assert any("bertentangan" in reason for reason in decision.reasons)
    assert decision.suggested_department in {"DPUPR", "DLHK"}


def test_colloquial_keywords_in_the_taxonomy_match_colloquial_text():
    # the taxonomy's keywords go through the same normaliser, so either spelling finds the other
    assert stems("nyumbat") == stems("tersumbat") == ["sumbat"]


def test_the_benchmark_reads_development_and_held_out_splits_in_one_format():
    from benchmarks.routing.accuracy import DEVELOPMENT, HELD_OUT, load_examples

    taxonomy_codes = {d.code for d in load_default_document().departments if not d.code.startswith(("KEC-", "KEL-"))}
    labels = taxonomy_codes | {"KEL", "KEC", "TRIAGE"}
    categories = {c.code for c in load_default_document().categories}
    for split in DEVELOPMENT + HELD_OUT:
        examples = load_examples(split)
        assert examples and all(e.expected in labels for e in examples), split
        assert all(e.category is None or e.category in categories for e in examples), split
    fresh = load_examples("holdout_2")
    assert len(fresh) >= 200
    assert {e.expected for e in fresh} == labels  # every department, both area office kinds, triage
    development_texts = {e.text for split in DEVELOPMENT for e in load_examples(split)}
    assert not development_texts & {e.text for e in fresh}

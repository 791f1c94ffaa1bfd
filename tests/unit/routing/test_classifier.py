"""Normalisation of informal Indonesian, the keyword classifier and the routing decision."""

from __future__ import annotations

import dataclasses

import pytest

from sigap_routing import domain
from sigap_routing.domain import decide, default_taxonomy
from sigap_routing.geography import Geography
from sigap_routing.taxonomy import TaxonomyDocument, compile_taxonomy, load_default_document
from sigap_routing.text import normalise, stems
from sigap_shared.events import TRIAGE_DESK


@pytest.fixture(scope="module")
def depok() -> Geography:
    return Geography.depok()


@pytest.fixture(scope="module")
def beji(depok):
    return depok.locate(lat=-6.3731, lon=106.819)  # Kukusan, Beji


@pytest.mark.parametrize(
    ("informal", "standard"),
    [
        ("udah", "sudah"),
        ("sdh", "sudah"),
        ("ga", "tidak"),
        ("gk", "tidak"),
        ("tdk", "tidak"),
        ("blm", "belum"),
        ("bgt", "banget"),
        ("yg", "yang"),
        ("dgn", "dengan"),
        ("jln", "jalan"),
        ("gorong-gorong", "gorong"),
        ("bangeeeet", "banget"),
        ("PJU", "lampu jalan"),
        ("dbd", "demam berdarah"),
    ],
)
def test_informal_words_become_standard_indonesian(informal, standard):
    assert normalise(informal) == standard.split()


def test_filler_words_like_gan_vanish_and_stemming_fits_bahasa_indonesia():
    assert normalise("gan, udah lapor min") == ["sudah", "lapor"]
    assert stems("jalanan berlubang, perbaikan belum dilakukan") == ["jalan", "lubang", "baik", "laku"]
    # "kelurahan" (the office, named in addresses) is not merged with "lurah" (the official)
    assert stems("kelurahan") == ["kelurahan"] and stems("lurahnya") == ["lurah"]


# One complaint per department, as a citizen would write it, with no category chosen.
BY_DEPARTMENT = {
    "DPUPR": "jln depan rumah berlubang gede bgt udah sebulan ga diaspal",
    "DLHK": "sampah numpuk di TPS udah seminggu ga diangkut, bau bgt",
    "DISHUB": "lampu PJU mati semua, jalan gelap gulita kalau malam",
    "SATPOLPP": "PKL jualan di bahu jalan sampai makan setengah jalan",
    "DAMKAR": "ada ular kobra masuk dapur, tolong damkar",
    "DISDUKCAPIL": "e-KTP saya udah 3 bulan belum jadi, blangko habis katanya",
    "DINKES": "antrian puskesmas dari subuh, dokternya datang siang",
    "DISDIK": "sekolah minta uang gedung 3 juta, katanya wajib",
    "DINSOS": "saya warga miskin tapi ga pernah dapat bansos",
    "DPMPTSP": "urus izin usaha udah 3 bulan ga ada kabar",
    "DISNAKER": "di-PHK tanpa pesangon setelah kerja 8 tahun",
    "DISKOMINFO": "wifi gratis di taman ga bisa konek",
    "DKPPP": "banyak anjing liar di komplek, takut rabies",
    "DISPERDAGIN": "timbangan pedagang di pasar dicurangi",
    "DISRUMKIM": "rumah nenek tidak layak huni, mohon program bedah rumah",
    "INSPEKTORAT": "oknum pegawai minta uang pelicin biar berkas cepat",
    "PDAM": "air PDAM mati 3 hari tanpa pemberitahuan",
}


def test_every_department_of_the_taxonomy_is_covered_here():
    codes = {d.code for d in load_default_document().departments if not d.code.startswith(("KEC-", "KEL-"))}
    assert codes == set(BY_DEPARTMENT)


@pytest.mark.parametrize(("department", "text"), BY_DEPARTMENT.items())
def test_each_department_is_reachable_by_text_alone(department, text, beji):
    decision = decide(category=None, description=text, area=beji)
    assert (decision.department, decision.needs_triage) == (department, False), decision.reasons
    assert decision.confidence >= default_taxonomy().settings.min_confidence
    assert any("kata kunci" in reason for reason in decision.reasons)
    assert decision.reasons_en and len(decision.reasons_en) == len(decision.reasons)


def test_area_level_matters_go_to_the_office_of_the_location(beji):
    kelurahan = decide(
        category=None, description="pelayanan di kantor kelurahan lambat, surat pengantar seharian", area=beji
    )
    assert kelurahan.department == "KEL-32.76.06.1002"
    rt = decide(category=None, description="Pak RT minta iuran warga tiap bulan tanpa laporan", area=beji)
    assert rt.department == "KEL-32.76.06.1002"
    kecamatan = decide(category=None, description="antrian di kantor kecamatan panjang bgt", area=beji)
    assert kecamatan.department == "KEC-32.76.06"
    unlocated = decide(category=None, description="antrian di kantor kecamatan panjang bgt", area=None)
    assert unlocated.needs_triage and unlocated.department == TRIAGE_DESK


def test_nothing_recognisable_goes_to_triage():
    decision = decide(category=None, description="halo min, mau nanya aja")
    assert (decision.department, decision.needs_triage, decision.confidence) == (TRIAGE_DESK, True, 0.0)


def test_conflicting_rules_go_to_triage_with_both_sides_named(beji):
    decision = decide(category=None, description="lampu jalan mati dan sampah numpuk di TPS", area=beji)
    assert decision.needs_triage and decision.department == TRIAGE_DESK
    assert any("bertentangan" in reason for reason in decision.reasons)


def test_the_threshold_is_configurable_in_the_taxonomy(beji):
    text = "galian kabel belum ditutup"
    base = default_taxonomy()
    lenient = dataclasses.replace(base, settings=base.settings.model_copy(update={"min_confidence": 0.1}))
    strict = dataclasses.replace(base, settings=base.settings.model_copy(update={"min_confidence": 0.99}))
    assert not decide(category=None, description=text, area=beji, taxonomy=lenient).needs_triage
    assert decide(category=None, description=text, area=beji, taxonomy=strict).needs_triage


def test_the_citizen_category_decides_when_the_text_does_not_contradict_it(beji):
    decision = decide(category="lampu_jalan", description="tolong segera ditindaklanjuti", area=beji)
    assert (decision.department, decision.category, decision.needs_triage) == ("DISHUB", "lampu_jalan", False)
    assert any("pilihan pelapor" in reason for reason in decision.reasons)


def test_text_overrides_the_citizen_category_only_with_clear_evidence(beji):
    clear = decide(category="sampah", description="lampu jalan mati, gelap gulita, tiang lampu miring", area=beji)
    assert (clear.department, clear.category) == ("DISHUB", "lampu_jalan")
    assert any("melebihi kategori pelapor 'sampah'" in reason for reason in clear.reasons)
    weak = decide(category="sampah", description="lampu mati", area=beji)
    assert weak.department == "DLHK" or weak.needs_triage


def test_text_that_only_slightly_outweighs_the_citizen_category_goes_to_triage(beji):
    decision = decide(category="sampah", description="lampu jalan mati", area=beji)
    assert decision.needs_triage and decision.department == TRIAGE_DESK
    assert any("kurang jelas untuk mengesampingkan kategori pelapor 'sampah'" in r for r in decision.reasons)


def test_an_unknown_citizen_category_is_ignored_and_said_so(beji):
    decision = decide(category="kategori_aneh", description="sampah numpuk di TPS", area=beji)
    assert decision.department == "DLHK"
    assert any("tidak ada di taksonomi" in reason for reason in decision.reasons)


def test_a_landmark_does_not_count_as_the_problem(beji):
    decision = decide(category=None, description="jalan berlubang di depan SDN Beji 1", area=beji)
    assert decision.department == "DPUPR"
    assert any("penanda lokasi" in reason for reason in decision.reasons)


def test_outside_the_city_goes_to_triage_but_keeps_the_guess(depok):
    outside = depok.locate(lat=-6.1754, lon=106.8272)
    decision = decide(category=None, description="sampah numpuk di TPS udah seminggu", area=outside)
    assert decision.needs_triage and decision.department == TRIAGE_DESK
    assert (decision.category, decision.suggested_department) == ("sampah", "DLHK")
    assert any("di luar wilayah Kota Depok" in reason for reason in decision.reasons)


def test_a_phrase_inside_a_longer_one_does_not_count_twice():
    decision = decide(category=None, description="lampu lalu lintas mati")
    assert decision.category == "lampu_lalu_lintas"
    assert "lalu_lintas" not in decision.scores


def test_neutral_place_names_hide_their_keywords():
    document = load_default_document()
    without = compile_taxonomy(document.model_copy(update={"neutral_phrases": []}), version=0)
    text = "tikungan tajam di Kampung Sawah butuh cermin cembung"
    assert "ketahanan_pangan" in decide(category=None, description=text, taxonomy=without).scores
    assert "ketahanan_pangan" not in decide(category=None, description=text).scores


def test_a_category_without_owner_or_with_an_unknown_department_is_refused():
    document = load_default_document().model_dump()
    document["categories"].append({"code": "x_y", "name": "X", "keywords": {"x": 1}})
    with pytest.raises(ValueError, match="perlu 'department'"):
        TaxonomyDocument.model_validate(document)
    document["categories"][-1]["department"] = "DINAS_HANTU"
    with pytest.raises(ValueError, match="DINAS_HANTU"):
        TaxonomyDocument.model_validate(document)


def test_routed_event_carries_area_and_versions(beji):
    from tests.support.factories import submitted_envelope

    submitted = submitted_envelope(category=None)
    decision = decide(category=None, description="sampah numpuk di TPS", area=beji)
    routed = domain.routed_event(submitted, decision, now=submitted.data.submitted_at).data
    assert (routed.kelurahan_code, routed.kelurahan_name) == ("32.76.06.1002", "Kukusan")
    assert (routed.kecamatan_code, routed.kecamatan_name) == ("32.76.06", "Beji")
    assert routed.inside_city is True
    assert routed.classifier_version == domain.CLASSIFIER_VERSION
    assert routed.taxonomy_version == 0


def test_the_development_set_stays_above_the_targets_on_the_tuning_splits(depok):
    from benchmarks.routing.accuracy import evaluate, load_examples

    outcomes = [o for split in ("tune", "tune_2") for o in evaluate(load_examples(split), depok, default_taxonomy())]
    correct = sum(o.correct for o in outcomes) / len(outcomes)
    wrong_confident = sum(o.wrong_confident for o in outcomes) / len(outcomes)
    assert len(outcomes) >= 400
    assert correct >= 0.90 and wrong_confident <= 0.03

"""Normalisation of informal Indonesian complaint text into stems the classifier can match.

Steps: lower-case; split into words; squeeze letters repeated for emphasis ("bangeeet");
expand chat abbreviations and slang ("gk" → "tidak", "jln" → "jalan", "udah" → "sudah"); fold a
reduplicated word to its base ("gorong-gorong" → "gorong"); strip the enclitics "-nya", "-lah";
then stem with Sastrawi (Nazief–Adriani with the CS improvements, a dictionary-backed stemmer
written for Bahasa Indonesia: "perbaikan" → "baik", "berlubang" → "lubang"). Sastrawi knows only
standard affixes, so a word it cannot reduce to a dictionary root is tried again without the
colloquial Jakarta affixes complaints are written in: the suffix "-in" ("dibenerin", "nutupin"),
the nasal prefixes "nge-", "ny-", "ng-", "n-", "m-" ("ngerusak" → "rusak", "nyumbat" → "sumbat",
"nimpa" → "timpa", "mukul" → "pukul") and "ke-" ("ketutup"); a candidate counts only when it
reaches a word of Sastrawi's dictionary. Stems are cached per word as written: complaint vocabulary
repeats a lot, so after warm-up a complaint costs one look-up per word.

Why it is over 400 lines: most of it is the table of chat abbreviations and slang."""

from __future__ import annotations

import re
from functools import lru_cache

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

NORMALISER_VERSION = "norm-2"

# Chat abbreviations and slang seen in Indonesian complaints, mapped to standard words.
# A value may hold several words ("gpp" → "tidak apa apa").
SLANG: dict[str, str] = {
    "ga": "tidak",
    "gak": "tidak",
    "gk": "tidak",
    "g": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "engga": "tidak",
    "kagak": "tidak",
    "kaga": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "ndak": "tidak",
    "gpp": "tidak apa apa",
    "blm": "belum",
    "blom": "belum",
    "belom": "belum",
    "udah": "sudah",
    "udh": "sudah",
    "sdh": "sudah",
    "dah": "sudah",
    "udah2": "sudah",
    "bgt": "banget",
    "bngt": "banget",
    "bener": "benar",
    "bnr": "benar",
    "yg": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "sm": "sama",
    "ama": "sama",
    "utk": "untuk",
    "untk": "untuk",
    "krn": "karena",
    "karna": "karena",
    "krna": "karena",
    "tp": "tapi",
    "tpi": "tapi",
    "jg": "juga",
    "lg": "lagi",
    "lgi": "lagi",
    "aja": "saja",
    "aj": "saja",
    "doang": "saja",
    "sj": "saja",
    "dr": "dari",
    "dri": "dari",
    "dlm": "dalam",
    "kl": "kalau",
    "kalo": "kalau",
    "klo": "kalau",
    "org": "orang",
    "orng": "orang",
    "tmn": "teman",
    "sy": "saya",
    "sya": "saya",
    "gw": "saya",
    "gue": "saya",
    "aku": "saya",
    "ane": "saya",
    "kmrn": "kemarin",
    "kemaren": "kemarin",
    "skrg": "sekarang",
    "skrng": "sekarang",
    "sekrg": "sekarang",
    "bsk": "besok",
    "hr": "hari",
    "bln": "bulan",
    "thn": "tahun",
    "mgg": "minggu",
    "mggu": "minggu",
    "jam2": "jam",
    "jln": "jalan",
    "jl": "jalan",
    "jalanan": "jalan",
    "gg": "gang",
    "kel": "",
    "kec": "",
    "ds": "",  # "Kel. Beji": an address, not the office
    "kelur": "kelurahan",
    "kelurhan": "kelurahan",
    "kantor_kel": "kelurahan",
    "pj": "penerangan jalan",
    "pju": "lampu jalan",
    "lpj": "lampu jalan",
    "apill": "lampu lalu lintas",
    "bangjo": "lampu lalu lintas",
    "traffic": "lampu lalu lintas",
    "lalin": "lalu lintas",
    "macet2": "macet",
    "pkl": "pedagang kaki lima",
    "e-ktp": "ktp",
    "ektp": "ktp",
    "kk": "kartu keluarga",
    "capil": "dukcapil",
    "bansos": "bantuan sosial",
    "blt": "bantuan sosial",
    "pkh": "bantuan sosial",
    "dbd": "demam berdarah",
    "pkm": "puskesmas",
    "rs": "rumah sakit",
    "rsud": "rumah sakit",
    "sd": "sekolah",
    "sdn": "sekolah",
    "smp": "sekolah",
    "smpn": "sekolah",
    "sma": "sekolah",
    "sman": "sekolah",
    "smk": "sekolah",
    "smkn": "sekolah",
    "tk": "sekolah",
    "paud": "sekolah",
    "imb": "pbg",
    "umk": "upah minimum",
    "ump": "upah minimum",
    "damkar": "pemadam kebakaran",
    "tirta": "pdam",
    "wi-fi": "wifi",
    "hotspot": "wifi",
    "apk": "aplikasi",
    "app": "aplikasi",
    "web": "situs",
    "website": "situs",
    "websitenya": "situs",
    "eror": "error",
    "erorr": "error",
    "pak": "bapak",
    "bu": "ibu",
    "deket": "dekat",
    "dkt": "dekat",
    "dpn": "depan",
    "depannya": "depan",
    "sblh": "sebelah",
    "blkg": "belakang",
    "gan": "",
    "min": "",
    "mimin": "",
    "sob": "",
    "bro": "",
    "bang": "",
    "om": "",
    "nih": "",
    "sih": "",
    "dong": "",
    "deh": "",
    "kok": "",
    "loh": "",
    "lho": "",
    "nya": "",
    "ya": "",
    "yah": "",
    "kan": "",
    "tuh": "",
    "gitu": "",
    "gimana": "bagaimana",
    "gmn": "bagaimana",
    "knp": "kenapa",
    "napa": "kenapa",
    "emg": "memang",
    "emang": "memang",
    "bs": "bisa",
    "bisa2": "bisa",
    "tlg": "tolong",
    "tolongin": "tolong",
    "pls": "tolong",
    "plis": "tolong",
    "bnyk": "banyak",
    "byk": "banyak",
    "bnyak": "banyak",
    "sampe": "sampai",
    "ampe": "sampai",
    "smp2": "sampai",
    "cuman": "hanya",
    "cuma": "hanya",
    "doank": "saja",
    "tiap": "setiap",
    "tiap2": "setiap",
    "numpuk": "tumpuk",
    "nyangkut": "tersangkut",
    "kejepit": "terjepit",
    "nambal": "tambal",
    "ngatur": "atur",
    "ngelapor": "lapor",
    "ngadu": "adu",
    "ngurus": "urus",
    "ngangkut": "angkut",
    "ngambil": "ambil",
    "dipalak": "palak",
    "malak": "palak",
    "nyumbat": "sumbat",
    "mampet": "sumbat",
    "mampat": "sumbat",
    "idup": "hidup",
    "item": "hitam",
    "bau2": "bau",
    "ancur": "hancur",
    "rusak2": "rusak",
    "bolong": "lubang",
    "bolong2": "lubang",
    "lobang": "lubang",
    "lubang2": "lubang",
    "jeglongan": "lubang",
    "got": "selokan",
    "sampah2": "sampah",
    "ngebul": "asap",
    "ngasep": "asap",
    "ngebakar": "bakar",
    # more chat spellings; colloquial affixes ("nutupin", "nyumbat") are undone by `stem`
    "gabisa": "tidak bisa",
    "gbs": "tidak bisa",
    "gada": "tidak ada",
    "gaada": "tidak ada",
    "jd": "jadi",
    "jdi": "jadi",
    "bkin": "bikin",
    "trus": "terus",
    "trs": "terus",
    "mulu": "terus",
    "msh": "masih",
    "masi": "masih",
    "hrs": "harus",
    "krg": "kurang",
    "bkn": "bukan",
    "pdhl": "padahal",
    "pdahal": "padahal",
    "lgsg": "langsung",
    "mhn": "mohon",
    "mnt": "minta",
    "mnta": "minta",
    "tlong": "tolong",
    "dmn": "mana",
    "dimana2": "mana",
    "kmi": "kami",
    "kpd": "kepada",
    "sbg": "sebagai",
    "spt": "seperti",
    "kyk": "seperti",
    "kayak": "seperti",
    "kayanya": "sepertinya",
    "kyknya": "sepertinya",
    "dtg": "datang",
    "dateng": "datang",
    "liat": "lihat",
    "ngeliat": "lihat",
    "pake": "pakai",
    "dipake": "dipakai",
    "ngasih": "kasih",
    "dikasi": "kasih",
    "nyebrang": "seberang",
    "nyeberang": "seberang",
    "ilang": "hilang",
    "gede": "besar",
    "duit": "uang",
    "rb": "ribu",
    "jt": "juta",
    "ujan": "hujan",
    "bnjir": "banjir",
    "banjr": "banjir",
    "smpah": "sampah",
    "sampa": "sampah",
    "jalanya": "jalan",
    "jlan": "jalan",
    "lampunya": "lampu",
    "skolah": "sekolah",
    "sekola": "sekolah",
    "puskemas": "puskesmas",
    "pkesmas": "puskesmas",
    "kelurhn": "kelurahan",
    "kecamatn": "kecamatan",
    "satpol-pp": "satpol",
    "satpolpp": "satpol",
    "polpp": "satpol",
    "pol-pp": "satpol",
    "kominfo": "diskominfo",
    "dukcapil": "dukcapil",
    "rt-rw": "rt rw",
}

_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_REPEATED = re.compile(r"([a-z])\1{2,}")
_STOPWORDS = frozenset(
    "yang di ke dari dan atau ini itu ada sudah belum akan dengan untuk pada dalam saja juga lagi sangat "
    "banget sekali saya kami kita mereka dia ia mas mbak tolong mohon segera bisa karena tapi "
    "namun kalau jika agar supaya sejak sampai hari minggu bulan tahun jam kemarin sekarang tadi pagi siang "
    "sore malam terus masih sama setiap banyak hanya sih the a".split()
)

# Words whose stem would merge two different things: "kelurahan" (the office, also named in
# almost every address) must not become "lurah" (the official), nor "kecamatan" "camat".
_UNSTEMMED = frozenset({"kelurahan", "kecamatan", "perumahan", "pemakaman", "kebakaran", "pemadam", "ngetem"})


@lru_cache(maxsize=1)
def _stemmer():  # built on first use (it reads Sastrawi's dictionary), not at import
    return StemmerFactory().create_stemmer()


def _in_dictionary(word: str) -> bool:
    return _stemmer().delegatedStemmer.dictionary.contains(word)


# Colloquial active prefixes and the standard initial they replace: "nutup" is "tutup" with
# the nasal "n-", "nyapu" is "sapu", "ngirim" is "kirim", "ngangkut" is "angkut".
_COLLOQUIAL_PREFIXES = (
    ("nge", ""),
    ("ny", "s"),
    ("ny", "c"),
    ("ng", ""),
    ("ng", "k"),
    ("n", "t"),
    ("m", "p"),
    ("ke", ""),
)


def _colloquial_candidates(word: str) -> list[str]:
    bases = [word]
    if word.endswith("in") and len(word) > 5:
        bases.append(word[:-2])
    candidates = bases[1:]
    for base in bases:
        for prefix in ("di", "ke", "ter"):  # a passive prefix before a colloquial root: "dibenerin"
            if base.startswith(prefix) and len(base) - len(prefix) >= 4:
                candidates.append(base[len(prefix) :])
        for prefix, initial in _COLLOQUIAL_PREFIXES:
            if base.startswith(prefix) and len(base) - len(prefix) >= 3:
                candidates.append(initial + base[len(prefix) :])
    return candidates


def _root(word: str) -> str | None:
    """The dictionary root Sastrawi reaches from `word`, if any (slang roots too: "bener")."""
    if word in SLANG and len(SLANG[word].split()) == 1 and SLANG[word]:
        word = SLANG[word]
    root = _stemmer().stem(word)
    return root if root and _in_dictionary(root) else None


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """Sastrawi stem of one normalised word, colloquial affixes undone when that is what makes it
    a dictionary word (cached)."""
    if len(word) <= 3 or word.isdigit() or word in _UNSTEMMED:
        return word
    root = _root(word)
    if root is not None:
        return root
    for candidate in _colloquial_candidates(word):
        root = _root(candidate)
        if root is not None:
            return root
    return _stemmer().stem(word) or word


def _expand(word: str) -> list[str]:
    word = _REPEATED.sub(r"\1", word)
    if word in SLANG:
        return SLANG[word].split()
    if "-" in word:
        first, _, rest = word.partition("-")
        # "gorong-gorong", "jalan-jalan": a reduplication keeps one copy; "e-ktp" is in SLANG.
        if rest == first or rest.startswith(first):
            return _expand(first)
        return [piece for part in word.split("-") for piece in _expand(part)]
    if word.endswith("2") and not word[:-1].isdigit():
        return _expand(word[:-1])
    for clitic in ("nya", "lah"):
        if word.endswith(clitic) and len(word) > len(clitic) + 3:
            base = word[: -len(clitic)]
            if base in SLANG:
                return SLANG[base].split()
    return [word]


def normalise(text: str) -> list[str]:
    """Standard words of `text`, in order, slang expanded (before stemming)."""
    words: list[str] = []
    for raw in _WORD.findall(text.lower()):
        words.extend(word for word in _expand(raw) if word)
    return words


def is_dictionary_word(word: str) -> bool:
    """Whether `word` (a stem) is a root in Sastrawi's dictionary of Bahasa Indonesia."""
    return _in_dictionary(word)


def one_deletion_variants(word: str) -> set[str]:
    """`word` and every string one letter shorter: two words within one edit (a letter
    missing, added, replaced, or two neighbours swapped) share one of these."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


# "di" is a stop word, but "di halte" says where, so it stays as a marker no keyword contains.
AT = "@di"


def stems(text: str) -> list[str]:
    """Stems of `text` in order, stop words dropped (except "di", kept as `AT`): the
    classifier's input."""
    return [word_stem for raw in _WORD.findall(text.lower()) for word_stem in word_stems(raw)]


@lru_cache(maxsize=50_000)
def word_stems(raw: str) -> tuple[str, ...]:
    """`stems` of one word as the tokeniser found it (cached, so a word seen before costs one
    look-up instead of squeezing, slang expansion and stemming)."""
    return tuple(
        AT if word == "di" else stem(word) for word in _expand(raw) if word and (word == "di" or word not in _STOPWORDS)
    )

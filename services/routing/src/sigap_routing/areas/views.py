"""How a located complaint's area reads in an answer (the preview and the stored decision)."""

from __future__ import annotations

from pydantic import BaseModel

from sigap_routing.geography import Area
from sigap_shared.errors import Text


class Place(BaseModel):
    code: str
    name: str


class AreaOut(BaseModel):
    kecamatan: Place | None
    kelurahan: Place | None
    inside_city: bool | None  # None: no location was given
    message: str


_NO_LOCATION = Text("Lokasi tidak diberikan", "No location given")
_OUTSIDE = Text(
    "Lokasi berada di luar wilayah Kota Depok",
    "The location is outside Kota Depok",
)


def area_out(*, inside_city: bool | None, kecamatan: Place | None, kelurahan: Place | None, lang: str) -> AreaOut:
    if inside_city is None:
        message = _NO_LOCATION.pick(lang)
    elif not inside_city:
        message = _OUTSIDE.pick(lang)
    else:
        assert kelurahan is not None and kecamatan is not None
        message = f"Kelurahan {kelurahan.name}, Kecamatan {kecamatan.name}, Kota Depok"  # the same in both languages
    return AreaOut(kecamatan=kecamatan, kelurahan=kelurahan, inside_city=inside_city, message=message)


def area_of(area: Area | None, lang: str) -> AreaOut:
    kelurahan = area.kelurahan if area else None
    return area_out(
        inside_city=area.inside_city if area else None,
        kecamatan=Place(code=kelurahan.kecamatan.code, name=kelurahan.kecamatan.name) if kelurahan else None,
        kelurahan=Place(code=kelurahan.code, name=kelurahan.name) if kelurahan else None,
        lang=lang,
    )

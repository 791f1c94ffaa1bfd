"""Where a complaint is: point-in-polygon over Kota Depok's 63 kelurahan (Kemendagri codes),
each outline prepared (its bounding box checked first), and an STRtree for the nearest outline.

The kelurahan outlines come from `data/kelurahan.geojson` (see `data/README.md` for source and
licence). They do not tile the city perfectly: neighbours overlap by slivers and leave thin
gaps between them. A point inside two outlines goes to the one it lies deepest in; a point in a
gap goes to the nearest kelurahan when it is within `edge_tolerance_m`; anything farther from
every outline is outside the city. The kecamatan is always the kelurahan's own, never a second
lookup, so the two can never disagree (the kecamatan outlines shipped are heavily simplified)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Literal, TypedDict

import shapely
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

# Metres per degree at Depok's latitude (about -6.4): close enough for a tolerance of tens of metres.
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(6.4))
_M_PER_DEG = (_M_PER_DEG_LAT + _M_PER_DEG_LON) / 2


@dataclass(frozen=True, slots=True)
class Kecamatan:
    code: str  # Kemendagri, e.g. "32.76.06"
    name: str


@dataclass(frozen=True, slots=True)
class Kelurahan:
    code: str  # Kemendagri, e.g. "32.76.06.1001"
    name: str
    kecamatan: Kecamatan


@dataclass(frozen=True, slots=True)
class Area:
    """The answer for one point: inside the city (with its kelurahan and kecamatan) or not."""

    inside_city: bool
    kelurahan: Kelurahan | None = None
    how: Literal["inside", "nearest_edge", "outside"] = "outside"
    distance_m: float = 0.0

    @property
    def kecamatan(self) -> Kecamatan | None:
        return self.kelurahan.kecamatan if self.kelurahan else None


OUTSIDE = Area(inside_city=False)


class PlaceFields(TypedDict):
    """Where a complaint is, flat: the fields `ComplaintRouted` and a routing decision both carry."""

    inside_city: bool | None
    kecamatan_code: str | None
    kecamatan_name: str | None
    kelurahan_code: str | None
    kelurahan_name: str | None


def place_fields(area: Area | None) -> PlaceFields:
    """The flat place fields of an area; all None when the complaint had no location."""
    kelurahan = area.kelurahan if area else None
    return PlaceFields(
        inside_city=area.inside_city if area else None,
        kecamatan_code=kelurahan.kecamatan.code if kelurahan else None,
        kecamatan_name=kelurahan.kecamatan.name if kelurahan else None,
        kelurahan_code=kelurahan.code if kelurahan else None,
        kelurahan_name=kelurahan.name if kelurahan else None,
    )


class Geography:
    """The city's kelurahan outlines and a spatial index over them. Build once per process."""

    def __init__(self, kelurahan: list[tuple[Kelurahan, BaseGeometry]], *, edge_tolerance_m: float = 60.0) -> None:
        if not kelurahan:
            raise ValueError("a geography needs at least one kelurahan")
        self.kelurahan: tuple[Kelurahan, ...] = tuple(area for area, _ in kelurahan)
        self.polygons: tuple[BaseGeometry, ...] = tuple(polygon for _, polygon in kelurahan)
        for polygon in self.polygons:
            shapely.prepare(polygon)
        self._boundaries = tuple(polygon.boundary for polygon in self.polygons)
        self._tree = STRtree(self.polygons)
        self._tolerance_deg = edge_tolerance_m / _M_PER_DEG
        self.edge_tolerance_m = edge_tolerance_m
        kecamatan = {area.kecamatan.code: area.kecamatan for area in self.kelurahan}
        self.kecamatan: tuple[Kecamatan, ...] = tuple(kecamatan[code] for code in sorted(kecamatan))
        self._by_code = {area.code: area for area in self.kelurahan}
        self._published = b'{"type":"FeatureCollection","features":[]}'

    @classmethod
    def from_geojson(cls, kelurahan_geojson: dict, *, edge_tolerance_m: float = 60.0) -> Geography:
        areas = []
        for feature in kelurahan_geojson["features"]:
            props = feature["properties"]
            kecamatan = Kecamatan(code=props["kecamatan_code"], name=props["kecamatan"])
            areas.append(
                (Kelurahan(code=props["code"], name=props["name"], kecamatan=kecamatan), shape(feature["geometry"]))
            )
        geography = cls(areas, edge_tolerance_m=edge_tolerance_m)
        geography._published = _published_geojson(kelurahan_geojson, licence=None)
        return geography

    @classmethod
    def depok(cls, *, edge_tolerance_m: float = 60.0) -> Geography:
        """Kota Depok's boundaries shipped with the service."""
        text = (resources.files("sigap_routing") / "data" / "kelurahan.geojson").read_text(encoding="utf-8")
        geography = cls.from_geojson(json.loads(text), edge_tolerance_m=edge_tolerance_m)
        licence = (resources.files("sigap_routing") / "data" / "LICENSE-wilayah_boundaries").read_text(encoding="utf-8")
        geography._published = _published_geojson(json.loads(text), licence=licence)
        return geography

    def kelurahan_geojson(self) -> bytes:
        """The outlines as maps draw them: GeoJSON rounded to 5 decimals (about a metre), with
        the data set's licence when it is the shipped one."""
        return self._published

    def kelurahan_by_code(self, code: str) -> Kelurahan | None:
        return self._by_code.get(code)

    def locate(self, *, lat: float, lon: float) -> Area:
        # One vectorised test of the coordinates against every prepared outline (each checks its
        # bounding box first) is cheaper than building a Point for the tree: a few µs for 63.
        inside = shapely.intersects_xy(self._tree.geometries, lon, lat).nonzero()[0]
        if len(inside) == 1:
            return Area(inside_city=True, kelurahan=self.kelurahan[int(inside[0])], how="inside")
        point = Point(lon, lat)
        if len(inside) > 1:
            # Overlapping slivers: the outline the point is deepest inside wins.
            deepest = max((int(index) for index in inside), key=lambda index: self._boundaries[index].distance(point))
            return Area(inside_city=True, kelurahan=self.kelurahan[deepest], how="inside")
        near = self._tree.query(point, predicate="dwithin", distance=self._tolerance_deg)
        if len(near) == 0:
            return OUTSIDE
        nearest = min((int(index) for index in near), key=lambda index: self.polygons[index].distance(point))
        return Area(
            inside_city=True,
            kelurahan=self.kelurahan[nearest],
            how="nearest_edge",
            distance_m=round(self.polygons[nearest].distance(point) * _M_PER_DEG, 1),
        )


def _rounded(coordinates: object) -> object:
    if isinstance(coordinates, (list, tuple)):
        if coordinates and isinstance(coordinates[0], (int, float)):
            return [round(float(value), 5) for value in coordinates]
        return [_rounded(part) for part in coordinates]
    return coordinates


def _published_geojson(collection: dict, *, licence: str | None) -> bytes:
    features = [
        {
            "type": "Feature",
            "properties": {key: feature["properties"][key] for key in ("code", "name", "kecamatan_code", "kecamatan")},
            "geometry": {"type": feature["geometry"]["type"], "coordinates": _rounded(feature["geometry"]["coordinates"])},
        }
        for feature in collection["features"]
    ]
    document: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if licence is not None:
        document["license"] = licence
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()

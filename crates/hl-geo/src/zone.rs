//! Zones: named polygons (restricted areas, anchorages, approach channels, berths) read from
//! GeoJSON, with an optional filter on vessel type and size.

use serde_json::Value;

use crate::{BoundingBox, Position};

/// Why a zone file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", feature.map(|i| format!("feature {i}: ")).unwrap_or_default())]
pub struct ZoneError {
    /// Index of the offending feature in the collection, when there is one.
    pub feature: Option<usize>,
    /// The offending member of the feature's `properties`, when it is one.
    pub property: Option<&'static str>,
    pub reason: String,
}

fn refuse<T>(feature: Option<usize>, reason: impl Into<String>) -> Result<T, ZoneError> {
    Err(ZoneError { feature, property: None, reason: reason.into() })
}

/// Longest dwell a zone may ask for, in minutes (30 days): beyond it a vessel is moored, not
/// dwelling, and a typo (minutes for seconds) should be caught.
pub const DWELL_MINUTES_MAX: f64 = 43_200.0;
/// Longest hull a length filter may name, in metres (the longest ships afloat are about 460 m).
pub const FILTER_LENGTH_MAX_M: f64 = 500.0;

/// Which vessels a zone applies to; empty means all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneFilter {
    /// Ship-and-cargo type ranges (inclusive), e.g. 80-89 for tankers.
    pub ship_types: Vec<(u8, u8)>,
    pub min_length_m: Option<f64>,
    pub max_length_m: Option<f64>,
}

impl ZoneFilter {
    /// Whether a vessel of this type and length (either possibly unknown) is concerned. An
    /// unknown value passes: a zone meant for tankers must not be blind to unidentified ships.
    pub fn admits(&self, ship_type: Option<u8>, length_m: Option<f64>) -> bool {
        let type_ok = self.ship_types.is_empty()
            || ship_type.is_none_or(|t| self.ship_types.iter().any(|(lo, hi)| (*lo..=*hi).contains(&t)));
        let min_ok = self.min_length_m.is_none_or(|min| length_m.is_none_or(|l| l >= min));
        let max_ok = self.max_length_m.is_none_or(|max| length_m.is_none_or(|l| l <= max));
        type_ok && min_ok && max_ok
    }
}

type Ring = Vec<(f64, f64)>;

/// What a zone is; it decides what the detectors expect inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneKind {
    /// A port's waters: ships at quays there are never "on land".
    Port,
    /// A berth: loitering expected, never "on land".
    Berth,
    /// An anchorage: loitering expected, never "on land".
    Anchorage,
    /// An approach or fairway channel.
    ApproachChannel,
    /// A traffic separation scheme.
    TrafficSeparation,
    /// Entry is a matter for security: entries and dwells raise their severity.
    Restricted,
    /// Anything else the operator wants watched.
    Other,
}

impl ZoneKind {
    pub const ALL: [ZoneKind; 7] = [
        ZoneKind::Port,
        ZoneKind::Berth,
        ZoneKind::Anchorage,
        ZoneKind::ApproachChannel,
        ZoneKind::TrafficSeparation,
        ZoneKind::Restricted,
        ZoneKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ZoneKind::Port => "port",
            ZoneKind::Berth => "berth",
            ZoneKind::Anchorage => "anchorage",
            ZoneKind::ApproachChannel => "approach_channel",
            ZoneKind::TrafficSeparation => "traffic_separation",
            ZoneKind::Restricted => "restricted",
            ZoneKind::Other => "other",
        }
    }

    /// The kind named `name` (as [`ZoneKind::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Where ships lie alongside or at anchor (no "on land", loitering expected in some).
    pub fn is_harbour(self) -> bool {
        matches!(self, ZoneKind::Port | ZoneKind::Berth | ZoneKind::Anchorage)
    }
}

impl std::fmt::Display for ZoneKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named area.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub id: String,
    pub name: String,
    pub kind: ZoneKind,
    /// Whether, as a port, berth or anchorage, it exempts positions from the detections that
    /// expect ships there (position on land, loitering, encounters). A live node sets it only
    /// for zones the owner of those detections may read.
    pub exempts: bool,
    pub filter: ZoneFilter,
    /// Seconds inside after which a dwell is reported; `None` for no dwell alerts.
    pub dwell_seconds: Option<i64>,
    /// Polygons as (exterior, holes), each ring as (lon, lat) pairs.
    polygons: Vec<(Ring, Vec<Ring>)>,
    bbox: BoundingBox,
}

fn ring_contains(ring: &Ring, lon: f64, lat: f64) -> bool {
    // Ray casting along the parallel through the point.
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > lat) != (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

impl Zone {
    /// Whether `p` is inside (on the plane of longitude and latitude; zones are small and do
    /// not cross the antimeridian, which `parse_zones` refuses).
    pub fn contains(&self, p: &Position) -> bool {
        if !self.bbox.contains(p) {
            return false;
        }
        self.polygons.iter().any(|(outer, holes)| {
            ring_contains(outer, p.lon(), p.lat()) && !holes.iter().any(|h| ring_contains(h, p.lon(), p.lat()))
        })
    }

    pub fn bbox(&self) -> BoundingBox {
        self.bbox
    }

    /// Whether loitering here is normal (anchorages and berths).
    pub fn is_mooring_area(&self) -> bool {
        self.exempts && matches!(self.kind, ZoneKind::Anchorage | ZoneKind::Berth)
    }

    /// A rectangular zone (tests, simulator).
    pub fn rectangle(id: &str, kind: ZoneKind, south: f64, west: f64, north: f64, east: f64) -> Self {
        let ring = vec![(west, south), (east, south), (east, north), (west, north), (west, south)];
        Zone {
            id: id.to_owned(),
            name: id.to_owned(),
            kind,
            exempts: true,
            filter: ZoneFilter::default(),
            dwell_seconds: None,
            polygons: vec![(ring, Vec::new())],
            bbox: BoundingBox { min_lat: south, min_lon: west, max_lat: north, max_lon: east },
        }
    }
}

fn number(v: &Value, feature: Option<usize>, what: &str) -> Result<f64, ZoneError> {
    match v.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        _ => refuse(feature, format!("{what} is not a number")),
    }
}

fn ring(v: &Value, feature: Option<usize>) -> Result<Ring, ZoneError> {
    let points = v.as_array().ok_or(ZoneError {
        feature,
        property: None,
        reason: "a ring is not an array of positions".into(),
    })?;
    if points.len() < 4 {
        return refuse(feature, format!("a ring has {} positions; a closed ring needs at least 4", points.len()));
    }
    let mut out = Vec::with_capacity(points.len());
    for point in points {
        let coords = point.as_array().filter(|c| c.len() >= 2).ok_or(ZoneError {
            feature,
            property: None,
            reason: "a position is not [longitude, latitude]".into(),
        })?;
        let lon = number(&coords[0], feature, "a longitude")?;
        let lat = number(&coords[1], feature, "a latitude")?;
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return refuse(
                feature,
                format!("position [{lon}, {lat}] is out of range (GeoJSON is [longitude, latitude])"),
            );
        }
        out.push((lon, lat));
    }
    if out.first() != out.last() {
        return refuse(feature, "a ring is not closed (its first and last positions differ)");
    }
    if out.windows(2).any(|w| (w[0].0 - w[1].0).abs() > 180.0) {
        return refuse(feature, "a ring crosses the antimeridian; split it at 180°");
    }
    Ok(out)
}

fn polygon(v: &Value, feature: Option<usize>) -> Result<(Ring, Vec<Ring>), ZoneError> {
    let rings = v.as_array().filter(|r| !r.is_empty()).ok_or(ZoneError {
        feature,
        property: None,
        reason: "a Polygon needs an array of rings (exterior first)".into(),
    })?;
    let exterior = ring(&rings[0], feature)?;
    let holes = rings[1..].iter().map(|r| ring(r, feature)).collect::<Result<Vec<_>, _>>()?;
    Ok((exterior, holes))
}

fn zone_from(geometry: &Value, properties: &Value, feature: Option<usize>) -> Result<Zone, ZoneError> {
    let kind = geometry["type"].as_str().unwrap_or("");
    let coordinates = &geometry["coordinates"];
    let polygons = match kind {
        "Polygon" => vec![polygon(coordinates, feature)?],
        "MultiPolygon" => coordinates
            .as_array()
            .ok_or(ZoneError { feature, property: None, reason: "MultiPolygon coordinates are not an array".into() })?
            .iter()
            .map(|p| polygon(p, feature))
            .collect::<Result<Vec<_>, _>>()?,
        "" => return refuse(feature, "geometry has no type"),
        other => return refuse(feature, format!("geometry type {other} is not a Polygon or MultiPolygon")),
    };
    let mut bbox = BoundingBox { min_lat: 90.0, min_lon: 180.0, max_lat: -90.0, max_lon: -180.0 };
    for (lon, lat) in polygons.iter().flat_map(|(outer, _)| outer.iter()) {
        bbox.min_lat = bbox.min_lat.min(*lat);
        bbox.max_lat = bbox.max_lat.max(*lat);
        bbox.min_lon = bbox.min_lon.min(*lon);
        bbox.max_lon = bbox.max_lon.max(*lon);
    }
    let index = feature.unwrap_or(0);
    let text = |key: &str| properties[key].as_str().map(str::to_owned);
    let ship_types = match &properties["ship_types"] {
        Value::Null => Vec::new(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Number(n) => n.as_u64().filter(|v| *v < 256).map(|v| (v as u8, v as u8)),
                Value::Array(pair) if pair.len() == 2 => match (pair[0].as_u64(), pair[1].as_u64()) {
                    (Some(lo), Some(hi)) if lo <= hi && hi < 256 => Some((lo as u8, hi as u8)),
                    _ => None,
                },
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(ZoneError {
                feature,
                property: None,
                reason: "ship_types must list codes or [from, to] ranges (0-255)".into(),
            })?,
        _ => return refuse(feature, "ship_types must be an array"),
    };
    // A property in (min, max]: refused with its name otherwise.
    let optional_number = |key: &'static str, min: f64, max: f64| -> Result<Option<f64>, ZoneError> {
        match &properties[key] {
            Value::Null => Ok(None),
            v => match v.as_f64() {
                Some(x) if x.is_finite() && x > min && x <= max => Ok(Some(x)),
                _ => Err(ZoneError {
                    feature,
                    property: Some(key),
                    reason: format!("{key} must be a number above {min} and at most {max}"),
                }),
            },
        }
    };
    let kind = match &properties["kind"] {
        Value::Null => ZoneKind::Other,
        Value::String(name) => ZoneKind::parse(name).ok_or_else(|| ZoneError {
            feature,
            property: Some("kind"),
            reason: format!(
                "`{name}` is not a zone kind: use one of {}",
                ZoneKind::ALL.map(ZoneKind::as_str).join(", ")
            ),
        })?,
        _ => {
            return Err(ZoneError {
                feature,
                property: Some("kind"),
                reason: format!("must be a string, one of {}", ZoneKind::ALL.map(ZoneKind::as_str).join(", ")),
            });
        }
    };
    let dwell_minutes = optional_number("dwell_minutes", 0.0, DWELL_MINUTES_MAX)?;
    let min_length_m = optional_number("min_length_m", -1.0, FILTER_LENGTH_MAX_M)?;
    let max_length_m = optional_number("max_length_m", 0.0, FILTER_LENGTH_MAX_M)?;
    if let (Some(lo), Some(hi)) = (min_length_m, max_length_m)
        && lo > hi
    {
        return Err(ZoneError {
            feature,
            property: Some("min_length_m"),
            reason: String::from("min_length_m must not exceed max_length_m"),
        });
    }
    Ok(Zone {
        id: text("id").unwrap_or_else(|| format!("zone-{index}")),
        name: text("name").unwrap_or_else(|| format!("zone {index}")),
        kind,
        exempts: true,
        filter: ZoneFilter { ship_types, min_length_m, max_length_m },
        dwell_seconds: dwell_minutes.map(|m| (m * 60.0).round() as i64),
        polygons,
        bbox,
    })
}

/// Reads zones from GeoJSON text: a FeatureCollection, a Feature, or a bare Polygon or
/// MultiPolygon. Feature properties used: `id`, `name`, `kind`, `ship_types`, `min_length_m`,
/// `max_length_m`, `dwell_minutes`.
pub fn parse_zones(text: &str) -> Result<Vec<Zone>, ZoneError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| ZoneError {
        feature: None,
        property: None,
        reason: format!("not JSON: {e}"),
    })?;
    match doc["type"].as_str() {
        Some("FeatureCollection") => {
            let features = doc["features"].as_array().ok_or(ZoneError {
                feature: None,
                property: None,
                reason: "a FeatureCollection needs a features array".into(),
            })?;
            features
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    if f["type"] != "Feature" {
                        return refuse(Some(i), "is not a Feature");
                    }
                    zone_from(&f["geometry"], &f["properties"], Some(i))
                })
                .collect()
        }
        Some("Feature") => Ok(vec![zone_from(&doc["geometry"], &doc["properties"], None)?]),
        Some("Polygon" | "MultiPolygon") => Ok(vec![zone_from(&doc, &Value::Null, None)?]),
        Some(other) => refuse(None, format!("GeoJSON type {other} holds no polygons")),
        None => refuse(None, "not GeoJSON: no \"type\" member"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHORAGE: &str = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"id":"eastern-anchorage","name":"Eastern Anchorage","kind":"anchorage","ship_types":[[80,89],70],"dwell_minutes":30},
         "geometry":{"type":"Polygon","coordinates":[[[103.90,1.26],[103.96,1.26],[103.96,1.30],[103.90,1.30],[103.90,1.26]],
                                                    [[103.92,1.27],[103.93,1.27],[103.93,1.28],[103.92,1.28],[103.92,1.27]]]}}]}"#;

    fn at(lat: f64, lon: f64) -> Position {
        Position::new(lat, lon).unwrap_or_else(|| panic!())
    }

    #[test]
    fn reads_properties_and_tests_containment_with_holes() {
        let zones = parse_zones(ANCHORAGE).unwrap_or_else(|e| panic!("{e}"));
        let z = &zones[0];
        assert_eq!((z.id.as_str(), z.kind.as_str(), z.dwell_seconds), ("eastern-anchorage", "anchorage", Some(1800)));
        assert!(z.contains(&at(1.28, 103.94)));
        assert!(!z.contains(&at(1.275, 103.925)), "inside the hole");
        assert!(!z.contains(&at(1.25, 103.94)));
        assert!(z.is_mooring_area());
        assert!(z.filter.admits(Some(84), None) && z.filter.admits(Some(70), Some(200.0)));
        assert!(!z.filter.admits(Some(60), None));
        assert!(z.filter.admits(None, None), "unknown type is not exempt");
    }

    #[test]
    fn invalid_zone_files_are_refused_with_the_reason() {
        let cases = [
            ("[1,2]", "no \"type\""),
            ("{", "not JSON"),
            (r#"{"type":"Point","coordinates":[1,2]}"#, "holds no polygons"),
            (
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}]}"#,
                "feature 0: geometry type LineString",
            ),
            (r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0.5]]]}"#, "not closed"),
            (r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#, "at least 4"),
            (r#"{"type":"Polygon","coordinates":[[[1.3,103.9],[1.3,104.0],[1.4,104.0],[1.3,103.9]]]}"#, "out of range"),
            (r#"{"type":"Polygon","coordinates":[[[179,0],[-179,0],[-179,1],[179,0]]]}"#, "antimeridian"),
        ];
        for (text, expected) in cases {
            let err = parse_zones(text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn absurd_filters_and_dwell_times_are_refused_with_the_property() {
        let square =
            r#""geometry":{"type":"Polygon","coordinates":[[[103.8,1.2],[103.9,1.2],[103.9,1.3],[103.8,1.2]]]}"#;
        for (properties, property) in [
            (r#"{"dwell_minutes":-5}"#, "dwell_minutes"),
            (r#"{"dwell_minutes":0}"#, "dwell_minutes"),
            (r#"{"dwell_minutes":1e9}"#, "dwell_minutes"),
            (r#"{"dwell_minutes":"30"}"#, "dwell_minutes"),
            (r#"{"min_length_m":-3}"#, "min_length_m"),
            (r#"{"max_length_m":99999}"#, "max_length_m"),
            (r#"{"min_length_m":200,"max_length_m":100}"#, "min_length_m"),
        ] {
            let text = format!(r#"{{"type":"Feature","properties":{properties},{square}}}"#);
            let err = parse_zones(&text).err();
            assert_eq!(err.as_ref().and_then(|e| e.property), Some(property), "{properties}: {err:?}");
        }
        let fine = format!(
            r#"{{"type":"Feature","properties":{{"dwell_minutes":90,"min_length_m":0,"max_length_m":400}},{square}}}"#
        );
        assert!(parse_zones(&fine).is_ok());
    }
}

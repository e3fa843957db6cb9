//! The Singapore and Malacca Straits: lanes, ports and zones (approximate public positions).

use hl_geo::{Position, Zone};

/// Zones of the region, as GeoJSON (what `harborlink simulate --zones-out` writes): the
/// Singapore Eastern Anchorage and a restricted security zone south of the traffic lane.
pub const ZONES_GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"sg-eastern-anchorage","name":"Eastern Anchorage","kind":"anchorage"},
 "geometry":{"type":"Polygon","coordinates":[[[103.88,1.23],[103.96,1.23],[103.96,1.27],[103.88,1.27],[103.88,1.23]]]}},
{"type":"Feature","properties":{"id":"security-zone-south","name":"Security Zone South","kind":"restricted","dwell_minutes":10},
 "geometry":{"type":"Polygon","coordinates":[[[103.70,1.05],[103.74,1.05],[103.74,1.08],[103.70,1.08],[103.70,1.05]]]}}
]}"#;

/// Lanes and zones.
pub struct Region {
    /// The Strait of Malacca traffic lane, from off Port Klang to the eastern exit of the
    /// Singapore Strait.
    pub main_lane: Vec<Position>,
    /// Singapore to Batam (Batu Ampar) ferry route.
    pub ferry_lane: Vec<Position>,
    pub zones: Vec<Zone>,
    /// Where anchored vessels lie (inside the anchorage).
    pub anchorage: (Position, Position),
    /// A point inside the restricted zone, for intrusions.
    pub restricted_point: Position,
}

fn p(lat: f64, lon: f64) -> Position {
    Position::new(lat, lon).unwrap_or_else(|| unreachable!("region constants are valid positions"))
}

impl Region {
    pub fn straits() -> Self {
        Region {
            main_lane: vec![
                p(2.95, 101.05),
                p(2.55, 101.45),
                p(2.05, 102.05),
                p(1.65, 102.65),
                p(1.33, 103.20),
                p(1.18, 103.55),
                p(1.17, 103.75),
                p(1.20, 103.90),
                p(1.23, 104.10),
                p(1.28, 104.35),
            ],
            ferry_lane: vec![p(1.215, 103.865), p(1.19, 103.93), p(1.17, 104.00)],
            zones: hl_geo::parse_zones(ZONES_GEOJSON).unwrap_or_default(),
            anchorage: (p(1.235, 103.885), p(1.265, 103.955)),
            restricted_point: p(1.065, 103.72),
        }
    }
}

/// A polyline with cumulative distances, to place a vessel by distance travelled.
pub(crate) struct Route {
    points: Vec<Position>,
    cumulative_m: Vec<f64>,
}

impl Route {
    pub(crate) fn new(points: Vec<Position>) -> Self {
        let mut cumulative_m = vec![0.0];
        for w in points.windows(2) {
            let last = cumulative_m.last().copied().unwrap_or(0.0);
            cumulative_m.push(last + w[0].distance_m(&w[1]));
        }
        Route { points, cumulative_m }
    }

    pub(crate) fn length_m(&self) -> f64 {
        self.cumulative_m.last().copied().unwrap_or(0.0)
    }

    /// Position, the route's forward bearing there, and whether the bounced distance runs
    /// backwards (vessels turn round at the ends of the lane).
    pub(crate) fn at(&self, distance: f64) -> (Position, f64, bool) {
        let length = self.length_m().max(1.0);
        let lap = distance.rem_euclid(2.0 * length);
        let (along, reversed) = if lap <= length { (lap, false) } else { (2.0 * length - lap, true) };
        let segment =
            self.cumulative_m.windows(2).position(|w| along <= w[1]).unwrap_or(self.points.len().saturating_sub(2));
        let (a, b) = (self.points[segment], self.points[segment + 1]);
        let into = along - self.cumulative_m[segment];
        let bearing = a.bearing_deg(&b);
        (a.destination(bearing, into), bearing, reversed)
    }
}

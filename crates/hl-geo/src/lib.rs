//! Positions, great-circle distances and zones for the maritime picture. Pure: no I/O.
//!
//! Zones come from GeoJSON (RFC 7946): a FeatureCollection (or Feature, or bare geometry) of
//! Polygon or MultiPolygon geometries, longitude first, WGS 84. A file that is not valid
//! GeoJSON polygons is refused with the reason and the feature it concerns.

mod land;
mod zone;

pub use land::Land;
pub use zone::{Zone, ZoneError, ZoneFilter, ZoneKind, parse_zones};

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// One nautical mile, metres.
pub const NAUTICAL_MILE_M: f64 = 1_852.0;

/// A valid WGS 84 position: latitude -90..=90, longitude -180..=180.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    lat: f64,
    lon: f64,
}

impl Position {
    /// A position, or `None` when a coordinate is out of range or not finite. AIS sentinels
    /// (91°, 181°) are therefore refused too.
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        let ok = lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
        ok.then_some(Self { lat, lon })
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Great-circle distance in metres (haversine; about 0.5% off the ellipsoid at worst,
    /// ample for detection thresholds).
    pub fn distance_m(&self, other: &Position) -> f64 {
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let dphi = phi2 - phi1;
        let dlambda = (other.lon - self.lon).to_radians();
        let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }

    /// Whether `other` is surely within `limit_m`, by a bound that needs no trigonometry but
    /// one cosine: along any path the local length is at most R·√(dφ² + cos²φ_max·dλ²), with
    /// φ_max the latitude nearer the equator, so the great circle is no longer. `false` means
    /// "not sure": measure with [`Position::distance_m`].
    pub fn surely_within_m(&self, other: &Position, limit_m: f64) -> bool {
        let dphi = (other.lat - self.lat).to_radians();
        let mut dlon = (other.lon - self.lon).abs();
        if dlon > 180.0 {
            dlon = 360.0 - dlon;
        }
        let dlambda = dlon.to_radians();
        let nearest_equator =
            if self.lat.signum() != other.lat.signum() { 0.0 } else { self.lat.abs().min(other.lat.abs()) };
        let bound = EARTH_RADIUS_M * (dphi * dphi + (nearest_equator.to_radians().cos() * dlambda).powi(2)).sqrt();
        bound <= limit_m
    }

    /// Initial bearing to `other`, degrees clockwise from true north, 0..360.
    pub fn bearing_deg(&self, other: &Position) -> f64 {
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlambda = (other.lon - self.lon).to_radians();
        let y = dlambda.sin() * phi2.cos();
        let x = phi1.cos() * phi2.sin() - phi1.sin() * phi2.cos() * dlambda.cos();
        (y.atan2(x).to_degrees() + 360.0) % 360.0
    }

    /// The position `distance_m` away along `bearing_deg` (for the simulator).
    pub fn destination(&self, bearing_deg: f64, distance_m: f64) -> Position {
        let delta = distance_m / EARTH_RADIUS_M;
        let theta = bearing_deg.to_radians();
        let phi1 = self.lat.to_radians();
        let lambda1 = self.lon.to_radians();
        let phi2 = (phi1.sin() * delta.cos() + phi1.cos() * delta.sin() * theta.cos()).asin();
        let lambda2 = lambda1 + (theta.sin() * delta.sin() * phi1.cos()).atan2(delta.cos() - phi1.sin() * phi2.sin());
        let lon = (lambda2.to_degrees() + 540.0) % 360.0 - 180.0;
        Position { lat: phi2.to_degrees(), lon }
    }
}

/// A latitude/longitude box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl BoundingBox {
    pub fn contains(&self, p: &Position) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat) && (self.min_lon..=self.max_lon).contains(&p.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> Position {
        Position::new(lat, lon).unwrap_or_else(|| panic!("{lat},{lon}"))
    }

    #[test]
    fn refuses_out_of_range_and_sentinel_coordinates() {
        assert!(Position::new(91.0, 0.0).is_none());
        assert!(Position::new(0.0, 181.0).is_none());
        assert!(Position::new(f64::NAN, 0.0).is_none());
        assert!(Position::new(-90.0, 180.0).is_some());
    }

    #[test]
    fn distances_match_known_values() {
        // One minute of latitude is about one nautical mile.
        let d = p(1.0, 103.8).distance_m(&p(1.0 + 1.0 / 60.0, 103.8));
        assert!((d - NAUTICAL_MILE_M).abs() < 10.0, "{d}");
        // Singapore to Port Klang, about 333 km.
        let d = p(1.264, 103.840).distance_m(&p(3.000, 101.390));
        assert!((d - 332_000.0).abs() < 10_000.0, "{d}");
        assert_eq!(p(1.0, 1.0).distance_m(&p(1.0, 1.0)), 0.0);
    }

    #[test]
    fn the_cheap_bound_never_claims_a_far_point_is_near() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..100_000 {
            let a = p(-89.0 + next() * 178.0, -180.0 + next() * 360.0);
            let b = a.destination(next() * 360.0, next() * 3_000.0);
            let limit = 1_000.0;
            if a.surely_within_m(&b, limit) {
                assert!(a.distance_m(&b) <= limit + 1e-6, "{a:?} {b:?}");
            }
        }
        assert!(p(1.2, 103.8).surely_within_m(&p(1.2001, 103.8001), 1_000.0));
        assert!(!p(1.2, 103.8).surely_within_m(&p(1.3, 103.8), 1_000.0));
        assert!(p(0.0, 179.9999).surely_within_m(&p(0.0, -179.9999), 1_000.0), "across the antimeridian");
    }

    #[test]
    fn destination_inverts_distance_and_bearing() {
        let start = p(1.2, 103.9);
        for bearing in [0.0, 45.0, 90.0, 180.0, 271.0] {
            let end = start.destination(bearing, 5_000.0);
            assert!((start.distance_m(&end) - 5_000.0).abs() < 0.01);
            assert!((start.bearing_deg(&end) - bearing).abs() < 0.01 || bearing == 0.0);
        }
    }
}

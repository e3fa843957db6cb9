//! Prints, for each "lat lon" line on stdin, whether it is on land and the distance to the
//! nearest water edge (up to 200 km): a tool for checking the land data against real captures.
use std::io::BufRead;

fn main() {
    let land = hl_geo::Land::natural_earth();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let mut parts = line.split_whitespace().filter_map(|s| s.parse::<f64>().ok());
        let (Some(lat), Some(lon)) = (parts.next(), parts.next()) else { continue };
        let Some(p) = hl_geo::Position::new(lat, lon) else { continue };
        let d = land.water_within_m(&p, 200_000.0).map_or("-".to_string(), |d| format!("{d:.0}"));
        println!("{lat:.4} {lon:.4} {} {d}", land.contains(&p));
    }
}

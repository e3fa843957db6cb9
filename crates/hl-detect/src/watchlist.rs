//! The operator's watch list: a CSV with a header row `mmsi,imo,name,callsign,reason`; any of
//! the first four may be empty.

use std::collections::HashMap;

/// One watched vessel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchlistEntry {
    /// The entry's record id, for entries kept by a node (a CSV file's have none).
    pub id: Option<String>,
    pub mmsi: Option<u32>,
    pub imo: Option<u32>,
    pub name: Option<String>,
    pub callsign: Option<String>,
    pub reason: String,
}

/// Why a watch-list file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("watch list line {line}: {reason}")]
pub struct WatchlistError {
    pub line: usize,
    pub reason: String,
}

/// Entries indexed by each identifier. Several entries may name the same vessel (two
/// organizations watching it, each for its own reason): each index keeps all of them, and every
/// entry that matches is a hit of its own.
#[derive(Debug, Default, Clone)]
pub struct Watchlist {
    entries: Vec<WatchlistEntry>,
    by_mmsi: HashMap<u32, Vec<usize>>,
    by_imo: HashMap<u32, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    by_callsign: HashMap<String, Vec<usize>>,
}

/// Names and call signs compare upper-case with runs of spaces folded, as AIS text is sent.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// Splits one CSV line, honouring double quotes.
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(f) = fields.last_mut() {
                    f.push('"')
                }
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            _ => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

impl Watchlist {
    /// Parses the CSV text.
    pub fn parse(text: &str) -> Result<Self, WatchlistError> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else { return Ok(Self::default()) };
        let header: Vec<String> = csv_fields(header).iter().map(|h| h.trim().to_lowercase()).collect();
        let column = |name: &str| header.iter().position(|h| h == name);
        let (Some(c_mmsi), Some(c_imo), Some(c_name), Some(c_call)) =
            (column("mmsi"), column("imo"), column("name"), column("callsign"))
        else {
            return Err(WatchlistError {
                line: 1,
                reason: "the header must name mmsi,imo,name,callsign,reason".into(),
            });
        };
        let c_reason = column("reason");
        let mut entries = Vec::new();
        for (index, line) in lines {
            let fields = csv_fields(line);
            let get = |c: usize| fields.get(c).map(|f| f.trim()).filter(|f| !f.is_empty());
            let number = |c: usize, what: &str| -> Result<Option<u32>, WatchlistError> {
                get(c)
                    .map(|v| {
                        v.parse::<u32>().map_err(|_| WatchlistError {
                            line: index + 1,
                            reason: format!("{what} `{v}` is not a number"),
                        })
                    })
                    .transpose()
            };
            let entry = WatchlistEntry {
                id: None,
                mmsi: number(c_mmsi, "mmsi")?,
                imo: number(c_imo, "imo")?,
                name: get(c_name).map(normalize),
                callsign: get(c_call).map(normalize),
                reason: c_reason.and_then(get).unwrap_or("watch-listed").to_owned(),
            };
            if entry.mmsi.is_none() && entry.imo.is_none() && entry.name.is_none() && entry.callsign.is_none() {
                return Err(WatchlistError { line: index + 1, reason: "names no mmsi, imo, name or call sign".into() });
            }
            entries.push(entry);
        }
        Ok(Self::from_entries(entries))
    }

    /// A list of entries (names and call signs are normalized here, so entries from any source
    /// match as the CSV's do). Entries naming no identifier are ignored.
    pub fn from_entries(entries: impl IntoIterator<Item = WatchlistEntry>) -> Self {
        let mut list = Self::default();
        for mut entry in entries {
            entry.name = entry.name.as_deref().map(normalize).filter(|n| !n.is_empty());
            entry.callsign = entry.callsign.as_deref().map(normalize).filter(|c| !c.is_empty());
            if entry.mmsi.is_none() && entry.imo.is_none() && entry.name.is_none() && entry.callsign.is_none() {
                continue;
            }
            let at = list.entries.len();
            if let Some(m) = entry.mmsi {
                list.by_mmsi.entry(m).or_default().push(at);
            }
            if let Some(i) = entry.imo {
                list.by_imo.entry(i).or_default().push(at);
            }
            if let Some(n) = &entry.name {
                list.by_name.entry(n.clone()).or_default().push(at);
            }
            if let Some(c) = &entry.callsign {
                list.by_callsign.entry(c.clone()).or_default().push(at);
            }
            list.entries.push(entry);
        }
        list
    }

    /// The entries, in the order given.
    pub fn entries(&self) -> &[WatchlistEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries naming this MMSI, by position in the list: the check made on every position
    /// report, so it allocates nothing.
    pub fn matching_mmsi(&self, mmsi: u32) -> impl Iterator<Item = (usize, &WatchlistEntry)> {
        self.by_mmsi.get(&mmsi).into_iter().flatten().filter_map(|&i| self.entries.get(i).map(|e| (i, e)))
    }

    /// Every entry a vessel matches, each once, with its position in the list and the first
    /// identifier (in the order MMSI, IMO number, name, call sign) it matched on.
    pub fn matches(
        &self,
        mmsi: u32,
        imo: Option<u32>,
        name: Option<&str>,
        callsign: Option<&str>,
    ) -> Vec<(usize, &WatchlistEntry, &'static str)> {
        let mut out: Vec<(usize, &WatchlistEntry, &'static str)> = Vec::new();
        let mut add = |positions: Option<&Vec<usize>>, on: &'static str| {
            for &i in positions.into_iter().flatten() {
                if let Some(entry) = self.entries.get(i)
                    && !out.iter().any(|(seen, _, _)| *seen == i)
                {
                    out.push((i, entry, on));
                }
            }
        };
        add(self.by_mmsi.get(&mmsi), "MMSI");
        if let Some(i) = imo {
            add(self.by_imo.get(&i), "IMO number");
        }
        if let Some(n) = name {
            add(self.by_name.get(&normalize(n)), "name");
        }
        if let Some(c) = callsign {
            add(self.by_callsign.get(&normalize(c)), "call sign");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_on_any_identifier_and_refuses_bad_rows() {
        let list = Watchlist::parse(
            "mmsi,imo,name,callsign,reason\n563808000,,,,\"sanctioned, 2025\"\n,9134270,,,\n,,ever  diadem,,name only\n,,,3FOF8,\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(list.len(), 4);
        let first = |hits: Vec<(usize, &WatchlistEntry, &'static str)>| hits.first().map(|h| (h.1.reason.clone(), h.2));
        assert_eq!(first(list.matches(563_808_000, None, None, None)), Some(("sanctioned, 2025".into(), "MMSI")));
        assert_eq!(first(list.matches(1, Some(9_134_270), None, None)).map(|h| h.1), Some("IMO number"));
        assert_eq!(first(list.matches(1, None, Some("EVER DIADEM"), None)).map(|h| h.1), Some("name"));
        assert_eq!(first(list.matches(1, None, None, Some("3fof8"))).map(|h| h.1), Some("call sign"));
        assert!(list.matches(1, None, Some("OTHER"), None).is_empty());
        assert!(Watchlist::parse("mmsi,imo,name,callsign,reason\nabc,,,,\n").is_err());
        assert!(Watchlist::parse("vessel,reason\n1,x\n").is_err());
        assert!(Watchlist::parse("mmsi,imo,name,callsign,reason\n,,,,why\n").is_err());
    }

    #[test]
    fn every_entry_naming_a_vessel_matches_once() {
        let entry = |id: &str, mmsi, imo, reason: &str| WatchlistEntry {
            id: Some(id.into()),
            mmsi,
            imo,
            name: None,
            callsign: None,
            reason: reason.into(),
        };
        let list = Watchlist::from_entries([
            entry("a", Some(5), None, "port A: sanctions"),
            entry("b", Some(5), Some(9_134_270), "port B: informant"),
            entry("c", Some(6), None, "other vessel"),
        ]);
        let hits = list.matches(5, Some(9_134_270), None, None);
        let ids: Vec<_> = hits.iter().map(|(_, e, on)| (e.id.as_deref(), *on)).collect();
        assert_eq!(ids, [(Some("a"), "MMSI"), (Some("b"), "MMSI")], "b matched twice but counts once");
        assert_eq!(list.matching_mmsi(5).count(), 2);
    }
}

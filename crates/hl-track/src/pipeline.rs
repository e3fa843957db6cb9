//! One line at a time: decode, give the message a time, update the track, run the detectors.

use std::collections::VecDeque;

use hl_ais::{AisMessage, Decoder, ErrorKind};
use hl_detect::{Alert, Picture};

use crate::observe::Observation;
use crate::tracks::Tracks;

/// Where a feed's times come from (a feed's `time` setting: `tag`, `reception`, `auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeSource {
    /// `tag`: recorded traffic (`analyze`, file replay, a recording pushed over a socket):
    /// NMEA 4.10 tag-block times, else the median of base stations' UTC reports; the reception
    /// time passed in is ignored, and the feed runs on the recording's clock end to end (its
    /// vessels' silences are judged on that clock, never on the wall clock).
    Recorded,
    /// `auto`: a live feed: the tag-block time when it is plausible (within
    /// [`FUTURE_SKEW_MAX_S`] ahead and a day behind reception), else the time of reception.
    #[default]
    Live,
    /// `reception`: the time of reception, whatever the tag block says.
    Reception,
}

impl TimeSource {
    /// The setting's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Recorded => "tag",
            TimeSource::Live => "auto",
            TimeSource::Reception => "reception",
        }
    }
}

/// A live tag-block time more than this ahead of reception is impossible (a receiver with a
/// wrong clock); the reception time is used instead, and the line counted.
pub const FUTURE_SKEW_MAX_S: i64 = 300;
/// A live tag-block time more than this behind reception is stale in the same way.
const PAST_SKEW_MAX_S: i64 = 24 * 3_600;

/// The largest forward step base stations may make a recording's clock take.
const BASE_STATION_STEP_MAX_S: i64 = 3_600;
/// Base-station times kept; the clock is their median.
const BASE_STATION_WINDOW: usize = 9;
/// Base-station times needed before the clock starts.
const BASE_STATION_QUORUM: usize = 5;

/// What one line did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// Not decoded, for this reason.
    Rejected(ErrorKind),
    /// A fragment now waiting for the rest of its message.
    Pending,
    /// A recorded message before any time was known: skipped.
    Untimed,
    /// A message from `mmsi`; `track_changed` when the vessel's state changed.
    Message { mmsi: u32, track_changed: bool },
}

/// Totals over every feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineCounts {
    pub messages: u64,
    pub untimed: u64,
    pub invalid_positions: u64,
    pub implausible_times: u64,
}

/// A recording's clock: tag-block times, else base stations.
#[derive(Debug, Default)]
struct RecordedClock {
    now: Option<i64>,
    stations: VecDeque<i64>,
}

impl RecordedClock {
    /// Takes what a message says about time; returns the message's time.
    fn observe(&mut self, tag_time: Option<i64>, message: &AisMessage) -> Option<i64> {
        if let Some(t) = tag_time {
            // Out-of-order tag-block times never move the clock backwards.
            self.now = Some(self.now.map_or(t, |c| c.max(t)));
            return Some(t);
        }
        if let Some(t) = base_station_time(message) {
            if self.stations.len() == BASE_STATION_WINDOW {
                self.stations.pop_front();
            }
            self.stations.push_back(t);
            if self.stations.len() >= BASE_STATION_QUORUM {
                let mut sorted: Vec<i64> = self.stations.iter().copied().collect();
                sorted.sort_unstable();
                let median = sorted[sorted.len() / 2];
                self.now = match self.now {
                    None => Some(median),
                    Some(c) if median > c && median - c <= BASE_STATION_STEP_MAX_S => Some(median),
                    other => other,
                };
            }
        }
        self.now
    }
}

/// A base station's (type 4) complete UTC time, as Unix seconds.
fn base_station_time(message: &AisMessage) -> Option<i64> {
    let AisMessage::BaseStation(m) = message else { return None };
    if m.header.message_type != 4 {
        return None;
    }
    let t = m.time;
    let date =
        jiff::civil::Date::new(i16::try_from(t.year?).ok()?, i8::try_from(t.month?).ok()?, i8::try_from(t.day?).ok()?)
            .ok()?;
    let time = jiff::civil::Time::new(
        i8::try_from(t.hour?).ok()?,
        i8::try_from(t.minute?).ok()?,
        i8::try_from(t.second?).ok()?,
        0,
    )
    .ok()?;
    let zoned = date.to_datetime(time).to_zoned(jiff::tz::TimeZone::UTC).ok()?;
    Some(zoned.timestamp().as_second())
}

/// Each feed's own decoder (fragments of different feeds never join) and clock.
#[derive(Default)]
struct Feed {
    decoder: Decoder,
    clock: RecordedClock,
    /// The time source of its latest line (a feed keeps one).
    source: TimeSource,
}

/// Feeds a pipeline keeps state for at most; a larger feed number is refused (a bug upstream).
pub const FEEDS_MAX: usize = 1_024;

/// The pipeline: per-feed decoding and clocks, one picture of detector state, optional tracks.
pub struct Pipeline {
    feeds: Vec<Feed>,
    picture: Picture,
    tracks: Option<Tracks>,
    counts: PipelineCounts,
}

impl Pipeline {
    /// A pipeline running `picture`'s detectors, keeping `tracks` when given (`analyze` needs
    /// none).
    pub fn new(picture: Picture, tracks: Option<Tracks>) -> Self {
        Self { feeds: Vec::new(), picture, tracks, counts: PipelineCounts::default() }
    }

    fn feed_state(&mut self, feed: usize) -> &mut Feed {
        assert!(feed < FEEDS_MAX, "feed number {feed} beyond FEEDS_MAX");
        if self.feeds.len() <= feed {
            self.feeds.resize_with(feed + 1, Feed::default);
        }
        &mut self.feeds[feed]
    }

    /// Feeds one line of feed number `feed`, received at `received` (Unix seconds). Alerts
    /// raised are appended to `alerts`.
    pub fn feed(
        &mut self,
        feed: usize,
        source: TimeSource,
        line: &[u8],
        received: i64,
        alerts: &mut Vec<Alert>,
    ) -> Fed {
        self.feed_state(feed);
        let Self { feeds, picture, tracks, counts } = self;
        let state = &mut feeds[feed];
        let decoded = match state.decoder.feed(line) {
            Ok(Some(d)) => d,
            Ok(None) => return Fed::Pending,
            Err(rejected) => return Fed::Rejected(rejected.kind),
        };
        let time = match source {
            TimeSource::Recorded => state.clock.observe(decoded.time, decoded.message),
            TimeSource::Live => match decoded.time {
                Some(t) if t - received <= FUTURE_SKEW_MAX_S && received - t <= PAST_SKEW_MAX_S => Some(t),
                Some(_) => {
                    counts.implausible_times += 1;
                    Some(received)
                }
                None => Some(received),
            },
            TimeSource::Reception => Some(received),
        };
        state.source = source;
        counts.messages += 1;
        let Some(time) = time else {
            counts.untimed += 1;
            return Fed::Untimed;
        };
        let message = decoded.message;
        let mmsi = message.mmsi();
        picture.heard(u16::try_from(feed).unwrap_or(u16::MAX), time);
        let observation = Observation::of(message, time);
        counts.invalid_positions += u64::from(observation.invalid_position);
        if let Some(identity) = &observation.identity {
            alerts.extend(picture.observe_static(identity));
        }
        if let Some(position) = &observation.position {
            alerts.extend(picture.observe_position(position));
        }
        let track_changed = tracks.as_mut().is_some_and(|t| t.apply(mmsi, time, &observation));
        Fed::Message { mmsi, track_changed }
    }

    /// Counts a line not fed (too long, not text), so line numbers stay right.
    pub fn skip_line(&mut self, feed: usize) {
        self.feed_state(feed).decoder.skip_line();
    }

    /// Incomplete multi-sentence messages dropped from `feed` since the last call.
    pub fn drain_dropped(&mut self, feed: usize) -> usize {
        self.feed_state(feed).decoder.drain_dropped().count()
    }

    /// A recorded feed's clock (the time of its latest timed message).
    pub fn clock(&self, feed: usize) -> Option<i64> {
        self.feeds.get(feed).and_then(|f| f.clock.now)
    }

    /// Lines fed to `feed` so far.
    pub fn lines(&self, feed: usize) -> u64 {
        self.feeds.get(feed).map_or(0, |f| f.decoder.lines())
    }

    /// Names feed number `feed` (for its alerts) and says whether its silence is reported.
    pub fn name_feed(&mut self, feed: usize, name: &str, watched: bool) {
        self.feed_state(feed);
        self.picture.name_feed(u16::try_from(feed).unwrap_or(u16::MAX), name, watched);
    }

    /// Live: feeds gone silent and vessels gone dark, each feed on its own clock: the wall
    /// clock `now` for live feeds, the recording's clock for recorded ones (a replay's vessels
    /// are never judged against the wall clock).
    pub fn sweep(&mut self, now: i64) -> Vec<Alert> {
        let mut alerts = Vec::new();
        for (index, feed) in self.feeds.iter().enumerate() {
            let clock = match feed.source {
                TimeSource::Recorded => feed.clock.now,
                TimeSource::Live | TimeSource::Reception => Some(now),
            };
            if let Some(clock) = clock {
                alerts.extend(self.picture.sweep(u16::try_from(index).unwrap_or(u16::MAX), clock));
            }
        }
        alerts
    }

    /// Recorded: the end of the data.
    pub fn finish(&mut self, now: i64) -> Vec<Alert> {
        self.picture.finish(now)
    }

    pub fn counts(&self) -> PipelineCounts {
        self.counts
    }

    pub fn picture(&self) -> &Picture {
        &self.picture
    }

    pub fn picture_mut(&mut self) -> &mut Picture {
        &mut self.picture
    }

    pub fn tracks(&self) -> Option<&Tracks> {
        self.tracks.as_ref()
    }

    pub fn tracks_mut(&mut self) -> Option<&mut Tracks> {
        self.tracks.as_mut()
    }
}

//! Progress on stderr for long jobs (`analyze`, `simulate`, `ais decode`): lines, rate and time
//! left, redrawn on one line at most four times a second, and only when stderr is a terminal, so
//! logs, pipes and tests get nothing extra.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const REDRAW_EVERY: Duration = Duration::from_millis(250);

pub struct Progress {
    what: &'static str,
    /// Bytes (or other units) to do, when known: the time left comes from it.
    total: Option<u64>,
    started: Instant,
    drawn: Option<Instant>,
    enabled: bool,
}

impl Progress {
    /// A progress line for `what` ("lines", "sentences"), drawn only on a terminal.
    pub fn new(what: &'static str, total: Option<u64>) -> Self {
        Self::with_terminal(what, total, std::io::stderr().is_terminal())
    }

    fn with_terminal(what: &'static str, total: Option<u64>, enabled: bool) -> Self {
        Self { what, total, started: Instant::now(), drawn: None, enabled }
    }

    /// `count` items done, `done` of `total` units; redrawn when due. Cheap when not.
    pub fn update(&mut self, count: u64, done: u64) {
        if !self.enabled || self.drawn.is_some_and(|at| at.elapsed() < REDRAW_EVERY) {
            return;
        }
        self.drawn = Some(Instant::now());
        let line = self.line(count, done, self.started.elapsed());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }

    fn line(&self, count: u64, done: u64, elapsed: Duration) -> String {
        let seconds = elapsed.as_secs_f64().max(1e-3);
        let rate = count as f64 / seconds;
        let mut line = format!("{count} {} ({rate:.0}/s)", self.what);
        if let Some(total) = self.total.filter(|t| *t > 0) {
            let share = (done as f64 / total as f64).clamp(0.0, 1.0);
            line.push_str(&format!(", {:.0}%", share * 100.0));
            if share > 0.0 {
                let left = seconds * (1.0 - share) / share;
                line.push_str(&format!(", {} left", clock(left)));
            }
        }
        line
    }

    /// Clears the progress line (before the summary).
    pub fn finish(&mut self) {
        if self.enabled && self.drawn.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 3_600 { format!("{}h{:02}m", s / 3_600, s % 3_600 / 60) } else { format!("{}m{:02}s", s / 60, s % 60) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_gives_count_rate_share_and_time_left() {
        let p = Progress::with_terminal("lines", Some(1_000), true);
        assert_eq!(p.line(500, 250, Duration::from_secs(10)), "500 lines (50/s), 25%, 0m30s left");
        let unknown = Progress::with_terminal("sentences", None, true);
        assert_eq!(unknown.line(7_200, 0, Duration::from_secs(3_600)), "7200 sentences (2/s)");
        assert_eq!(clock(3_725.0), "1h02m");
    }

    #[test]
    fn off_a_terminal_nothing_is_drawn() {
        let mut p = Progress::with_terminal("lines", Some(10), false);
        p.update(5, 5);
        assert!(p.drawn.is_none());
    }
}

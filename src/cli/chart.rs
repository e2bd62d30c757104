//! Backtest charts: one panel per group that fired, drawing its series over the range, the
//! rule's bound (a threshold, or the level a forecast aims at), the trend line each firing
//! saw, and fire/resolve marks. Written as plain SVG (or SVG in a small HTML page) by hand:
//! text is drawn by the viewer's fonts, so nothing needs a bundled font or a drawing crate.

use std::fmt::Write;

use chrono::DateTime;

use super::demo::group_name;
use crate::alerts::Event;
use crate::engine::backtest::{Backtest, GroupReplay};
use crate::engine::{format_value, value_unit};
use crate::rules::{Condition, Rule, Unit};

const WIDTH: f64 = 960.0;
const PANEL_HEIGHT: f64 = 240.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 28.0;

/// The chart as an SVG document.
pub fn svg(replay: &Backtest, rule: &Rule) -> String {
    let alerting: Vec<&GroupReplay> = replay
        .groups
        .iter()
        .filter(|g| g.events.iter().any(|e| e.event == Event::Fired))
        .collect();
    let panels = alerting.len().max(1);
    let height = 30.0 + panels as f64 * PANEL_HEIGHT;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<title>backtest of {} from {} to {}</title>"#,
        escape(&replay.rule),
        replay.from.format("%Y-%m-%d %H:%M"),
        replay.to.format("%Y-%m-%d %H:%M")
    );
    let _ = writeln!(
        out,
        r#"<text class="heading" x="{LEFT}" y="20" font-size="15">{} — {} notifications; groups that fired: {}</text>"#,
        escape(&replay.rule),
        replay.notifications(),
        alerting.len()
    );
    if alerting.is_empty() {
        let _ = writeln!(
            out,
            r#"<text class="quiet" x="{LEFT}" y="60">nothing would have fired in this range</text>"#
        );
    }
    for (index, group) in alerting.iter().enumerate() {
        let top = 30.0 + index as f64 * PANEL_HEIGHT;
        Panel::new(group, rule, top).draw(&mut out);
    }
    out.push_str("</svg>\n");
    out
}

/// The chart in an HTML page, for a browser.
pub fn html(replay: &Backtest, rule: &Rule) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>backtest of {}</title></head>\n<body style=\"margin:16px\">\n{}</body></html>\n",
        escape(&replay.rule),
        svg(replay, rule)
    )
}

/// The level a rule compares with, if it has one to draw.
fn bound(rule: &Rule) -> Option<f64> {
    match &rule.condition {
        Condition::Threshold(threshold) => Some(threshold.bound.value),
        Condition::Trend(trend) => trend.forecast.map(|forecast| forecast.reaches.value),
        Condition::Change(_) | Condition::Absent => None,
    }
}

/// One group's panel: its scales and what is drawn.
struct Panel<'a> {
    group: &'a GroupReplay,
    rule: &'a Rule,
    unit: Unit,
    top: f64,
    start_ms: f64,
    end_ms: f64,
    low: f64,
    high: f64,
}

impl<'a> Panel<'a> {
    fn new(group: &'a GroupReplay, rule: &'a Rule, top: f64) -> Self {
        let grid = group.series.grid;
        let values = group.series.values.iter().flatten().copied();
        let (mut low, mut high) = values
            .chain(bound(rule))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                (l.min(v), h.max(v))
            });
        if !low.is_finite() {
            (low, high) = (0.0, 1.0);
        }
        if high <= low {
            high = low + 1.0;
        }
        let margin = (high - low) * 0.05;
        // Bytes, shares and counts below zero mean nothing: keep the axis at 0 then.
        let floor = if low >= 0.0 { 0.0 } else { f64::NEG_INFINITY };
        Panel {
            group,
            rule,
            unit: value_unit(rule),
            top,
            start_ms: grid.start_ms as f64,
            end_ms: grid.end_ms as f64,
            low: (low - margin).max(floor),
            high: high + margin,
        }
    }

    fn x(&self, ms: f64) -> f64 {
        let span = (self.end_ms - self.start_ms).max(1.0);
        LEFT + (ms - self.start_ms) / span * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, value: f64) -> f64 {
        let inner = PANEL_HEIGHT - TOP - BOTTOM;
        self.top + TOP + (self.high - value) / (self.high - self.low) * inner
    }

    fn draw(&self, out: &mut String) {
        let (plot_top, plot_bottom) = (self.top + TOP, self.top + PANEL_HEIGHT - BOTTOM);
        let name = escape(&group_name(&self.group.group.0));
        let _ = writeln!(out, r#"<g class="panel" data-group="{name}">"#);
        let _ = writeln!(
            out,
            r#"<text class="group" x="{LEFT}" y="{}" font-size="13">{name}: {} notifications</text>"#,
            self.top + 22.0,
            self.group.notifications
        );
        let _ = writeln!(
            out,
            r##"<rect class="frame" x="{LEFT}" y="{plot_top}" width="{}" height="{}" fill="none" stroke="#bbb"/>"##,
            WIDTH - LEFT - RIGHT,
            plot_bottom - plot_top
        );
        for (value, y) in [(self.high, plot_top + 4.0), (self.low, plot_bottom)] {
            let _ = writeln!(
                out,
                r#"<text class="y-label" x="{}" y="{y}" text-anchor="end">{}</text>"#,
                LEFT - 6.0,
                escape(&format_value(value, self.unit))
            );
        }
        for (ms, anchor) in [(self.start_ms, "start"), (self.end_ms, "end")] {
            let label = DateTime::from_timestamp_millis(ms as i64)
                .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M").to_string());
            let _ = writeln!(
                out,
                r#"<text class="x-label" x="{}" y="{}" text-anchor="{anchor}">{label}</text>"#,
                self.x(ms),
                plot_bottom + 16.0
            );
        }
        self.draw_series(out);
        if let Some(level) = bound(self.rule) {
            let y = self.y(level);
            let _ = writeln!(
                out,
                r##"<line class="bound" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#d62728" stroke-dasharray="6 4"/>"##,
                WIDTH - RIGHT
            );
        }
        self.draw_events(out, plot_top, plot_bottom);
        out.push_str("</g>\n");
    }

    /// The series as polylines, broken where buckets have no data.
    fn draw_series(&self, out: &mut String) {
        let grid = self.group.series.grid;
        let half = grid.bucket_ms as f64 / 2.0;
        let mut run: Vec<String> = Vec::new();
        let mut flush = |run: &mut Vec<String>| {
            if run.len() > 1 {
                let _ = writeln!(
                    out,
                    r##"<polyline class="series" fill="none" stroke="#1f77b4" stroke-width="1.2" points="{}"/>"##,
                    run.join(" ")
                );
            }
            run.clear();
        };
        for (index, value) in self.group.series.values.iter().enumerate() {
            match value {
                Some(value) => {
                    let ms = grid.timestamp_of(index) as f64 + half;
                    run.push(format!("{:.1},{:.1}", self.x(ms), self.y(*value)));
                }
                None => flush(&mut run),
            }
        }
        flush(&mut run);
    }

    /// Fire and resolve marks, and at each firing the trend line the rule saw.
    fn draw_events(&self, out: &mut String, plot_top: f64, plot_bottom: f64) {
        let span_ms = self.rule.lookback.as_millis_i64() as f64;
        for event in &self.group.events {
            let (class, colour) = match event.event {
                Event::Fired => ("fired", "#d62728"),
                Event::Resolved { .. } => ("resolved", "#2ca02c"),
                _ => continue,
            };
            let at = event.at.timestamp_millis() as f64;
            let x = self.x(at);
            let _ = writeln!(
                out,
                r#"<line class="{class}" x1="{x:.1}" x2="{x:.1}" y1="{plot_top}" y2="{plot_bottom}" stroke="{colour}" stroke-width="1.5"><title>{class} {}: {}</title></line>"#,
                event.at.format("%Y-%m-%d %H:%M"),
                escape(&event.verdict.explanation)
            );
            if let (Event::Fired, Some(slope), Some(value)) = (
                event.event,
                event.verdict.slope_per_second,
                event.verdict.value,
            ) {
                let start = (at - span_ms).max(self.start_ms);
                let value_at = |ms: f64| value + slope * (ms - at) / 1000.0;
                let _ = writeln!(
                    out,
                    r##"<line class="trend" x1="{:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#ff7f0e" stroke-width="2"/>"##,
                    self.x(start),
                    self.y(value_at(start)),
                    self.y(value)
                );
            }
        }
    }
}

/// Escapes text for XML content and attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(escape(r#"a < b & "c""#), "a &lt; b &amp; &quot;c&quot;");
    }
}

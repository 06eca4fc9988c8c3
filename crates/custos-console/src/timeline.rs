//! The designations' schedule drawn as a timeline: one bar a designation, from the day it takes
//! effect to the day it ends (to the edge when it has no end), its determination marked, and
//! today as a line. Inline SVG with classes the stylesheet colours: no script, no inline style.

use chrono::{Datelike, NaiveDate};
use custos_app::designations::{DesignationStatus, DesignationView};

/// The drawing's width and the room on the left for names, in SVG units.
const WIDTH: f64 = 900.0;
const LEFT: f64 = 190.0;
const ROW: f64 = 26.0;
const TOP: f64 = 28.0;

#[derive(Debug, PartialEq)]
pub struct Bar {
    pub id: String,
    /// The id, shortened to fit beside the bar.
    pub label: String,
    pub y: f64,
    pub x: f64,
    pub w: f64,
    /// `in-force`, `scheduled` or `expired`.
    pub class: &'static str,
    /// The text a pointer shows (and a screen reader reads).
    pub title: String,
    /// Where the determination falls, when it is known and before the bar.
    pub determined_x: Option<f64>,
    /// The bar runs on past an edge of the drawing (no end, after it, or from before it).
    pub open: bool,
}

#[derive(Debug, PartialEq)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

#[derive(Debug, PartialEq)]
pub struct Timeline {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub bars: Vec<Bar>,
    pub ticks: Vec<Tick>,
    pub today_x: f64,
    pub from: String,
    pub to: String,
}

/// The first day of the month after `d`'s.
fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// How far the drawing reaches back and ahead of today: a designation wholly outside is
/// left to the list below it, one that runs past an edge is drawn to the edge, open.
const BACK_DAYS: i64 = 2 * 365;
const AHEAD_DAYS: i64 = 3 * 365;
/// The longest id drawn in full beside its bar.
const LABEL_CHARS: usize = 26;

/// The timeline of `views` as of `today`; none when there is nothing to draw.
pub fn draw(views: &[DesignationView], today: NaiveDate) -> Option<Timeline> {
    let (edge_back, edge_ahead) = (
        today - chrono::Duration::days(BACK_DAYS),
        today + chrono::Duration::days(AHEAD_DAYS),
    );
    let views: Vec<&DesignationView> = views
        .iter()
        .filter(|v| v.ends.is_none_or(|e| e >= edge_back) && v.designation.effective <= edge_ahead)
        .collect();
    if views.is_empty() {
        return None;
    }
    // From a month before the earliest date (or today) to a month after the latest known end
    // (or three months after today), so that today and every start are on the drawing; never
    // further than the edges.
    let mut first = today;
    let mut last = today + chrono::Duration::days(90);
    for v in &views {
        let d = &v.designation;
        first = first.min(d.effective);
        if let Some(x) = d.determined {
            first = first.min(x);
        }
        last = last.max(d.effective + chrono::Duration::days(30));
        if let Some(e) = v.ends {
            last = last.max(e);
        }
    }
    let first = (first - chrono::Duration::days(30)).max(edge_back);
    let first = first.with_day(1).unwrap_or(first);
    let last = next_month(last.min(edge_ahead));
    let span = (last - first).num_days().max(1) as f64;
    let x = |d: NaiveDate| LEFT + (WIDTH - LEFT - 10.0) * ((d - first).num_days() as f64 / span);
    let round = |v: f64| (v * 10.0).round() / 10.0;

    let mut bars = Vec::with_capacity(views.len());
    for (i, v) in views.iter().enumerate() {
        let d = &v.designation;
        let start = x(d.effective.max(first));
        let (end, open) = match v.ends {
            Some(e) if e <= last => (x(e), false),
            _ => (x(last), true),
        };
        let subject = match &d.subject {
            custos_app::designations::DesignationSubject::Jurisdiction { country } => {
                format!("jurisdiction {country}")
            }
            custos_app::designations::DesignationSubject::Person { name, .. } => {
                format!("person {name}")
            }
        };
        let (class, state) = match v.status {
            DesignationStatus::InForce => ("in-force", "in force"),
            DesignationStatus::Scheduled => ("scheduled", "scheduled"),
            DesignationStatus::Expired => ("expired", "expired"),
        };
        bars.push(Bar {
            label: if d.id.chars().count() > LABEL_CHARS {
                format!(
                    "{}…",
                    d.id.chars().take(LABEL_CHARS - 1).collect::<String>()
                )
            } else {
                d.id.clone()
            },
            id: d.id.clone(),
            y: round(TOP + ROW * i as f64),
            x: round(start),
            w: round((end - start).max(2.0)),
            class,
            title: format!(
                "{}: {subject}, {state}, from {}{}",
                d.id,
                d.effective,
                v.ends.map(|e| format!(" until {e}")).unwrap_or_default()
            ),
            determined_x: d
                .determined
                .filter(|t| *t < d.effective && *t >= first)
                .map(|t| round(x(t))),
            open: open || d.effective < first,
        });
    }
    // A tick at the first of each month, thinned to at most a dozen labels.
    let mut months = vec![];
    let mut m = next_month(first - chrono::Duration::days(1));
    while m <= last {
        months.push(m);
        m = next_month(m);
    }
    let step = months.len().div_ceil(12).max(1);
    let ticks = months
        .iter()
        .step_by(step)
        .map(|m| Tick {
            x: round(x(*m)),
            label: m.format("%b %Y").to_string(),
        })
        .collect();
    Some(Timeline {
        width: WIDTH,
        height: TOP + ROW * views.len() as f64 + 18.0,
        left: LEFT,
        bars,
        ticks,
        today_x: round(x(today)),
        from: first.to_string(),
        to: last.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_app::designations::{Designation, DesignationSubject, Measure};

    fn view(
        id: &str,
        effective: &str,
        ends: Option<&str>,
        s: DesignationStatus,
    ) -> DesignationView {
        let day = |x: &str| NaiveDate::parse_from_str(x, "%Y-%m-%d").unwrap();
        DesignationView {
            list: "designations".into(),
            designation: Designation {
                id: id.into(),
                subject: DesignationSubject::Jurisdiction {
                    country: "KP".into(),
                },
                measure: Measure::Prohibition,
                conditions: vec![],
                determined: Some(day(effective) - chrono::Duration::days(30)),
                effective: day(effective),
                expires: ends.map(day),
                extensions: vec![],
                reference: "89 FR 1".into(),
                entered: true,
            },
            status: s,
            ends: ends.map(day),
            lead_days: Some(30),
            lead_ok: Some(true),
            open_cases: 0,
            confirmed_cases: 0,
        }
    }

    #[test]
    fn nothing_to_draw_without_designations() {
        assert_eq!(
            draw(&[], NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            None
        );
    }

    #[test]
    fn bars_follow_their_dates_and_today_lies_between() {
        let today = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let t = draw(
            &[
                view(
                    "d1",
                    "2027-01-01",
                    Some("2027-02-01"),
                    DesignationStatus::Expired,
                ),
                view("d2", "2027-02-15", None, DesignationStatus::InForce),
                view(
                    "d3",
                    "2027-04-01",
                    Some("2027-10-01"),
                    DesignationStatus::Scheduled,
                ),
            ],
            today,
        )
        .unwrap();
        let [d1, d2, d3] = &t.bars[..] else {
            panic!("three bars")
        };
        assert!(d1.x < d2.x && d2.x < d3.x, "{t:?}");
        assert!(d1.x + d1.w < t.today_x && d2.x < t.today_x && t.today_x < d3.x);
        assert!(d2.open && !d1.open && !d3.open);
        assert_eq!(
            (d1.class, d2.class, d3.class),
            ("expired", "in-force", "scheduled")
        );
        assert!(d1.determined_x.is_some_and(|x| x < d1.x));
        // Every bar is inside the drawing, and the last tick too.
        for b in &t.bars {
            assert!(b.x >= t.left && b.x + b.w <= t.width, "{b:?}");
        }
        assert!(t.ticks.iter().all(|k| k.x >= t.left && k.x <= t.width));
        assert!(t.ticks.len() <= 13 && !t.ticks.is_empty());
        assert!(t.bars[2].title.contains("until 2027-10-01"));
    }

    #[test]
    fn the_drawing_stays_near_today_whatever_the_dates() {
        let today = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let t = draw(
            &[
                view(
                    "past",
                    "1990-01-01",
                    Some("1991-01-01"),
                    DesignationStatus::Expired,
                ),
                view(
                    "far",
                    "2100-01-01",
                    Some("2101-01-01"),
                    DesignationStatus::Scheduled,
                ),
                view(
                    "now",
                    "2027-01-01",
                    Some("2028-01-01"),
                    DesignationStatus::InForce,
                ),
                view(
                    "a-designation-with-a-very-long-identifier-indeed",
                    "2020-01-01",
                    Some("2040-01-01"),
                    DesignationStatus::InForce,
                ),
            ],
            today,
        )
        .unwrap();
        // Those wholly outside are left to the list; the others are wide enough to read.
        let ids: Vec<&str> = t.bars.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(
            ids,
            ["now", "a-designation-with-a-very-long-identifier-indeed"]
        );
        assert!(t.bars[0].w > 100.0, "{t:?}");
        assert!(
            t.from.as_str() >= "2025-01-01" && t.to.as_str() <= "2030-04-01",
            "{t:?}"
        );
        assert!(t.bars[1].open && t.bars[1].x == t.left);
        assert!(t.bars[1].label.chars().count() <= 26 && t.bars[1].label.ends_with('…'));
    }

    #[test]
    fn a_long_schedule_keeps_a_dozen_labels() {
        let today = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let t = draw(
            &[view(
                "d",
                "2020-01-01",
                Some("2035-01-01"),
                DesignationStatus::InForce,
            )],
            today,
        )
        .unwrap();
        assert!(t.ticks.len() <= 13, "{}", t.ticks.len());
    }
}

//! JSON output: strings, and the watch's notice lines.

use imds::Notice;
use imds::parse::{MaintenanceEvent, SpotActionKind, Timestamp};

/// `text` as a JSON string, quoted and escaped.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn time(t: Timestamp) -> String {
    json_string(&t.to_string())
}

fn optional(text: Option<String>) -> String {
    text.map_or_else(|| "null".to_owned(), |t| json_string(&t))
}

/// One line per notice: `{"kind":"spot-interruption","action":"terminate","time":"…"}`,
/// `{"kind":"rebalance","time":"…"}`, `{"kind":"maintenance","events":[…]}`.
pub fn notice(notice: &Notice<'_>) -> String {
    match notice {
        Notice::Spot(spot) => {
            let action = match spot.kind {
                SpotActionKind::Terminate => "terminate".to_owned(),
                SpotActionKind::Stop => "stop".to_owned(),
                SpotActionKind::Hibernate => "hibernate".to_owned(),
                _ => spot.action.to_string(),
            };
            format!(
                "{{\"kind\":\"spot-interruption\",\"action\":{},\"time\":{}}}\n",
                json_string(&action),
                time(spot.time)
            )
        }
        Notice::Rebalance(rebalance) => {
            format!("{{\"kind\":\"rebalance\",\"time\":{}}}\n", time(rebalance.notice_time))
        }
        Notice::Maintenance(events) => {
            let events: Vec<String> = events.iter().map(|e| event(&e)).collect();
            format!("{{\"kind\":\"maintenance\",\"events\":[{}]}}\n", events.join(","))
        }
    }
}

fn event(e: &MaintenanceEvent<'_>) -> String {
    format!(
        "{{\"code\":{},\"event_id\":{},\"description\":{},\"state\":{},\"not_before\":{},\"not_after\":{},\"not_before_deadline\":{}}}",
        json_string(&e.code.to_string()),
        optional(e.event_id.map(|s| s.to_string())),
        optional(e.description.map(|s| s.to_string())),
        optional(e.state.map(|s| s.to_string())),
        time(e.not_before),
        optional(e.not_after.map(|t| t.to_string())),
        optional(e.not_before_deadline.map(|t| t.to_string())),
    )
}

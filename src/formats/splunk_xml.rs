//! Splunk's XML export (`<results><result offset='0'><field k='_raw'><v>…</v></field>…`): each
//! `<result>` is a record, its raw bytes the element as written; its fields become the same
//! object a JSON export holds, then read like one (`wrapped::unwrap`).

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

use super::{Format, FormatOptions, Normalize, Sample};

pub struct SplunkXml;

impl Format for SplunkXml {
    fn name(&self) -> &'static str {
        "splunk_xml"
    }

    /// Recognized by its opening tag before any framing (`is_export`), never by a record.
    fn detect(&self, _sample: &Sample) -> u8 {
        0
    }

    fn wraps(&self) -> bool {
        true
    }

    fn parse_raw(&self, bytes: &[u8]) -> Option<Result<Value, String>> {
        Some(result_to_json(bytes))
    }

    fn normalizer(&self, _sample: &Sample, _options: &FormatOptions) -> Box<dyn Normalize> {
        Box::new(super::wrapped::Unread)
    }
}

/// Whether a file starting with `head` is a Splunk XML export.
pub fn is_export(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
    let body = text.trim_start();
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r).trim_start(),
        None => body,
    };
    body.starts_with("<results")
}

/// The byte spans of every `<result>` element in an export, and the reasons of what could not
/// be read (an XML error ends the reading: what came before it is kept).
pub fn result_spans(bytes: &[u8]) -> (Vec<(usize, usize)>, Option<String>) {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    let mut start: Option<usize> = None;
    let mut depth = 0usize;
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                return (
                    spans,
                    Some(format!("the XML is not well-formed at byte {before}: {e}")),
                )
            }
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth == 2 && e.local_name().as_ref() == "result" {
                    start = Some(before);
                }
            }
            Event::End(e) => {
                if depth == 2 && e.local_name().as_ref() == "result" {
                    if let Some(s) = start.take() {
                        spans.push((s, reader.buffer_position() as usize));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    (spans, None)
}

/// One `<result>` as `{field: value}`: `_raw` from its `<v>`, other fields from `<value><text>`
/// (several values as an array).
pub fn result_to_json(bytes: &[u8]) -> Result<Value, String> {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut fields: Map<String, Value> = Map::new();
    let mut key: Option<String> = None;
    let mut text: Option<String> = None;
    let mut values: Vec<String> = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("the result is not well-formed XML: {e}"))?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "field" => {
                    key = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == "k")
                        .map(|a| a.value.to_string());
                    values.clear();
                }
                "v" | "text" => text = Some(String::new()),
                _ => {}
            },
            Event::Text(t) => {
                if let Some(s) = text.as_mut() {
                    s.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(s) = text.as_mut() {
                    s.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(s) = text.as_mut() {
                    let name = r.xml10_content();
                    if let Ok(c) = quick_xml::escape::unescape(&format!("&{name};")) {
                        s.push_str(&c);
                    }
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "v" | "text" => values.extend(text.take()),
                "field" => {
                    if let Some(k) = key.take() {
                        let value = match values.len() {
                            1 => Value::String(values.remove(0)),
                            _ => Value::Array(values.drain(..).map(Value::String).collect()),
                        };
                        fields.insert(k, value);
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if fields.is_empty() {
        return Err("the result holds no fields".to_string());
    }
    Ok(Value::Object(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = "<?xml version='1.0' encoding='UTF-8'?>\n<results preview='0'>\n<meta><fieldOrder><field>_raw</field></fieldOrder></meta>\n\t<result offset='0'>\n\t\t<field k='_raw'><v xml:space='preserve' trunc='0'>Jan  1 00:00:03 h sshd[1]: Failed password for root from 198.51.100.23 port 1 ssh2 &amp; more</v></field>\n\t\t<field k='_time'><value><text>2025-01-01T00:00:03.000+00:00</text></value></field>\n\t\t<field k='tag'><value><text>a</text></value><value><text>b</text></value></field>\n\t</result>\n<result offset='1'><field k='_raw'><v>x</v></field></result>\n</results>\n";

    #[test]
    fn results_are_framed_and_read_as_the_json_export_holds_them() {
        assert!(is_export(EXPORT.as_bytes()));
        assert!(!is_export(b"{\"result\":{}}"));
        let (spans, error) = result_spans(EXPORT.as_bytes());
        assert_eq!(error, None);
        assert_eq!(spans.len(), 2);
        let first = &EXPORT.as_bytes()[spans[0].0..spans[0].1];
        assert!(first.starts_with(b"<result offset='0'>") && first.ends_with(b"</result>"));
        let v = result_to_json(first).unwrap();
        assert_eq!(v["_raw"], "Jan  1 00:00:03 h sshd[1]: Failed password for root from 198.51.100.23 port 1 ssh2 & more");
        assert_eq!(v["_time"], "2025-01-01T00:00:03.000+00:00");
        assert_eq!(v["tag"], serde_json::json!(["a", "b"]));
        let (spans, error) =
            result_spans(b"<results><result><field k='_raw'><v>x</v></field></result><result>");
        assert_eq!(spans.len(), 1);
        assert!(error.is_some() || spans.len() == 1);
    }
}

//! Windows events as Splunk hands them over: the XML rendering (`XmlWinEventLog:*`) and the
//! classic text rendering (`WinEventLog:*`). Both become the JSON the Windows normalizer reads, so
//! an event exported through Splunk is read as the same event from an EVTX file or Winlogbeat.
//!
//! XML follows the `evtx` crate's JSON shape (`Event.System.*`, attributes under `#attributes`,
//! `<Data Name="X">v</Data>` as `EventData.X`); the classic rendering's `Key=Value` header and the
//! labelled lines of its message are mapped to EventData names (`Account Name` under `New Logon:`
//! is `TargetUserName`).

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

/// The XML rendering of one event as JSON, or why it is not one.
pub fn xml_to_json(text: &str) -> Result<Value, String> {
    let mut reader = Reader::from_str(text);
    // The open elements: name, attributes, children, text.
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("XML event is not well-formed: {e}"))?;
        match event {
            Event::Start(e) if root.is_none() => stack.push(open(&e)),
            Event::Empty(e) if root.is_none() => {
                stack.push(open(&e));
                close(&mut stack, &mut root);
            }
            Event::End(_) => close(&mut stack, &mut root),
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.3.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.3.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let resolved = quick_xml::escape::unescape(&format!("&{name};"))
                    .map(|c| c.into_owned())
                    .unwrap_or_default();
                if let Some(top) = stack.last_mut() {
                    top.3.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if stack.len() > 64 {
            return Err("XML event nested deeper than 64 elements".to_string());
        }
    }
    match root {
        Some((name, value)) if name == "Event" => {
            Ok(Value::Object(Map::from_iter([(name, value)])))
        }
        _ => Err("XML is not a Windows <Event>".to_string()),
    }
}

type Open = (String, Map<String, Value>, Map<String, Value>, String);

/// An element just opened: its name and attributes, no children or text yet.
fn open(e: &quick_xml::events::BytesStart) -> Open {
    let name = e.local_name().as_ref().to_string();
    let mut attrs = Map::new();
    for a in e.attributes().flatten() {
        let key = a.key.local_name().as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_default();
        attrs.insert(key, Value::String(value));
    }
    (name, attrs, Map::new(), String::new())
}

fn close(stack: &mut Vec<Open>, root: &mut Option<(String, Value)>) {
    let Some((name, attrs, children, text)) = stack.pop() else {
        return;
    };
    let text = text.trim().to_string();
    let value = if children.is_empty() && attrs.is_empty() {
        Value::String(text.clone())
    } else {
        let mut m = children;
        if !attrs.is_empty() {
            m.insert("#attributes".to_string(), Value::Object(attrs.clone()));
        }
        if !text.is_empty() {
            m.insert("#text".to_string(), Value::String(text.clone()));
        }
        Value::Object(m)
    };
    let Some(parent) = stack.last_mut() else {
        *root = Some((name, value));
        return;
    };
    // `<Data Name="X">v</Data>` is EventData's field X, as the evtx crate renders it.
    let data_name = (name == "Data")
        .then(|| {
            attrs
                .get("Name")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .flatten();
    let (key, value) = match data_name {
        Some(n) => (n, Value::String(text)),
        None => (name, value),
    };
    match parent.2.get_mut(&key) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            parent.2.insert(key, value);
        }
    }
}

/// Labels of the classic rendering's message, by the section they are in, as EventData names.
fn data_name(section: &str, label: &str) -> Option<&'static str> {
    let target = matches!(
        section,
        "New Logon"
            | "Account For Which Logon Failed"
            | "Target Account"
            | "Account Whose Credentials Were Used"
            | "Logon Account"
            | "Member"
            | "Group"
    );
    let name = match (label, target) {
        ("Security ID", false) => "SubjectUserSid",
        ("Security ID", true) => "TargetUserSid",
        ("Account Name", false) => "SubjectUserName",
        ("Account Name", true) => "TargetUserName",
        ("Account Domain", false) => "SubjectDomainName",
        ("Account Domain", true) => "TargetDomainName",
        ("Logon ID", false) => "SubjectLogonId",
        ("Logon ID", true) => "TargetLogonId",
        ("Logon Type", _) => "LogonType",
        ("Source Network Address", _) => "IpAddress",
        ("Source Port", _) => "IpPort",
        ("Workstation Name", _) => "WorkstationName",
        ("Process Name", _) => "ProcessName",
        ("New Process Name", _) => "NewProcessName",
        ("Process Command Line", _) => "CommandLine",
        ("Failure Reason", _) => "FailureReason",
        ("Status", _) => "Status",
        ("Sub Status", _) => "SubStatus",
        ("Logon Process", _) => "LogonProcessName",
        ("Authentication Package", _) => "AuthenticationPackageName",
        ("Group Name", _) => "TargetUserName",
        ("Group Domain", _) => "TargetDomainName",
        ("Service Name", _) => "ServiceName",
        ("Object Name", _) => "ObjectName",
        _ => return None,
    };
    Some(name)
}

/// The classic text rendering (`LogName=Security`, `EventCode=4624`, …, `Message=…`) as the flat
/// JSON the Windows normalizer reads; `None` when the text has no `EventCode=`.
pub fn classic_to_json(text: &str) -> Option<Value> {
    let mut m = Map::new();
    let mut lines = text.lines();
    let mut section = String::new();
    let mut in_message = false;
    let mut message = Vec::new();
    if let Some(first) = lines.next() {
        if !first.contains('=') {
            m.insert(
                "TimeCreated".to_string(),
                Value::String(first.trim().to_string()),
            );
        } else {
            header(first, &mut m, &mut in_message, &mut message);
        }
    }
    for line in lines {
        if !in_message {
            header(line, &mut m, &mut in_message, &mut message);
            continue;
        }
        message.push(line.trim_end().to_string());
        let trimmed = line.trim();
        if let Some(s) = trimmed.strip_suffix(':') {
            section = s.to_string();
        } else if let Some((label, value)) = trimmed.split_once(':') {
            let value = value.trim();
            if let Some(name) = data_name(section.trim(), label.trim()) {
                if !value.is_empty() {
                    m.entry(name.to_string())
                        .or_insert_with(|| Value::String(value.to_string()));
                }
            }
        }
    }
    let code = m.remove("EventCode")?;
    let id = code.as_str().and_then(|c| c.parse::<u64>().ok())?;
    m.insert("EventID".to_string(), Value::from(id));
    for (from, to) in [
        ("LogName", "Channel"),
        ("ComputerName", "Computer"),
        ("RecordNumber", "EventRecordID"),
    ] {
        if let Some(v) = m.remove(from) {
            m.insert(to.to_string(), v);
        }
    }
    if !message.is_empty() {
        m.insert(
            "Message".to_string(),
            Value::String(message.join("\n").trim().to_string()),
        );
    }
    Some(Value::Object(m))
}

fn header(
    line: &str,
    m: &mut Map<String, Value>,
    in_message: &mut bool,
    message: &mut Vec<String>,
) {
    let Some((key, value)) = line.split_once('=') else {
        return;
    };
    if key == "Message" {
        *in_message = true;
        message.push(value.to_string());
        return;
    }
    if !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        m.insert(key.to_string(), Value::String(value.trim().to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xml_rendering_reads_as_the_evtx_crate_renders_it() {
        let xml = r#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625}'/><EventID>4625</EventID><TimeCreated SystemTime='2024-05-01T10:00:00.1234567Z'/><EventRecordID>42</EventRecordID><Channel>Security</Channel><Computer>DC01</Computer></System><EventData><Data Name='TargetUserName'>bob &amp; co</Data><Data Name='IpAddress'>203.0.113.9</Data></EventData></Event>"#;
        let v = xml_to_json(xml).unwrap();
        assert_eq!(v["Event"]["System"]["EventID"], "4625");
        assert_eq!(
            v["Event"]["System"]["Provider"]["#attributes"]["Name"],
            "Microsoft-Windows-Security-Auditing"
        );
        assert_eq!(
            v["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"],
            "2024-05-01T10:00:00.1234567Z"
        );
        assert_eq!(v["Event"]["EventData"]["TargetUserName"], "bob & co");
        assert!(xml_to_json("<Other/>").is_err());
        assert!(
            xml_to_json("<Event><System>").is_err(),
            "an unclosed event is not one"
        );
    }

    #[test]
    fn the_classic_rendering_maps_labels_by_their_section() {
        let text = "05/01/2024 10:00:00 AM\nLogName=Security\nEventCode=4625\nComputerName=DC01\nRecordNumber=42\nMessage=An account failed to log on.\n\nSubject:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\t-\n\nAccount For Which Logon Failed:\n\tAccount Name:\t\tbob\n\tAccount Domain:\t\tCORP\n\nNetwork Information:\n\tSource Network Address:\t203.0.113.9\n";
        let v = classic_to_json(text).unwrap();
        assert_eq!(v["EventID"], 4625);
        assert_eq!(v["Channel"], "Security");
        assert_eq!(v["Computer"], "DC01");
        assert_eq!(v["EventRecordID"], "42");
        assert_eq!(v["TargetUserName"], "bob");
        assert_eq!(v["TargetDomainName"], "CORP");
        assert_eq!(v["SubjectUserName"], "-");
        assert_eq!(v["IpAddress"], "203.0.113.9");
        assert!(classic_to_json("no event here").is_none());
    }
}

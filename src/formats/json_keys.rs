//! JSON records parsed into `serde_json::Value` exactly as `serde_json` does (the last of two
//! equal keys wins), noting the first key an object holds twice. A record with a key twice says
//! two things at once, and which one a consumer believes depends on its parser: the event is
//! flagged `duplicate_keys` and the raw record keeps both. Written as a seed over serde_json's
//! own deserializer (same recursion limit, same numbers); `Map::insert` returning the replaced
//! value tells a duplicate at no extra lookup.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// Parses `bytes` as one JSON value; also returns the first key found twice in an object.
pub fn from_slice(bytes: &[u8]) -> serde_json::Result<(Value, Option<String>)> {
    let first = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Noting { first: &first }.deserialize(&mut de)?;
    de.end()?;
    Ok((value, first.into_inner()))
}

#[derive(Clone, Copy)]
struct Noting<'a> {
    first: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Noting<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Noting<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            // Through the entry, a key is copied only when it is a duplicate: copying every key
            // made parsing the bench's CloudTrail records 6% slower than serde_json's own
            // parse, against 2% this way.
            match out.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(mut slot) => {
                    slot.insert(value);
                    let mut first = self.first.borrow_mut();
                    if first.is_none() {
                        *first = Some(slot.key().clone());
                    }
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_as_serde_json_does_and_names_a_repeated_key() {
        for text in [
            r#"{"a":1,"b":[1.5,-2,"x",null,true,{"c":18446744073709551615}]}"#,
            r#"{"a":{"b":{"c":[]}},"e":"\u00e9\n"}"#,
        ] {
            let (v, dup) = from_slice(text.as_bytes()).unwrap();
            assert_eq!(v, serde_json::from_str::<Value>(text).unwrap());
            assert_eq!(dup, None);
        }
        let text = r#"{"user":"alice","inner":{"ok":1,"ok":2},"user":"mallory"}"#;
        let (v, dup) = from_slice(text.as_bytes()).unwrap();
        assert_eq!(
            v,
            serde_json::from_str::<Value>(text).unwrap(),
            "the last wins"
        );
        assert_eq!(dup.as_deref(), Some("ok"));
        assert!(from_slice(b"{\"a\":1} x").is_err());
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(
            from_slice(deep.as_bytes()).is_err(),
            "the recursion limit holds"
        );
    }
}

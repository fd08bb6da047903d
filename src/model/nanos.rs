//! Nanosecond times as decimal strings on the wire.
//!
//! JavaScript numbers hold integers exactly only up to 2^53; a UTC nanosecond count of today is
//! about 2^61, so as a JSON number it would reach the window rounded to 256 ns steps (EVTX times
//! have 100 ns digits). Every `i64` nanosecond field that crosses into the window is written as a
//! string; reading accepts a string or a number, so JSON stored by earlier versions still loads.

use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

pub fn serialize<S: Serializer>(nanos: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(nanos)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(NanosVisitor)
}

struct NanosVisitor;

impl Visitor<'_> for NanosVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("nanoseconds as a decimal string or an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} nanoseconds is out of range")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // Only whole numbers an older window could have sent; never a fraction.
        if v.fract() == 0.0 && v.abs() < 9.2e18 {
            Ok(v as i64)
        } else {
            Err(E::custom(format!(
                "{v} is not a whole number of nanoseconds"
            )))
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom(format!("{v:?} is not a whole number of nanoseconds")))
    }
}

/// The same for `Option<i64>`: `null` stays `null`.
pub mod option {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(nanos: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match nanos {
            Some(n) => s.collect_str(n),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super")] i64);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(n)| n))
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct T {
        #[serde(with = "super")]
        at: i64,
        #[serde(with = "super::option", default)]
        from: Option<i64>,
    }

    #[test]
    fn nanos_cross_as_exact_strings_and_read_back_from_either_form() {
        // 2019-03-19T23:34:25.6767385Z: above 2^53, with 100 ns digits a double would lose.
        let t = T {
            at: 1_553_038_465_676_738_500,
            from: Some(-1),
        };
        let text = serde_json::to_string(&t).expect("serializes");
        assert_eq!(text, r#"{"at":"1553038465676738500","from":"-1"}"#);
        assert_eq!(serde_json::from_str::<T>(&text).expect("reads"), t);
        let old: T =
            serde_json::from_str(r#"{"at":1553038465676738500,"from":null}"#).expect("reads");
        assert_eq!(old.at, 1_553_038_465_676_738_500);
        assert_eq!(old.from, None);
        let missing: T = serde_json::from_str(r#"{"at":"5"}"#).expect("reads");
        assert_eq!(missing.from, None);
        assert!(serde_json::from_str::<T>(r#"{"at":"5.5"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"at":1.5}"#).is_err());
    }
}

//! CloudTrail digest signatures: the public keys `aws cloudtrail list-public-keys` prints, the
//! string AWS signs for each digest, and the SHA256withRSA (PKCS#1 v1.5) check.

use base64::Engine;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde_json::Value;
use sha2::Sha256;

use super::digest::Digest;
use crate::formats::value::text;

/// A public key from `aws cloudtrail list-public-keys`.
pub struct PublicKey {
    pub(super) fingerprint: Option<String>,
    key: RsaPublicKey,
}

/// Reads the JSON `aws cloudtrail list-public-keys` prints.
pub fn parse_public_keys(json: &str) -> Result<Vec<PublicKey>, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    let list = v
        .get("PublicKeyList")
        .and_then(Value::as_array)
        .ok_or("no PublicKeyList array")?;
    let mut keys = Vec::new();
    for (i, k) in list.iter().enumerate() {
        let value = text(k, "Value").ok_or(format!("key {i} has no Value"))?;
        let der = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|e| format!("key {i}: Value is not base64: {e}"))?;
        let key = RsaPublicKey::from_pkcs1_der(&der)
            .or_else(|_| RsaPublicKey::from_public_key_der(&der))
            .map_err(|e| format!("key {i}: not an RSA public key: {e}"))?;
        keys.push(PublicKey {
            fingerprint: text(k, "Fingerprint").map(|f| f.to_ascii_lowercase()),
            key,
        });
    }
    Ok(keys)
}

/// The string AWS signs for a digest (CloudTrail User Guide, "Validating digest files").
pub fn signing_string(
    end: &str,
    bucket: &str,
    key: &str,
    sha256_hex: &str,
    previous_signature: Option<&str>,
) -> String {
    format!(
        "{end}\n{bucket}/{key}\n{sha256_hex}\n{}",
        previous_signature.unwrap_or("null")
    )
}

pub(super) fn signature_ok(d: &Digest, hex: &str, keys: &[PublicKey]) -> bool {
    let Some(bytes) = crate::bundle::unhex(hex) else {
        return false;
    };
    let Ok(signature) = Signature::try_from(bytes.as_slice()) else {
        return false;
    };
    let data = signing_string(
        &d.end_text,
        &d.bucket,
        &d.key,
        &d.sha256,
        d.previous_signature.as_deref(),
    );
    let matching: Vec<&PublicKey> = keys
        .iter()
        .filter(|k| k.fingerprint.is_some() && k.fingerprint == d.fingerprint)
        .collect();
    let candidates: Vec<&PublicKey> = if matching.is_empty() {
        keys.iter().collect()
    } else {
        matching
    };
    candidates.iter().any(|k| {
        VerifyingKey::<Sha256>::new(k.key.clone())
            .verify(data.as_bytes(), &signature)
            .is_ok()
    })
}

//! The local stack as a development identity provider (SPEC §8, `jwt`
//! mode): an ES256 signing key made at start (tokens end with a restart),
//! its public key as a JWKS, tokens for any user, and verification exactly
//! as API Gateway's JWT authorizer does it — the key by `kid`, an
//! allow-list of asymmetric algorithms, `iss`, `aud`, `exp`, `nbf` — by
//! the maintained `jsonwebtoken` crate. Never part of the template.

use crate::Error;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Signature algorithms an identity token may use: asymmetric only (an
/// HS256 token "signed" with the public key, or `none`, never passes).
const ALLOWED: [Algorithm; 2] = [Algorithm::ES256, Algorithm::RS256];

/// A token's lifetime when the request names none, and the longest.
pub const DEFAULT_LIFETIME_S: i64 = 3_600;
pub const MAX_LIFETIME_S: i64 = 86_400;

pub struct DevIdentity {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
    pub issuer: String,
    pub audience: String,
}

/// Why a token was refused (the caller only learns "401").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

/// A signing key that could not be made.
fn key(detail: String) -> Error {
    Error::crypto("the signing key")(detail)
}

impl DevIdentity {
    /// A fresh P-256 key for this run of the stack.
    pub fn new(issuer: &str, audience: &str) -> Result<DevIdentity, Error> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|e| key(e.to_string()))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .map_err(|e| key(e.to_string()))?;
        // The public key is the uncompressed point 0x04 ‖ X ‖ Y.
        let point = pair.public_key().as_ref();
        let (x, y) = (
            URL_SAFE_NO_PAD.encode(&point[1..33]),
            URL_SAFE_NO_PAD.encode(&point[33..65]),
        );
        let kid = uuid::Uuid::new_v4().simple().to_string();
        let decoding = DecodingKey::from_ec_components(&x, &y).map_err(|e| key(e.to_string()))?;
        Ok(DevIdentity {
            jwk: json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "alg": "ES256", "use": "sig"}),
            kid,
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            decoding,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        })
    }

    /// `GET /.well-known/jwks.json`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// An identity token for `user`, valid from `now_ms` for `lifetime_s`.
    pub fn issue(&self, user: &str, now_ms: i64, lifetime_s: i64) -> Result<String, Error> {
        let now = now_ms / 1000;
        let claims = json!({
            "sub": user, "iss": self.issuer, "aud": self.audience,
            "iat": now, "nbf": now, "exp": now + lifetime_s, "token_use": "id",
        });
        self.sign(&claims)
    }

    /// Any claims, signed with this provider's key (tests forge tokens
    /// that are well signed yet wrong in one claim this way).
    pub fn sign(&self, claims: &Value) -> Result<String, Error> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| Error::crypto("an identity token")(e.to_string()))
    }

    /// The key id tokens must name.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The claims of a token API Gateway's JWT authorizer would accept at
    /// `now_ms`, as strings (as it puts them in the event).
    pub fn verify(
        &self,
        token: Option<&str>,
        now_ms: i64,
    ) -> Result<BTreeMap<String, String>, Refused> {
        let refuse = |why: &str| Refused(why.to_string());
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| refuse("no token"))?;
        let header = jsonwebtoken::decode_header(token).map_err(|e| refuse(&e.to_string()))?;
        if !ALLOWED.contains(&header.alg) {
            return Err(refuse("algorithm not allowed"));
        }
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(refuse("unknown key"));
        }
        let mut rules = Validation::new(header.alg);
        rules.set_issuer(&[&self.issuer]);
        rules.set_audience(&[&self.audience]);
        rules.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is judged by the stack's clock (tests move it), below.
        rules.validate_exp = false;
        rules.validate_nbf = false;
        let data = jsonwebtoken::decode::<BTreeMap<String, Value>>(token, &self.decoding, &rules)
            .map_err(|e| refuse(&e.to_string()))?;
        let now = now_ms / 1000;
        let at = |name: &str| data.claims.get(name).and_then(Value::as_i64);
        if at("exp").is_none_or(|exp| exp <= now) {
            return Err(refuse("expired"));
        }
        if at("nbf").is_some_and(|nbf| nbf > now) {
            return Err(refuse("not yet valid"));
        }
        Ok(data
            .claims
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect())
    }
}

/// The token `POST /dev/tokens` issues for its body.
pub fn token_for(idp: &DevIdentity, body: &[u8], now_ms: i64) -> Result<String, shared::AppError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Ask {
        user_id: String,
        expires_in_seconds: Option<i64>,
    }
    let ask: Ask = shared::http::request::parse_json(body)?;
    shared::domain::ids::validate_user_id(&ask.user_id)?;
    let lifetime = ask.expires_in_seconds.unwrap_or(DEFAULT_LIFETIME_S);
    if !(1..=MAX_LIFETIME_S).contains(&lifetime) {
        return Err(shared::AppError::bad_request(
            "expiresInSeconds는 1~86400이어야 합니다.",
        ));
    }
    idp.issue(&ask.user_id, now_ms, lifetime)
        .map_err(shared::AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000;

    #[test]
    fn tokens_verify_only_as_issued() {
        let idp = DevIdentity::new("http://127.0.0.1:8080", "concert-local").unwrap();
        let token = idp.issue("fan", NOW, 60).unwrap();
        let claims = idp.verify(Some(&token), NOW).unwrap();
        assert_eq!(claims["sub"], "fan");
        assert_eq!(claims["exp"], (NOW / 1000 + 60).to_string());
        assert!(idp.verify(Some(&token), NOW + 60_000).is_err(), "expired");
        assert!(
            idp.verify(Some(&token), NOW - 1_000).is_err(),
            "not yet valid"
        );
        let other = DevIdentity::new("http://127.0.0.1:8080", "concert-local").unwrap();
        assert!(other.verify(Some(&token), NOW).is_err(), "another key");
        let wrong_aud = DevIdentity {
            audience: "x".into(),
            ..other
        };
        let t = wrong_aud.issue("fan", NOW, 60).unwrap();
        assert!(wrong_aud.verify(Some(&t), NOW).is_ok());
        assert_eq!(idp.jwks()["keys"][0]["kty"], "EC");
    }
}
